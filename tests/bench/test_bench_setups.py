"""`make bench` builds its fixtures the way it measures: ledgers and server tables, some of them
written by hand for speed. Each bench's set-up, at a tiny size, so a schema change that breaks a
bench fails here rather than in a newcomer's `make bench` an hour in."""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

import bench
from bench import (
    claims_queue_bench,
    dashboard_bench,
    member_lots_bench,
    outbox_bench,
    play_otp_bench,
    settlement_bench,
    terminal_bench,
)
from server_stub.database.connection import migrate, open_engine
from server_stub.database.schema import outbox
from tests.world import empty_postgres


def test_every_bench_module_imports() -> None:
    names = [m.name for m in pkgutil.iter_modules(bench.__path__)]
    assert "terminal_bench" in names
    for name in names:
        importlib.import_module(f"bench.{name}")


def _rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        count: int = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    conn.close()
    return count


def test_the_terminal_bench_builds_its_ledgers(tmp_path: Path) -> None:
    terminal_bench.raw_insert_ms(tmp_path / "raw.db", count=3)
    terminal_bench.redeem_ms(tmp_path / "redeem.db", count=3)
    assert _rows(tmp_path / "redeem.db", "local_claims") == 3
    terminal_bench.status_ms(tmp_path / "status.db", pending=30)
    terminal_bench.redeemed_set(tmp_path / "set.db", size=300, probes=10)
    assert _rows(tmp_path / "set.db", "redeemed") == 300


def test_the_member_lots_bench_builds_its_till(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(member_lots_bench, "LOTS", 20)
    till = member_lots_bench._till(tmp_path / "till.db")
    try:
        shown = till.balance(member_lots_bench.MEMBER)
        assert shown.balance and shown.balance > 0
    finally:
        till.close()


def test_the_server_benches_fill_a_sqlite_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'server.db'}")
    try:
        migrate(engine)
        monkeypatch.setattr(outbox_bench, "EMAILS", 3)
        outbox_bench._fill(engine, outbox_bench._emails())
        with engine.connect() as conn:
            pending = select(func.count()).where(outbox.c.state == "pending")
            assert conn.execute(pending).scalar_one() == 3
        monkeypatch.setattr(play_otp_bench, "CHECKS", 2)
        assert set(play_otp_bench.measure(engine)) == {"baseline", "send", "wrong", "check"}
    finally:
        engine.dispose()


def _count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.postgres
def test_the_postgres_benches_seed_their_tables(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The prize office's queue, the dashboard and settlement write PostgreSQL's tables by hand
    (generate_series, COPY): one database holds the three, as each keeps to its own rows."""
    empty_postgres(postgres_url)
    monkeypatch.setattr(claims_queue_bench, "CLAIMS", 40)
    claims_queue_bench._seed(postgres_url)
    assert _count(postgres_url, "prize_claims") == 40
    for name, value in (("REDEMPTIONS", 400), ("CONFLICTS", 4), ("STORES", 8), ("DEVICES", 8)):
        monkeypatch.setattr(dashboard_bench, name, value)
    code = dashboard_bench._seed(postgres_url, tmp_path)
    assert code and _count(postgres_url, "events") == 400
    settlement_bench._load(postgres_url, 100)
    assert _count(postgres_url, "lots") > 0 and _count(postgres_url, "lot_uses") > 0
