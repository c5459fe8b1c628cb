"""The ledger file: durability settings, the signed chain, and refusing when it cannot write."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terminal.engine import Terminal
from terminal.ledger import Ledger, LedgerError
from terminal.results import Status
from tests.terminal.conftest import StoreFactory


def test_durable_settings(make_store: StoreFactory) -> None:
    ledger = make_store().open().ledger
    assert ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ledger.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_chain_catches_edits_removals_and_forgeries(make_store: StoreFactory) -> None:
    store = make_store()
    till = store.open()
    for serial in range(6):
        till.redeem(store.code(serial))
    assert till.ledger.verify_chain() is None
    raw = sqlite3.connect(store.path)
    raw.execute('UPDATE events SET payload = \'{"code": "forged"}\' WHERE seq = 3')
    raw.commit()
    assert till.ledger.verify_chain() == (
        3,
        "event 3 was altered after it was written (signature mismatch)",
    )
    raw.execute("DELETE FROM events WHERE seq = 3")
    raw.commit()
    broken = till.ledger.verify_chain()
    assert broken is not None and broken[0] == 4 and "gap" in broken[1]


def test_events_are_gapless_and_ids_unique(make_store: StoreFactory) -> None:
    store = make_store()
    till = store.open()
    for serial in range(5):
        till.redeem(store.code(serial))
    till.accrue("m", 50, receipt="x")
    rows = till.ledger.read("SELECT seq, event_id FROM events ORDER BY seq")
    assert [r["seq"] for r in rows] == list(range(1, 7))
    assert len({r["event_id"] for r in rows}) == 6
    assert sorted(r["event_id"] for r in rows) == [
        r["event_id"] for r in rows
    ]  # UUIDv7: time order


def test_missing_ledger_is_named(tmp_path: Path) -> None:
    with pytest.raises(LedgerError) as err:
        Ledger(tmp_path / "none.db")
    assert err.value.code == "no_ledger"


def test_read_only_ledger_refuses_without_confirming(make_store: StoreFactory) -> None:
    if os.geteuid() == 0:
        # root ignores file modes; a read-only open is what a locked-down kiosk gives
        store = make_store()
        till = store.open()
        till.ledger.conn.close()
        till.ledger.conn = sqlite3.connect(
            f"file:{store.path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        till.ledger.conn.row_factory = sqlite3.Row
    else:
        store = make_store()
        os.chmod(store.path, stat.S_IRUSR)
        till = store.open()
    result = till.redeem(store.code(1))
    assert result.status is Status.NOT_SAVED and "read-only" in result.message
    assert till.ledger.one("SELECT COUNT(*) AS n FROM events")["n"] == 0  # type: ignore[index]


def test_full_disk_refuses_and_keeps_what_was_confirmed(make_store: StoreFactory) -> None:
    store = make_store()
    till = store.open()
    confirmed = [till.redeem(store.code(s)) for s in range(3)]
    assert all(r.ok for r in confirmed)
    pages = till.ledger.conn.execute("PRAGMA page_count").fetchone()[0]
    till.ledger.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
    results = [till.redeem(store.code(s)) for s in range(3, 400)]
    refused = [r for r in results if not r.ok]
    assert refused and all(r.status is Status.NOT_SAVED and "full" in r.message for r in refused)
    till.ledger.conn.execute("PRAGMA max_page_count = 1073741823")
    assert till.ledger.verify_chain() is None
    held = {r["serial"] for r in till.ledger.read("SELECT serial FROM local_claims")}
    assert {r.serial for r in results if r.ok} | {0, 1, 2} == held


def test_locked_ledger_refuses_in_time(make_store: StoreFactory) -> None:
    store = make_store()
    till = store.open()
    till.close()
    till = Terminal(Ledger(store.path, busy_timeout=0.2))
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        result = till.redeem(store.code(1))
        assert result.status is Status.NOT_SAVED and "busy" in result.message
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert till.redeem(store.code(1)).ok


operations = st.lists(
    st.one_of(
        st.tuples(st.just("redeem"), st.integers(0, 30)),
        st.tuples(st.just("void"), st.integers(0, 30)),
        st.tuples(st.just("accrue"), st.integers(0, 500)),
        st.tuples(st.just("spend"), st.integers(1, 40)),
    ),
    max_size=40,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_ledger_invariants_under_any_sequence(
    make_store: StoreFactory, ops: list[tuple[str, int]]
) -> None:
    """Whatever a day brings: no code held twice, points add up, the chain verifies."""
    store = make_store(name=f"prop{abs(hash(tuple(ops)))}")
    till = store.open()
    held: dict[int, str] = {}  # serial -> event id of the live redemption
    points = 0
    receipts = 0
    for op, n in ops:
        if op == "redeem":
            result = till.redeem(store.code(n))
            assert result.ok == (n not in held)
            if result.ok:
                held[n] = result.event_id or ""
        elif op == "void" and n in held:
            assert till.void(held.pop(n), reason="refund").ok
        elif op == "accrue":
            receipts += 1
            points += till.accrue("m", n, receipt=f"r{receipts}").points or 0
        elif op == "spend":
            result = till.spend("m", n, item="x")
            assert result.ok == (n <= points)
            points -= n if result.ok else 0
    assert till.balance("m").balance == points
    assert {r["serial"] for r in till.ledger.read("SELECT serial FROM local_claims")} == set(held)
    assert till.ledger.verify_chain() is None
