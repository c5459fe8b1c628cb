"""The dashboard against a chain's history: 10^7 redemptions (10^4 of them the later side of a
double redemption) over 7 days in PostgreSQL, seeded with COPY, and the counts ingest would have
kept of them; each page's server time (its function and its template) and sign-in."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine

from bench.report import Row, print_table
from bench.sync_bench import _drop_postgres, _fresh_postgres
from codes import campaign as campaign_file
from codes.campaign import parse_tiers
from codes.campaign_cipher import CampaignCipher
from server_stub.accounts import sessions, users
from server_stub.catalog import campaign_setup, store_setup
from server_stub.dashboard import lookup, web
from server_stub.database.connection import migrate, open_engine
from server_stub.errors import ApiError

REDEMPTIONS = 10_000_000
CONFLICTS = 10_000
STORES = 50
DEVICES = 200
SPAN_S = 7 * 86400
PASSWORD = "a bench password"
# one shopper in ten agreed to share who they are, from a few of each
AGE_BANDS, GENDERS = ("18-24", "25-34", "35-44", "45-54", "55+"), ("f", "m")
CITIES = ("Almaty", "Astana", "Shymkent", "Karaganda", "Aktobe", "Taraz", "Pavlodar", "Semey")
# the constraints (and the lookup's index) the rows would otherwise keep up one by one; made
# again, side by side, once the rows are in
_CONSTRAINTS = (
    ("events", "events_pkey", "PRIMARY KEY", "(event_id)"),
    ("events", "events_device_seq", "UNIQUE", "(device_id, seq)"),
    ("claims", "claims_pk", "PRIMARY KEY", "(campaign, serial)"),
)


def _tier(serial: int) -> tuple[str, float]:
    if serial % 997 == 0:
        return "gold", 100.0
    return ("silver", 1.0) if serial % 89 == 0 else ("music", 0.0)


def _sql_list(values: tuple[str, ...], index: str) -> str:
    return f"(ARRAY[{', '.join(repr(v) for v in values)}])[mod({index}, {len(values)}) + 1]"


# Each redemption i, as PostgreSQL makes it (generate_series: no row crosses from Python): its
# device, arrival spread over 7 days, every 1,000th the later side of a double redemption of the
# code before it, one shopper in ten sharing who they are. The events and both counts are made
# from the same expressions, so they agree as ingest's would.
_EVERY = "{every}"
_EACH = f"""
    SELECT i, mod(i, {DEVICES}) AS d, mod(mod(i, {DEVICES}), {STORES}) AS store,
        mod(i, {_EVERY}) = 1 AS doubled, CASE WHEN mod(i, {_EVERY}) = 1 THEN i - 1 ELSE i END
            AS serial,
        %(now)s - i * {SPAN_S}.0 / %(n)s AS received,
        mod(i, 10) = 3 AS shares, {_sql_list(AGE_BANDS, "i")} AS age_band,
        {_sql_list(GENDERS, "i")} AS gender, {_sql_list(CITIES, "i / 10")} AS city
    FROM generate_series(0, %(n)s - 1) AS i"""
_DETAILS = """
    SELECT g.*,
        CASE WHEN mod(serial, 997) = 0 THEN 'gold' WHEN mod(serial, 89) = 0 THEN 'silver'
            ELSE 'music' END AS tier,
        CASE WHEN mod(serial, 997) = 0 THEN 100.0 WHEN mod(serial, 89) = 0 THEN 1.0 ELSE 0.0 END
            AS value,
        CASE WHEN doubled THEN 'double_redemption' ELSE 'redemption' END AS counted_as
    FROM ({each}) g"""


# pages asked more than one way: (what, query)
_ASKED: dict[str, dict[str, dict[str, str]]] = {
    "lookup": {"of a code": {}, "of a member": {"q": "M-1"}},
    "reports": {
        "by day": {},
        "by city": {"by": "city"},
        "of points by cashier": {"what": "points", "by": "cashier"},
    },
}


def _side_by_side(dsn: str, work: list[list[tuple[str, dict[str, Any] | None]]]) -> None:
    """Each list of statements on a connection of its own, the lists at the same time."""

    def run(statements: list[tuple[str, dict[str, Any] | None]]) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '512MB'")
            for statement, asked in statements:
                conn.execute(statement, asked)

    with ThreadPoolExecutor(len(work)) as pool:
        for done in [pool.submit(run, statements) for statements in work]:
            done.result()


def _seed(url: str, folder: Path) -> str:
    """Seed the database; returns a code that was redeemed twice, for the lookup."""
    engine = open_engine(url)
    migrate(engine)
    made = campaign_file.create(
        folder / "c.toml", "bench", "HV", parse_tiers("gold:10,silver:1000,music:*"),
        capacity=10**8,
    )  # fmt: skip
    campaign_setup.add_campaign(
        engine, made.campaign, made.key, budget=50_000.0, plan_seed=made.plan_seed
    )
    for s in range(STORES):
        store_setup.create_store(engine, f"s{s}", f"Store {s}")
    users.create_user(engine, "ann", PASSWORD, "admin")
    users.create_user(engine, "sam", PASSWORD, "store_manager", ["s7"])
    engine.dispose()
    now, every = time.time(), REDEMPTIONS // CONFLICTS
    rows = _DETAILS.format(each=_EACH.replace(_EVERY, str(every)))
    asked = {"now": now, "n": REDEMPTIONS}
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE campaigns SET issued = %s", (2 * REDEMPTIONS,))
        for table, name, _, _ in _CONSTRAINTS:
            conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        conn.execute("DROP INDEX events_code")
        with conn.cursor().copy(
            "COPY devices (id, store_id, name, created, enrolled_at, last_seen, chain_hash)"
            " FROM STDIN"
        ) as copy:
            for d in range(DEVICES):
                copy.write_row((f"dev-{d}", f"s{d % STORES}", f"Till {d}", now, now,
                                now - (d % 7) * 900, "0" * 64))  # fmt: skip
        with conn.cursor().copy(
            "COPY conflicts (kind, campaign, serial, code, winner_event, winner_device,"
            " loser_event, loser_device, reward, value, points, state, created) FROM STDIN"
        ) as copy:
            for k in range(CONFLICTS):
                i = k * every + 1
                tier, value = _tier(i - 1)
                copy.write_row(("double_redemption", "bench", i - 1, f"HV-{i - 1}", f"e-{i - 1}",
                                f"dev-{(i - 1) % DEVICES}", f"e-{i}", f"dev-{i % DEVICES}",
                                tier, value, 0, "open", now))  # fmt: skip
    day, hour = "'YYYY-MM-DD'", "'HH24'"
    at = "to_timestamp({}) AT TIME ZONE 'UTC'"
    context = (
        'CASE WHEN shares THEN \',"context":{"consent":true,"age_band":"\' || age_band'
        ' || \'","gender":"\' || gender || \'","city":"\' || city || \'"}\' ELSE \'\' END'
    )
    events = (
        "INSERT INTO events (event_id, device_id, seq, kind, payload, local_time, prev_hash,"
        " mac, received, verdict, reason, store_id, actor, campaign, serial, tier, value, points)"
        f" SELECT 'e-' || i, 'dev-' || d, i / {DEVICES} + 1, 'redeem',"
        ' \'{"code":"HV-\' || serial || \'","serial":\' || serial || ' + context + " || '}',"
        f" to_char({at.format('received')}, 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"'), '0', '0',"
        " received, CASE WHEN doubled THEN 'conflict' ELSE 'accepted' END, '', 's' || store,"
        f" 'cashier ' || d, 'bench', serial, tier, value, 0 FROM ({rows}) r"
    )
    # every accepted redemption holds its code, as ingest's claims would
    claims = (
        "INSERT INTO claims (campaign, serial, event_id, device_id, store_id, claimed_at)"
        f" SELECT 'bench', serial, 'e-' || i, 'dev-' || d, 's' || store, received FROM ({rows}) r"
        " WHERE NOT doubled"
    )
    # what ingest would have counted, as if each till pushed its hour's redemptions at once
    counts = (
        "INSERT INTO event_counts (hour, day, local_hour, kind, campaign, tier, store_id,"
        " device_id, cashier, count, value, earned, spent)"
        f" SELECT h, to_char({at.format('h * 3600')}, {day}),"
        f" to_char({at.format('h * 3600')}, {hour}), counted_as, 'bench', tier, 's' || store,"
        " 'dev-' || d, 'cashier ' || d, n, v, 0, 0 FROM (SELECT FLOOR(received / 3600) AS h,"
        " counted_as, tier, store, d, COUNT(*) AS n, SUM(value) AS v"
        f" FROM ({rows}) r GROUP BY 1, 2, 3, 4, 5) g"
    )
    shared = (
        "INSERT INTO shared_counts (day, kind, campaign, store_id, age_band, gender, city,"
        " count, value, earned, spent)"
        f" SELECT to_char({at.format('dd * 86400')}, {day}), counted_as, 'bench', 's' || store,"
        " age_band, gender, city, n, v, 0, 0 FROM (SELECT FLOOR(received / 86400) AS dd,"
        " counted_as, store, age_band, gender, city, COUNT(*) AS n, SUM(value) AS v"
        f" FROM ({rows}) r WHERE shares GROUP BY 1, 2, 3, 4, 5, 6) g"
    )
    indexes = [f"CREATE UNIQUE INDEX {name} ON {table} {columns}"
               for table, name, _, columns in _CONSTRAINTS]  # fmt: skip
    code = "CREATE INDEX events_code ON events (campaign, serial) WHERE kind = 'redeem'"
    # two connections side by side, one a core: the events, and everything else
    _side_by_side(dsn, [[(events, asked)], [(claims, asked), (counts, asked), (shared, asked)]])
    _side_by_side(dsn, [[(indexes[0], None)], [(indexes[1], None), (indexes[2], None),
                                               (code, None)]])  # fmt: skip
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table, name, kind, _ in _CONSTRAINTS:
            conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {kind} USING INDEX {name}")
        conn.execute("ANALYZE")
    cipher = CampaignCipher.issuer(campaign_file.load(folder / "c.toml"))
    return cipher.encode(every)  # serial 1,000: redeemed at dev-0, then again at dev-1


def _median_ms(call: Callable[[], object], times: int = 5) -> float:
    call()  # warm: caches, plans
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent)


def _page(
    engine: Engine, viewer: users.Viewer, function: web.Page, template: str,
    query: dict[str, str],
) -> Callable[[], object]:  # fmt: skip
    """A page as the server makes it: its function, then its template."""
    return lambda: web.page_html(
        template, data=function(engine, viewer, query), viewer=viewer, csrf="x", here="", title=""
    )


def run() -> None:
    url = _fresh_postgres()
    if url is None:
        print("\ndashboard: no PostgreSQL at INSTORE_TEST_POSTGRES, not measured")
        return
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            twice = _seed(url, Path(tmp))
            seeded = time.perf_counter() - started
        engine = open_engine(url)
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            base = _median_ms(lambda: conn.execute("SELECT count(*) FROM events").fetchone())
        read_out = twice.lower().replace("-", " ")  # as a shopper reads it out
        found = lookup.lookup(engine, users.sign_in(engine, "ann", PASSWORD), read_out)
        assert len(found["events"]) == 2, found  # both sides: the lookup read the code's events
        for name in ("ann", "sam"):
            viewer = users.sign_in(engine, name, PASSWORD)
            for path, (title, template, function) in web.PAGES.items():
                for what, query in _ASKED.get(path, {"": {}}).items():
                    query = {"q": read_out} if what == "of a code" else query
                    page = _page(engine, viewer, function, template, query)
                    try:
                        page()
                    except ApiError:  # a page this role may not open
                        continue
                    ms = _median_ms(page)
                    figure = f"{title}{f' {what}' if what else ''} ({name}, {viewer.role.value})"
                    rows.append(Row(f"{figure}: server time (ms)", f"{ms:.0f}", "<= 300",
                                    ms <= 300, f"{ms / base:.1f}x a count(*)"))  # fmt: skip

        def sign_in() -> None:
            sessions.open_session(engine, users.sign_in(engine, "ann", PASSWORD).id)

        ms = _median_ms(sign_in)
        rows.append(Row("sign-in, argon2 check and session (ms)", f"{ms:.0f}", "<= 200", ms <= 200))
        engine.dispose()
    finally:
        _drop_postgres(url)
    print_table(
        f"server_stub/ dashboard (PostgreSQL: {REDEMPTIONS:,} redemptions over 7 days, {CONFLICTS:,}"
        f" of them double, seeded with their counts in {seeded:.0f} s)",
        f"SELECT count(*) FROM events: {base:.0f} ms",
        rows,
    )


if __name__ == "__main__":
    run()
