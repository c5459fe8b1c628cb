"""A partner's earn rules reach its stores' devices at their next sync, and the server recounts
an accrual by them (with the basket's categories and the purchase's day) to the same points."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from server_stub.catalog import device_config, prize_catalogue, store_setup
from server_stub.database.schema import alerts, events
from server_stub.errors import ApiError
from server_stub.loyalty import partners
from sync import outbox
from tests.server_stub.test_attacks import _resigned
from tests.world import Device, World

FUEL_RULES = {
    "rounding": "nearest", "min_purchase": 5.0, "category_multipliers": {"fuel": 2.0},
    "bonus_periods": [{"start": "2000-01-01", "end": "2000-01-02", "multiplier": 5.0}],
}  # fmt: skip


def _server_points(world: World, receipt: str) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(select(events.c.points).where(events.c.receipt == receipt))
                   .scalar_one())  # fmt: skip


def _mismatches(world: World) -> list[str]:
    with world.engine.connect() as conn:
        return list(conn.execute(select(alerts.c.message)
                                 .where(alerts.c.kind == "points_mismatch")).scalars())  # fmt: skip


def test_a_partner_store_earns_by_the_partner_rules_and_the_server_agrees(world: World) -> None:
    world.setup(stores=("s1",))
    with world.engine.begin() as conn:
        partners.create(conn, "fuel", "Fuel Co", "accrual", 0.1, rules=FUEL_RULES)
    store_setup.create_store(world.engine, "pump-1", "Ring road pump", partner_id="fuel")
    till = world.device("pump-1", "Pump till")
    loyalty = till.terminal.config.loyalty
    assert loyalty.rounding == "nearest" and loyalty.category_multipliers == {"fuel": 2.0}
    # 40 of fuel counts twice: 80 + 55 = 135 -> 13.5 units, nearest 14
    basket = till.terminal.accrue("+77011234567", 95.0, "R-1", categories={"fuel": 40.0})
    assert basket.points == 14
    assert till.terminal.accrue("+77011234567", 95.0, "R-2").points == 10  # no basket: 9.5
    assert till.terminal.accrue("+77011234567", 4.99, "R-3").points == 0  # under the minimum
    till.sync()
    assert [_server_points(world, r) for r in ("R-1", "R-2", "R-3")] == [14, 10, 0]
    assert _mismatches(world) == []
    other = world.device("s1", "Corner shop till")  # a store of no partner: the chain's rules
    assert other.terminal.accrue("+77011234567", 95.0, "R-4", categories={"fuel": 40.0}).points == 9


def test_new_partner_rules_reach_the_devices_at_their_next_sync(world: World) -> None:
    world.setup(stores=("s1",))
    with world.engine.begin() as conn:
        partners.create(conn, "fuel", "Fuel Co", "accrual", 0.1)
        partners.assign_store(conn, "s1", "fuel")
    till = world.device("s1", "Till 1")
    assert till.terminal.accrue("M-1", 95.0, "R-1").points == 9
    with world.engine.begin() as conn:
        partners.set_rules(conn, "fuel", {"rounding": "up"})
    till.sync()
    till.terminal.reload()
    assert till.terminal.accrue("M-1", 95.0, "R-2").points == 10
    till.sync()
    assert _server_points(world, "R-1") == 9 and _server_points(world, "R-2") == 10
    assert _mismatches(world) == []  # each counted by the rules the till had


def test_a_device_inventing_a_basket_is_recounted(world: World) -> None:
    """Categories the server cannot read count as if not sent; the device's figure is not
    the one that counts."""
    world.setup(stores=("s1",))
    with world.engine.begin() as conn:
        partners.create(conn, "fuel", "Fuel Co", "accrual", 0.1,
                        rules={"category_multipliers": {"fuel": 100.0}})  # fmt: skip
        partners.assign_store(conn, "s1", "fuel")
        config = device_config.device_config(conn, "s1")
    bad = {"member": "M", "amount": 50.0, "categories": {"fuel": "lots"}, "day": "soon"}
    assert config.loyalty.points_for_accrual(bad) == 5
    assert config.loyalty.points_for_accrual({**bad, "categories": {"fuel": 50}}) == 500


def test_a_prize_names_its_supplier_and_an_unknown_one_is_refused(world: World) -> None:
    world.setup(stores=("s1",))
    with world.engine.begin() as conn:
        partners.create(conn, "cinema", "Star Cinema", "redemption", 0.05)
    made = prize_catalogue.put_item(world.engine, "ticket", "Cinema ticket", 300, "cinema")
    assert made["partner"] == "cinema"
    listed = prize_catalogue.list_items(world.engine)
    assert [(i["id"], i["partner"], i["partner_name"]) for i in listed] == [
        ("ticket", "cinema", "Star Cinema")
    ]
    try:
        prize_catalogue.put_item(world.engine, "tv", "Television", 90_000, "nobody")
    except ApiError as refused:
        assert refused.code == "no_partner"
    else:
        raise AssertionError("a prize of an unknown partner was kept")
    till = world.device("s1", "Till 1")
    assert [(i.id, i.partner) for i in till.terminal.config.catalogue] == [("ticket", "cinema")]


def _bonus_till(world: World, bonus: list[dict[str, object]]) -> Device:
    world.setup(stores=("s1",))
    with world.engine.begin() as conn:
        partners.create(conn, "fuel", "Fuel Co", "accrual", 0.1, rules={"bonus_periods": bonus})
        partners.assign_store(conn, "s1", "fuel")
    return world.device("s1", "Till 1")


def test_a_forged_day_earns_no_bonus_and_names_the_till(world: World) -> None:
    """The bonus is counted by the day of the moment the server believes (the till's clock held
    to its offline window), not by the `day` a till writes: a forged till claiming the bonus
    days of 2000 is counted without them and named."""
    till = _bonus_till(world, [{"start": "2000-01-01", "end": "2000-01-02", "multiplier": 5.0}])
    assert till.terminal.accrue("+77011234567", 95.0, "R-1").points == 9
    till.terminal.accrue("+77011234567", 95.0, "R-2")
    first, second = outbox.outgoing(till.ledger, 10)
    answer = till.client.push([
        _resigned(till, first, day="2000-01-01", points=47),
        _resigned(till, second, "2000-01-01T12:00:00+00:00", day="2000-01-01", points=47),
    ])  # fmt: skip
    assert [v.verdict for v in answer.verdicts] == ["accepted", "accepted"]
    assert [_server_points(world, r) for r in ("R-1", "R-2")] == [9, 9]
    named = _mismatches(world)
    assert len(named) == 2 and all("Till 1" in m and "47" in m for m in named), named


def test_a_bonus_day_counts_by_when_the_purchase_was_made(world: World) -> None:
    """A till that sold on a bonus day's last evening and syncs the next morning gets the
    bonus; a till a few hours ahead of UTC (its day already tomorrow) is believed too."""
    now = datetime.now(UTC)
    yesterday, today = (now - timedelta(days=1)).date(), now.date()
    till = _bonus_till(world, [
        {"start": yesterday.isoformat(), "end": yesterday.isoformat(), "multiplier": 3.0}
    ])  # fmt: skip
    till.terminal.accrue("+77011234567", 95.0, "R-1")  # today: no bonus
    till.terminal.accrue("+77011234567", 95.0, "R-2")
    till.terminal.accrue("+77011234567", 95.0, "R-3")
    one, two, three = outbox.outgoing(till.ledger, 10)
    evening = datetime.combine(yesterday, time(22, 0), UTC).isoformat()  # offline, synced now
    east = datetime.combine(today, time(1, 0), UTC) - timedelta(hours=5)  # UTC+5: today, 1:00
    answer = till.client.push([
        one,
        _resigned(till, two, evening, day=yesterday.isoformat(), points=28),
        _resigned(till, three, east.isoformat(), day=today.isoformat(), points=9),
    ])  # fmt: skip
    assert [v.verdict for v in answer.verdicts] == ["accepted"] * 3
    assert [_server_points(world, r) for r in ("R-1", "R-2", "R-3")] == [9, 28, 9]
    assert _mismatches(world) == []
