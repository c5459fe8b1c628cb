"""Points conflicts counted by their own kind: an overdraft, a limit passed and a spend without
the member's code are three kinds in the conflicts report and in /metrics, not three overdrafts;
and the points report's "spent" is what the lots gave (an overdraft consumes nothing)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import func, select

from server_stub import metrics
from server_stub.database.connection import _alembic_config
from server_stub.database.loyalty_tables import lot_uses
from server_stub.database.migrations import versions
from server_stub.loyalty import limits, program
from server_stub.records import conflicts, reports
from terminal.results import Status
from tests.world import World

MEMBER = "+77011234567"
KINDS = ("double_redemption", "overdraft", "limit_exceeded", "unconfirmed_spend")


def _three_conflicts(world: World) -> None:
    """An overdraft (two tills spending the same points offline), a spend past a cashier's
    limit, and a spend above the code threshold from a till that skipped the code."""
    world.setup(stores=("s1",))
    a, b = world.device("s1", "Till A"), world.device("s1", "Till B")
    assert a.terminal.accrue(MEMBER, 1000.0, "R-1").points == 100
    a.sync()
    b.sync()
    assert a.terminal.spend(MEMBER, 80, "cap").status is Status.ACCEPTED_OFFLINE
    assert b.terminal.spend(MEMBER, 80, "cap").status is Status.ACCEPTED_OFFLINE
    a.sync()
    b.sync()  # the later one overdraws: a conflict that consumes nothing
    assert a.terminal.accrue(MEMBER, 2000.0, "R-2").points == 200
    a.sync()
    assert a.terminal.spend(MEMBER, 60, "mug", actor="anna").status is Status.ACCEPTED_OFFLINE
    limits.set_limit(world.engine, "cashier", "spend_points", "operation", hard=50)
    a.sync()  # 60 in one operation: past the limit the till had not heard of
    with world.engine.begin() as conn:
        program.set_program(conn, otp_above=30)
    points = a.terminal._points
    points.config = dataclasses.replace(points.config, otp_above=0)  # a till that skips the code
    assert a.terminal.spend(MEMBER, 40, "pen").status is Status.ACCEPTED_OFFLINE
    a.sync()
    kinds = sorted(c["kind"] for c in conflicts.list_conflicts(world.engine))
    assert kinds == ["limit_exceeded", "overdraft", "unconfirmed_spend"]


def _by_kind(world: World) -> dict[str, Any]:
    (row,) = reports.report(world.engine, "conflicts", "store")["rows"]
    return {k: row[k] for k in ("count", *KINDS)}


def _spent_from_lots(world: World) -> int:
    with world.engine.connect() as conn:
        query = select(func.sum(lot_uses.c.points)).where(lot_uses.c.kind == "spend")
        return int(conn.execute(query).scalar_one())


def test_each_points_conflict_counts_as_its_own_kind_and_spent_is_what_the_lots_gave(
    world: World,
) -> None:
    _three_conflicts(world)
    assert _by_kind(world) == {"count": 3, "double_redemption": 0, "overdraft": 1,
                               "limit_exceeded": 1, "unconfirmed_spend": 1}  # fmt: skip
    (points,) = reports.report(world.engine, "points", "store")["rows"]
    assert (points["earned"], points["spent"]) == (300, 180)  # not the overdraft's 80
    assert points["spent"] == _spent_from_lots(world)
    # staff recover the limit's spend: it leaves its own kind, not the overdrafts
    (passed,) = conflicts.list_conflicts(world.engine, kind="limit_exceeded")
    conflicts.resolve(world.engine, passed["id"], "recover", "ann", "taken back")
    assert _by_kind(world) == {"count": 2, "double_redemption": 0, "overdraft": 1,
                               "limit_exceeded": 0, "unconfirmed_spend": 1}  # fmt: skip


def test_metrics_count_a_points_conflict_by_its_kind() -> None:
    def seen(kind: str) -> float:
        return float(metrics.CONFLICTS.labels(kind)._value.get())

    before = {k: seen(k) for k in ("limit_exceeded", "unconfirmed_spend", "other")}
    metrics.ingested([], ["limit_exceeded: past 50", "unconfirmed_spend: no code"])
    assert seen("limit_exceeded") == before["limit_exceeded"] + 1
    assert seen("unconfirmed_spend") == before["unconfirmed_spend"] + 1
    assert seen("other") == before["other"]


def _before_0020() -> str:
    """The revision migration 0020 follows."""
    (path,) = Path(versions.__file__).parent.glob("0020_*.py")
    (found,) = re.findall(r'^down_revision = "(\w+)"', path.read_text(), re.MULTILINE)
    return str(found)


def test_counts_written_before_conflicts_had_kinds_are_moved_by_the_migration(
    world: World,
) -> None:
    """Migration 0009 counts stored events as ingest once did (every points conflict an
    overdraft, its points spent); 0020 moves them to what ingest counts now."""
    _three_conflicts(world)
    kept = (_by_kind(world), reports.report(world.engine, "points", "day")["rows"])
    with world.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0008")
        command.upgrade(_alembic_config(conn), _before_0020())
    assert _by_kind(world)["overdraft"] == 3  # as the counts were before
    with world.engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    assert (_by_kind(world), reports.report(world.engine, "points", "day")["rows"]) == kept
