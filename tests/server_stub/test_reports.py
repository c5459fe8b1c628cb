"""Reports over what devices pushed, and how the database finds the rows they need."""

from __future__ import annotations

import re
from typing import Any

from alembic import command
from sqlalchemy import event

from codes.campaign import Tier
from codes.checker import CodeChecker
from server_stub.accounts import users
from server_stub.dashboard import pages
from server_stub.database.connection import _alembic_config
from server_stub.records import conflicts, reports
from tests.world import World

PASSWORD = "correct horse battery"


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


def test_the_points_report_reads_the_counts_ingest_keeps_never_the_events(world: World) -> None:
    """A report's cost follows the hours and groups it covers, not the events behind them: on
    either database its one statement reads event_counts and never the events table."""
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

    ((statement, _),) = statements
    assert "event_counts" in statement and not re.search(r"\bevents\b", statement), statement


TIERS = (Tier("gold", 10, 250.0), Tier("silver", 100, 5.0), Tier("music", None, 0.5))


def _value(world: World, serial: int) -> float:
    return CodeChecker([world.cipher]).check(world.code(serial)).tier_value or 0.0


def _admin(world: World) -> users.Viewer:
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    return users.sign_in(world.engine, "ann", PASSWORD)


def _csv_total(page: dict[str, Any], column: str) -> Any:
    header, rows = reports.to_csv_rows(page["result"])
    return sum(row[header.index(column)] for row in rows)


def test_a_double_redemption_is_one_redemption_on_every_page_and_its_prize_is_named(
    world: World,
) -> None:
    """The same code redeemed at two stores offline, then synced: the overview, the reports page,
    its CSV and the campaign's cost all count one redemption of it; the second prize handed out
    is shown as a double redemption, with its own cost."""
    world.setup(tiers=TIERS)
    north, south = world.device("s1", "Till N"), world.device("s2", "Till S")
    north.terminal.redeem(world.code(5), actor="ann")
    north.terminal.redeem(world.code(6), actor="ann")
    south.terminal.redeem(world.code(5), actor="bob")  # offline: south cannot know
    assert north.sync().ok and south.sync().ok
    ann = _admin(world)
    won, twice = _value(world, 5) + _value(world, 6), _value(world, 5)

    overview = pages.overview(world.engine, ann)
    assert overview["tiles"]["redemptions_today"] == 2
    assert sum(h["redemptions"] for h in overview["hourly"]) == 2
    (campaign,) = overview["campaigns"]
    assert (campaign["redeemed"], campaign["cost"]) == (2, won)
    assert (campaign["double_redemptions"], campaign["double_redemption_cost"]) == (1, twice)

    by_day = pages.reports_page(world.engine, ann, {"what": "redemptions", "by": "day"})
    assert sum(r["count"] for r in by_day["result"]["rows"]) == 2
    assert sum(r["value"] for r in by_day["result"]["rows"]) == won
    assert sum(r["double_redemptions"] for r in by_day["result"]["rows"]) == 1
    assert (
        _csv_total(by_day, "count") == 2 and _csv_total(by_day, "double_redemption_cost") == twice
    )
    by_store = reports.report(world.engine, "redemptions", "store")
    assert [(r["key"], r["count"], r["double_redemptions"]) for r in by_store["rows"]] == [
        ("s1", 2, 0), ("s2", 0, 1),
    ]  # fmt: skip
    assert by_store["budget"] == overview["campaigns"]  # the CLI's cost is the overview's
    conflicts_by_store = reports.report(world.engine, "conflicts", "store")["rows"]
    assert [(r["key"], r["count"]) for r in conflicts_by_store] == [("s2", 1)]


def test_resolutions_and_voids_move_a_redemption_and_never_count_it_twice(world: World) -> None:
    world.setup(tiers=TIERS)
    north, south = world.device("s1", "Till N"), world.device("s2", "Till S")
    for serial in (5, 6, 7):
        north.terminal.redeem(world.code(serial))
        south.terminal.redeem(world.code(serial))
    north.terminal.redeem(world.code(8))
    assert north.sync().ok and south.sync().ok
    ann = _admin(world)

    def counted() -> tuple[int, int, int]:
        """(redemptions, double redemptions, events in conflict), the overview agreeing."""
        tiles = pages.overview(world.engine, ann)["tiles"]["redemptions_today"]
        rows = reports.report(world.engine, "redemptions", "campaign")["rows"]
        assert sum(r["count"] for r in rows) == tiles
        in_conflict = reports.report(world.engine, "conflicts", "day")["rows"]
        return (
            tiles,
            sum(r["double_redemptions"] for r in rows),
            sum(r["count"] for r in in_conflict),
        )

    assert counted() == (4, 3, 3)
    by_code = {c["serial"]: c["id"] for c in conflicts.list_conflicts(world.engine)}
    conflicts.resolve(world.engine, by_code[5], "void_winner", "ann", "the first was a test")
    assert counted() == (4, 2, 2)  # the code passed to south: still one redemption
    conflicts.resolve(world.engine, by_code[6], "recover", "ann", "the prize came back")
    assert counted() == (4, 1, 1)
    conflicts.resolve(world.engine, by_code[7], "accept_loss", "ann", "both keep it")
    assert counted() == (4, 1, 1)  # both prizes stand: still one redemption, one given twice
    assert north.terminal.void(world.code(8), "wrong pack").ok
    assert north.sync().ok
    assert counted() == (3, 1, 1)
    by_store = reports.report(world.engine, "redemptions", "store")["rows"]
    assert [(r["key"], r["count"]) for r in by_store] == [("s1", 2), ("s2", 1)]


def _every_report(world: World) -> dict[tuple[str, str], Any]:
    return {
        (what, by): reports.report(world.engine, what, by)
        for what in reports.REPORTS
        for by in reports.GROUPS
    }


def test_migration_0009_counts_stored_events_as_ingest_does(world: World) -> None:
    """Upgrading a database that holds events fills event_counts by the same definition ingest
    counts with: every report, grouped every way, reads the same after as before."""
    world.setup(tiers=TIERS)
    north, south = world.device("s1", "Till N"), world.device("s2", "Till S")
    shopper = {"consent": True, "age_band": "25-34", "gender": "f", "city": "Almaty"}
    north.terminal.redeem(world.code(1), actor="ann", context=shopper)
    north.terminal.redeem(world.code(2), actor="ann", context={**shopper, "consent": False})
    north.terminal.redeem(world.code(3), actor="ann", context={"consent": True, "city": 7})
    north.terminal.redeem(world.code(4), actor="ann")
    south.terminal.redeem(world.code(4), actor="bob", context=shopper)
    south.terminal.redeem(world.code(9), actor="bob")
    assert south.terminal.void(world.code(9), "wrong pack").ok
    north.terminal.accrue("M-1", 120.0, "R-1", actor="ann")
    north.terminal.spend("M-1", 10, "cone", actor="ann")
    south.terminal.spend("M-1", 10, "cone", actor="bob")  # offline: overdraws
    assert north.sync().ok and south.sync().ok
    conflict = conflicts.list_conflicts(world.engine, kind="double_redemption")[0]["id"]
    conflicts.resolve(world.engine, conflict, "void_winner", "ann", "the first was a test")
    kept = _every_report(world)  # south's redemption of code 4, Almaty's too, now stands
    assert kept[("redemptions", "city")]["rows"][0] == {
        "key": "Almaty", "count": 2, "value": _value(world, 1) + _value(world, 4), "double_redemptions": 0,
        "double_redemption_cost": 0,
    }  # fmt: skip
    assert kept[("redemptions", "campaign")]["rows"][0]["count"] == 4
    with world.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0008")
        command.upgrade(_alembic_config(conn), "head")
    assert _every_report(world) == kept


def test_a_reports_csv_and_its_lines_name_the_grouping_not_key() -> None:
    """A spreadsheet's first column says store (or day, cashier...), as the words do."""
    result = {"report": "redemptions", "by": "store", "rows": [{"key": "north", "count": 2}]}
    header, rows = reports.to_csv_rows(result)
    assert header == ["store", "count"] and rows == [["north", 2]]
    assert reports.column_name({"by": "cashier"}, "key") == "cashier"
    assert reports.column_name({"by": "cashier"}, "count") == "count"
