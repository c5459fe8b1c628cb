"""The dashboard against a chain's history: 10^6 redemptions and 10^4 conflicts in PostgreSQL,
seeded with COPY; each page's server time (its function and its template) and sign-in."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy import Engine

from bench.report import Row, print_table
from bench.sync_bench import _drop_postgres, _fresh_postgres
from codes import campaign as campaign_file
from codes.campaign import parse_tiers
from server_stub.accounts import sessions, users
from server_stub.catalog import campaign_setup, store_setup
from server_stub.dashboard import web
from server_stub.database.connection import migrate, open_engine

REDEMPTIONS = 1_000_000
CONFLICTS = 10_000
STORES = 50
DEVICES = 200
PASSWORD = "a bench password"


def _seed(url: str, folder: Path) -> None:
    engine = open_engine(url)
    migrate(engine)
    made = campaign_file.create(
        folder / "c.toml", "bench", "HV", parse_tiers("gold:10,silver:1000,music:*"),
        capacity=10**7,
    )  # fmt: skip
    campaign_setup.add_campaign(
        engine, made.campaign, made.key, budget=50_000.0, plan_seed=made.plan_seed
    )
    for s in range(STORES):
        store_setup.create_store(engine, f"s{s}", f"Store {s}")
    users.create_user(engine, "ann", PASSWORD, "admin")
    users.create_user(engine, "sam", PASSWORD, "store_manager", ["s7"])
    engine.dispose()
    now = time.time()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE campaigns SET issued = %s", (2 * REDEMPTIONS,))
        with conn.cursor().copy(
            "COPY devices (id, store_id, name, created, enrolled_at, last_seen, chain_hash)"
            " FROM STDIN"
        ) as copy:
            for d in range(DEVICES):
                copy.write_row((f"dev-{d}", f"s{d % STORES}", f"Till {d}", now, now,
                                now - (d % 7) * 900, "0" * 64))  # fmt: skip
        with conn.cursor().copy(
            "COPY events (event_id, device_id, seq, kind, payload, local_time, prev_hash, mac,"
            " received, verdict, reason, store_id, actor, campaign, serial, tier, value, points)"
            " FROM STDIN"
        ) as copy:
            for i in range(REDEMPTIONS):
                d = i % DEVICES
                received = now - (i * 7 * 86400 / REDEMPTIONS)
                tier = "gold" if i % 997 == 0 else "silver" if i % 89 == 0 else "music"
                verdict = "conflict" if i % (REDEMPTIONS // CONFLICTS) == 1 else "accepted"
                copy.write_row((
                    f"e-{i}", f"dev-{d}", i // DEVICES + 1, "redeem",
                    json.dumps({"code": f"HV-{i}", "serial": i}), "2026-12-01T10:00:00+00:00",
                    "0" * 64, "0" * 64, received, verdict, "", f"s{d % STORES}", f"cashier {d}",
                    "bench", i, tier, 100.0 if tier == "gold" else 0.0, 0,
                ))  # fmt: skip
        with conn.cursor().copy(
            "COPY claims (campaign, serial, event_id, device_id, store_id, claimed_at) FROM STDIN"
        ) as copy:
            for i in range(REDEMPTIONS):
                d = i % DEVICES
                copy.write_row(("bench", i, f"e-{i}", f"dev-{d}", f"s{d % STORES}", now))
        with conn.cursor().copy(
            "COPY conflicts (kind, campaign, serial, code, winner_event, winner_device,"
            " loser_event, loser_device, reward, value, points, state, created) FROM STDIN"
        ) as copy:
            for k in range(CONFLICTS):
                i = k * (REDEMPTIONS // CONFLICTS) + 1
                copy.write_row(("double_redemption", "bench", i, f"HV-{i}", f"e-{i - 1}",
                                f"dev-{(i - 1) % DEVICES}", f"e-{i}", f"dev-{i % DEVICES}",
                                "music", 0.0, 0, "open", now))  # fmt: skip
        # what ingest would have counted, had the events come through it (as migration 0007)
        conn.execute(
            "INSERT INTO redemption_hours (hour, store_id, campaign, tier, count, value)"
            " SELECT CAST(FLOOR(received / 3600) AS BIGINT), store_id, campaign,"
            " COALESCE(tier, ''), COUNT(*), SUM(value) FROM events"
            " WHERE kind = 'redeem' AND verdict = 'accepted' GROUP BY 1, 2, 3, 4"
        )
        conn.execute("ANALYZE")


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
            _seed(url, Path(tmp))
            seeded = time.perf_counter() - started
        engine = open_engine(url)
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            base = _median_ms(lambda: conn.execute("SELECT count(*) FROM events").fetchone())
        for name in ("ann", "sam"):
            viewer = users.sign_in(engine, name, PASSWORD)
            for path, (title, template, function) in web.PAGES.items():
                query = {"q": "HV-5"} if path == "lookup" else {}
                ms = _median_ms(_page(engine, viewer, function, template, query))
                rows.append(Row(f"{title} ({name}, {viewer.role.value}): server time (ms)",
                                f"{ms:.0f}", "<= 300", ms <= 300, f"{ms / base:.1f}x a count(*)"))  # fmt: skip

        def sign_in() -> None:
            sessions.open_session(engine, users.sign_in(engine, "ann", PASSWORD).id)

        ms = _median_ms(sign_in)
        rows.append(Row("sign-in, argon2 check and session (ms)", f"{ms:.0f}", "<= 200", ms <= 200))
        engine.dispose()
    finally:
        _drop_postgres(url)
    print_table(
        f"server_stub/ dashboard (PostgreSQL: {REDEMPTIONS:,} redemptions, {CONFLICTS:,} conflicts,"
        f" seeded in {seeded:.0f} s)",
        f"SELECT count(*) FROM events: {base:.0f} ms",
        rows,
    )


if __name__ == "__main__":
    run()
