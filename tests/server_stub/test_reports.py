"""Reports over what devices pushed, and how the database finds the rows they need."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from server_stub.records import reports
from tests.world import World


def _statements(world: World, run: Any) -> list[tuple[str, Any]]:
    """The SELECTs `run()` sends to the database, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def note(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(world.engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(world.engine, "before_cursor_execute", note)
    return seen


def test_the_points_report_reads_point_events_without_scanning_redemptions(world: World) -> None:
    """Redemptions are most events and have no entry in the points index (cheaper to store);
    the points report still finds the few point events through it, on either database."""
    world.setup()
    till = world.device("s1", "Till 1")
    for serial in range(30):
        till.terminal.redeem(world.code(serial))
    till.terminal.accrue("M-1", 120.0, "R-1")
    till.terminal.spend("M-1", 5, "cone")
    assert till.sync().ok

    got: dict[str, Any] = {}
    statements = _statements(
        world, lambda: got.update(reports.report(world.engine, "points", "store"))
    )
    assert [(r["key"], r["earned"], r["spent"]) for r in got["rows"]] == [("s1", 12, 5)]

    ((statement, parameters),) = statements
    with world.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = " ".join(
                str(r[-1])
                for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
        else:  # on a table this small a scan is cheaper: forbid it, so only a usable index is used
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(
                str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            )
    assert "events_points" in plan, plan
