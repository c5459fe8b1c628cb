"""loyalty/settlement: one month's settlement over 10^7 point events on PostgreSQL (target
<= 5 s), and the finance report over the same tables; against a plain count of the month's
lot uses measured in the same run.

The rows are made in PostgreSQL itself (INSERT ... SELECT generate_series) in a scratch
database this bench creates and drops: half the events are lots earned in November 2026 by five
partners, half are their uses (spends at the partners' stores, returns, voids, expiries), plus
a tenth as many again in October so the month's bounds have something to leave out. To make
them quickly, as a bulk load would: the two tables are UNLOGGED (a scratch database needs no
crash safety, and a read does not depend on it), their secondary indexes and unique constraints
are dropped before and built again after, lots and uses are inserted on two connections at
once, and VACUUM ANALYZE follows, as autovacuum would after a month's rows.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any

import psycopg

from bench.report import Row, print_table
from bench.sync_bench import POSTGRES
from server_stub.database.connection import migrate, open_engine
from server_stub.loyalty import finance, settlement

EVENTS = int(os.environ.get("INSTORE_BENCH_SETTLEMENT_EVENTS", 10**7))
RUNS = 3
MONTH = "2026-11"
PARTNERS = 5


TABLES = ("lots", "lot_uses")


def _load(url: str, events: int) -> float:
    """The rows, in seconds taken; lots and uses half each, and a tenth more in October."""
    start = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    span = 30 * 86400.0
    lots_n = events // 2
    months = ((1, lots_n, 0.0), (lots_n + 1, lots_n // 10, -span))
    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO partners (id, name, role, point_price, rules, created)"
            " SELECT 'p' || i, 'Partner ' || i, 'both', 0.01 * (i + 1), '{}', 0"
            f" FROM generate_series(0, {PARTNERS - 1}) i"
        )
        rebuild = _without_indexes(conn)
        lots_rows = [
            # lots: one a member of 10^6, earned evenly through the month, pending 14 days
            "INSERT INTO lots (member_id, partner_id, store_id, event_id, points, remaining,"
            " earned_at, pending_until, expires_at)"
            f" SELECT i % 1000000, 'p' || (i % {PARTNERS}), 's' || (i % 500), 'e' || i,"
            " 1 + i % 200, (1 + i % 200) / 2,"
            f" {start + offset} + (i - {first}) * {span / count},"
            f" {start + offset} + (i - {first}) * {span / count} + 14 * 86400,"
            f" {start + offset} + 400 * 86400"
            f" FROM generate_series({first}, {first + count - 1}) i"
            for first, count, offset in months
        ]
        uses_rows = [
            # uses: 7 in 10 spends at another partner's store, a return, a void, an expiry
            "INSERT INTO lot_uses (lot_id, member_id, kind, event_id, points, issuer,"
            " redeemer, store_id, at)"
            " SELECT i, i % 1000000,"
            " CASE i % 10 WHEN 7 THEN 'return' WHEN 8 THEN 'void' WHEN 9 THEN 'expire'"
            " ELSE 'spend' END, 'u' || i, 1 + i % 100, 'p' || (i % 5),"
            f" CASE WHEN i % 10 < 7 THEN 'p' || ((i * 7 + 3) % {PARTNERS}) END, 's1',"
            f" {start + offset} + (i - {first}) * {span / count}"
            f" FROM generate_series({first}, {first + count - 1}) i"
            for first, count, offset in months
        ]
        # a connection per table: its rows, then its indexes, then VACUUM ANALYZE
        work = [
            [*rows, *rebuild[table], f"VACUUM ANALYZE {table}"]
            for table, rows in (("lots", lots_rows), ("lot_uses", uses_rows))
        ]
        with ThreadPoolExecutor(len(work)) as pool:
            list(pool.map(partial(_run, url), work))
    return time.perf_counter() - began


def _without_indexes(conn: psycopg.Connection[Any]) -> dict[str, list[str]]:
    """Drops the tables' indexes and unique constraints but their primary keys, sets them
    UNLOGGED, and answers per table the statements that build those again: a btree built
    once over all the rows is much faster than one kept up to date row by row."""
    rebuild: dict[str, list[str]] = {table: [] for table in TABLES}
    for table in TABLES:
        constraints = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'u'", (table,)
        ).fetchall()  # fmt: skip
        owned = {name for name, _ in constraints}
        for name, definition in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s"
            " AND indexname <> %s", (table, f"{table}_pkey")
        ).fetchall():  # fmt: skip
            if name not in owned:
                conn.execute(f"DROP INDEX {name}")
                rebuild[table].append(definition)
        for name, definition in constraints:
            conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            rebuild[table].append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        conn.execute(f"ALTER TABLE {table} SET UNLOGGED")
    return rebuild


def _run(url: str, statements: list[str]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        for statement in statements:
            conn.execute(statement)


def _median(work: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def run() -> None:
    name = f"instore_settle_bench_{os.getpid()}"
    try:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.Error as exc:
        print(f"\nloyalty/settlement: skipped, no PostgreSQL at {POSTGRES} ({exc})")
        return
    url = POSTGRES.rsplit("/", 1)[0] + "/" + name
    engine = open_engine(url)
    try:
        migrate(engine)
        loaded = _load(url, EVENTS)
        month = settlement.period(MONTH)
        with psycopg.connect(url) as raw:
            baseline = _median(
                lambda: raw.execute(
                    "SELECT count(*), sum(points) FROM lot_uses WHERE at >= %s AND at < %s",
                    (month.start, month.end),
                ).fetchone()
            )
        with engine.connect() as conn:
            settled = _median(lambda: settlement.settle(conn, month))
            result = settlement.settle(conn, month)
            reported = _median(lambda: finance.finance(conn, now=month.end))
        counted = sum(p.earned for p in result.partners)
        rows = [
            Row(f"settlement of {MONTH}: {EVENTS:,} point events ({counted:,} points earned)",
                f"{settled:.2f} s", "<= 5 s", settled <= 5.0,
                f"{settled / baseline:.1f}x a plain count of the month's lot uses"),
            Row("finance report (liability, breakage) over the same tables",
                f"{reported:.2f} s", "report", None,
                f"{reported / baseline:.1f}x the plain count"),
            Row("making the rows (INSERT ... SELECT generate_series unlogged, indexes after,"
                " VACUUM ANALYZE)",
                f"{loaded:.0f} s", "report", None),
        ]  # fmt: skip
        print_table(
            "loyalty/settlement (PostgreSQL; other test runs share the machine's 2 cores, so"
            " these figures are pessimistic)",
            f"SELECT count(*), sum(points) of the month's lot uses: {baseline:.2f} s"
            f" (median of {RUNS})",
            rows,
        )
    finally:
        engine.dispose()
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        EVENTS = int(sys.argv[1])
    run()
