"""The migration steps: from nothing they make exactly the schema the code uses, and a database
an earlier release wrote upgrades through them with nothing lost and the server working on it.

The release fixtures are dumps of databases that earlier releases' own code wrote by running
the store (fixtures/make_release_fixture.sh): a campaign, two stores, a till at each, a code
redeemed at both during an outage, points earned, and from revision 0006 a dashboard user.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, Engine, inspect, text

from server_stub.accounts import users
from server_stub.dashboard import pages
from server_stub.database.connection import (
    MIGRATIONS,
    _alembic_config,
    migrate,
    open_engine,
    sqlite_file,
)
from server_stub.database.schema import WEB_DEVICE, metadata
from server_stub.loyalty import lots
from server_stub.records import conflicts
from tests.codes.test_cli import instore
from tests.world import World

FIXTURES = Path(__file__).parent / "fixtures"
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()
PASSWORD = "a long enough secret"  # nora's, as make_release_fixture.sh set it


def _server_defaults_differ(
    context: MigrationContext, _inspected: Column[Any], _meta: Column[Any],
    inspected_default: str | None, _meta_default: Any, rendered_meta_default: str | None,
) -> bool | None:  # fmt: skip
    if context.dialect.name != "sqlite":
        return None  # Alembic's own comparison
    # SQLite keeps a default as written: DEFAULT ('') from a step, '' from the metadata. Alembic
    # strips brackets and quotes only around a non-empty text, so it calls those two different.
    if inspected_default is None or rendered_meta_default is None:
        return inspected_default != rendered_meta_default

    def plain(default: str) -> str:
        return re.sub(r"^'(.*)'$", r"\1", re.sub(r"^\((.*)\)$", r"\1", default))

    return plain(inspected_default) != plain(rendered_meta_default)


def _where(clause: Any) -> str:
    """A partial index's condition, compared as text: no table names, casts, brackets, spaces."""
    spoken = str(clause).lower().replace("!=", "<>")
    return re.sub(r"::\w+|[()\s]|\b\w+\.", "", spoken)


def differences(conn: Connection) -> list[Any]:
    """Where the database's tables differ from the code's: Alembic's autogenerate comparison
    (tables, columns, types, nullability, server defaults, indexes, unique constraints), and
    the conditions of partial indexes, which Alembic does not compare."""
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": _server_defaults_differ}
    )
    found: list[Any] = list(compare_metadata(context, metadata))
    dialect = conn.dialect.name
    reflected = {
        index["name"]: _where(index.get("dialect_options", {}).get(f"{dialect}_where", ""))
        for table in inspect(conn).get_table_names()
        for index in inspect(conn).get_indexes(table)
    }
    for table in metadata.sorted_tables:
        for index in table.indexes:
            where = index.dialect_options[dialect].get("where")
            literal = {"literal_binds": True}
            wanted = "" if where is None else _where(where.compile(conn, compile_kwargs=literal))
            if reflected.get(index.name, wanted) != wanted:
                found.append(("index_where", index.name, reflected[index.name], wanted))
    return found


def test_the_steps_from_nothing_make_the_schema_the_code_uses(server_url: str) -> None:
    engine = open_engine(server_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")  # alembic upgrade head
            assert differences(conn) == []
            command.downgrade(_alembic_config(conn), "base")  # and every step back down
            assert inspect(conn).get_table_names() == ["alembic_version"]
            command.upgrade(_alembic_config(conn), "head")
            assert differences(conn) == []
    finally:
        engine.dispose()


BUILT_IN = ("stores", "devices")


def _load(fixture: str, url: str) -> None:
    """The release's dump into an empty database, as that release left it."""
    path = sqlite_file(url)
    dump = (FIXTURES / f"{fixture}.{'sqlite' if path else 'pg'}.sql").read_text()
    if path is not None:
        with sqlite3.connect(path) as db:
            db.executescript(dump)
        return
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(dump.encode())  # no parameters: one round trip runs every statement


def _rows(engine: Engine) -> dict[str, tuple[set[str], list[dict[str, Any]]]]:
    """Every table but Alembic's: its columns and every row, what an upgrade must not lose."""
    with engine.connect() as conn:
        found = inspect(conn)
        return {
            t: (
                {c["name"] for c in found.get_columns(t)},
                [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {t}"))],
            )
            for t in found.get_table_names()
            if t != "alembic_version"
        }


def _as_kept(rows: list[dict[str, Any]], columns: set[str]) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(sorted((k, v) for k, v in row.items() if k in columns)) for row in rows)


@pytest.mark.parametrize("fixture, revision", [("release_0001", "0001"), ("release_0006", "0006")])
def test_a_database_an_earlier_release_wrote_upgrades_with_nothing_lost(
    fixture: str, revision: str, server_url: str, tmp_path: Path
) -> None:
    url = server_url
    _load(fixture, url)
    engine = open_engine(url)
    try:
        before = _rows(engine)
        assert all(before[t][1] for t in ("conflicts", "balances", "events"))

        done = migrate(engine)

        after = _rows(engine)
        assert before.keys() <= after.keys()  # no table of the release's is gone
        for table, (columns, rows) in before.items():
            # A later step may drop a column on purpose, its data moved elsewhere (0010 moves
            # users' wrong-password counts to attempt_counters); these tables stay whole.
            kept = columns & after[table][0]
            if table in ("campaigns", "stores", "devices", "events", "claims", "conflicts"):
                assert kept == columns, table
            # 0011 adds the store and device the shopper's web redeems as, beside the release's
            now = [r for r in after[table][1] if r.get("id") != WEB_DEVICE or table not in BUILT_IN]
            assert _as_kept(now, kept) == _as_kept(rows, kept), table
        assert (done.before, done.after) == (revision, HEAD)
        assert done.summary() == f"upgraded from revision {revision} to {HEAD}"
        with engine.connect() as conn:
            assert differences(conn) == []
            last_event = conn.execute(text("SELECT MAX(received) FROM events")).scalar_one()
        _the_server_works_on_it(
            engine, url, tmp_path, float(last_event), with_user=revision >= "0006"
        )
    finally:
        engine.dispose()


@pytest.mark.parametrize("fixture", ["release_0001", "release_0006"])
def test_step_0007_counts_the_redemptions_already_stored(fixture: str, server_url: str) -> None:
    _load(fixture, server_url)
    engine = open_engine(server_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0007")
            accepted = conn.execute(
                text("SELECT store_id, COUNT(*) FROM events WHERE kind = 'redeem'"
                     " AND verdict = 'accepted' GROUP BY store_id")
            ).all()  # fmt: skip
            counted = conn.execute(
                text("SELECT store_id, SUM(count) FROM redemption_hours GROUP BY store_id")
            ).all()
        assert accepted == counted == [("north", 2)]  # the double redemption's loser not counted
    finally:
        engine.dispose()


def _the_server_works_on_it(
    engine: Engine, url: str, tmp_path: Path, last_event: float, with_user: bool
) -> None:
    (listed,) = conflicts.list_conflicts(engine)
    assert listed["kind"] == "double_redemption" and listed["state"] == "open"
    assert (listed["first"]["store_id"], listed["second"]["store_id"]) == ("north", "south")
    if not with_user:  # the release had no dashboard users: the upgrade made their table
        users.create_user(engine, "nora", PASSWORD, "store_manager", ["north"])
    nora = users.sign_in(engine, "nora", PASSWORD)
    assert nora.stores == {"north"}
    tiles = pages.overview(engine, nora, now=last_event)["tiles"]
    assert tiles["redemptions_today"] == 2 and tiles["points_outstanding"] == 12
    # a till enrolled now at the first store learns the old balance and the codes redeemed
    world = World(engine, url, tmp_path)
    till = world.device("north", "Till 3", online=True)
    till.sync()
    assert till.terminal.known_balance("M-1001") == (12, True)
    contested = str(listed["code"])
    refused = till.terminal.redeem(contested, actor="cy")
    assert not refused.ok, refused
    for device in world.devices:
        device.terminal.close()
        device.ledger.close()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_admin_migrate_says_what_it_did_and_refuses_a_newer_database(
    server_url: str, tmp_path: Path
) -> None:
    url = server_url
    made = instore("admin", "--db", url, "migrate", cwd=tmp_path)
    assert made.returncode == 0 and made.stdout.strip() == f"created the tables at revision {HEAD}"
    again = instore("admin", "--db", url, "migrate", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.strip() == f"already at revision {HEAD}"
    # as a newer instore would leave it: a step this code has never seen, a table of its own
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        conn.execute(text("CREATE TABLE future_things (id INTEGER PRIMARY KEY)"))
        conn.execute(text("DELETE FROM meta"))  # migrate would make a new admin token
    engine.dispose()
    path = sqlite_file(url)
    hashed = _file_hash(path) if path else ""

    refused = instore("admin", "--db", url, "migrate", "--json", cwd=tmp_path)
    assert refused.returncode == 2 and json.loads(refused.stdout)["error"] == "database_too_new"
    assert "revision 9999" in refused.stderr and "newer instore" in refused.stderr
    listing = instore("admin", "--db", url, "conflicts", cwd=tmp_path)  # upgrades first, too
    assert listing.returncode == 2 and "revision 9999" in listing.stderr
    assert "Traceback" not in refused.stderr + listing.stderr
    engine = open_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "9999"
        assert conn.execute(text("SELECT COUNT(*) FROM meta")).scalar_one() == 0
    engine.dispose()
    if path:
        assert _file_hash(path) == hashed  # not a byte written


def test_step_0013_adds_a_rejections_reason_code_and_takes_it_back_with_nothing_lost(
    server_url: str,
) -> None:
    engine = open_engine(server_url)
    claim = {
        "number": "CL-00000001", "campaign": "ice-2026", "serial": 7, "code": "HV-7",
        "tier": "gold", "event_id": "web-7", "phone": "+919876543210", "name": "A. Shopper",
        "address": "12 Lake Road", "id_type": "aadhaar", "id_number": "1234", "consent_at": 1.0,
        "status": "rejected", "reason": "Blurred.", "deadline": 2.0, "created": 1.0,
        "updated": 1.0,
    }  # fmt: skip
    select_claims = "SELECT number, status, reason FROM prize_claims"

    def columns(conn: Connection) -> set[str]:
        return {c["name"] for c in inspect(conn).get_columns("prize_claims")}

    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0012")
            conn.execute(text(
                f"INSERT INTO prize_claims ({', '.join(claim)}) "
                f"VALUES ({', '.join(':' + k for k in claim)})"
            ), claim)  # fmt: skip
            command.upgrade(_alembic_config(conn), "0013")
            assert "reason_code" in columns(conn)
            kept = conn.execute(text("SELECT number, reason, reason_code FROM prize_claims"))
            assert [tuple(r) for r in kept] == [("CL-00000001", "Blurred.", None)]
            conn.execute(text("UPDATE prize_claims SET reason_code = 'unreadable'"))
            command.downgrade(_alembic_config(conn), "0012")
            assert "reason_code" not in columns(conn)
            back = [tuple(r) for r in conn.execute(text(select_claims))]
            assert back == [("CL-00000001", "rejected", "Blurred.")]
    finally:
        engine.dispose()


def test_step_0015_turns_old_balances_into_lots_and_takes_them_back(server_url: str) -> None:
    engine = open_engine(server_url)
    balances = {
        "M-1001": 12,  # an older till's member number: a card-only member
        "98765 43210": 30,  # a phone as a till typed it, and the same phone written otherwise:
        "+919876543210": 20,  # one member, one lot of 50
        "C-77": 0,  # nothing to carry
        "!!": 9,  # neither a phone nor a card: left alone
        "CARD-OLD": 40,  # a member who has lots already (this release's code kept the cache)
    }
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0014")
            conn.execute(text("UPDATE program SET expiry_months = 3"))
            for key, points in balances.items():
                conn.execute(
                    text("INSERT INTO balances VALUES (:k, :b, 1.0)"), {"k": key, "b": points}
                )
            conn.execute(text("INSERT INTO member_stores VALUES ('M-1001', 'north')"))
            conn.execute(text("INSERT INTO members (card, registered_via, created)"
                              " VALUES ('CARDOLD', 'sync', 1.0)"))  # fmt: skip
            conn.execute(text(
                "INSERT INTO lots (member_id, partner_id, store_id, event_id, points, remaining,"
                " earned_at, pending_until, expires_at) SELECT id, 'house', 'north', 'e-1', 40,"
                " 40, 1.0, 1.0, 9e9 FROM members WHERE card = 'CARDOLD'"
            ))  # fmt: skip
            before = time.time()
            command.upgrade(_alembic_config(conn), "0015")
            after = time.time()
            made = conn.execute(text(
                "SELECT m.phone, m.card, m.registered_via, l.partner_id, l.store_id, l.event_id,"
                " l.points, l.remaining, l.earned_at, l.pending_until, l.expires_at FROM lots l"
                " JOIN members m ON m.id = l.member_id WHERE l.event_id LIKE 'upgrade-%'"
                " ORDER BY l.points"
            )).all()  # fmt: skip
            assert [r[:3] + r[3:5] + (r[6], r[7]) for r in made] == [
                (None, "M1001", "sync", "house", "north", 12, 12),
                ("+919876543210", None, "sync", "house", "", 50, 50),
            ]
            for r in made:
                assert r.event_id.startswith("upgrade-") and before <= r.earned_at <= after
                assert r.pending_until == r.earned_at  # spendable at once
                assert r.expires_at == lots.expiry_of(r.earned_at, 3)  # the program's rule
            assert conn.execute(text("SELECT COUNT(*) FROM lots")).scalar_one() == 3
            assert conn.execute(text("SELECT region FROM program")).scalar_one() is None
            command.downgrade(_alembic_config(conn), "0014")
            left = conn.execute(text("SELECT event_id FROM lots")).scalars().all()
            assert left == ["e-1"]  # only the lots the step made are gone
            assert "region" not in {c["name"] for c in inspect(conn).get_columns("program")}
            assert conn.execute(text("SELECT COUNT(*) FROM members")).scalar_one() == 3
            command.upgrade(_alembic_config(conn), "0015")  # and up again: the same lots
            assert conn.execute(text("SELECT COUNT(*) FROM lots")).scalar_one() == 3
    finally:
        engine.dispose()
