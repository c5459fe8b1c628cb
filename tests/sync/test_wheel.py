"""The bonus wheel end to end (issue 28): a wheel set on the server with a seed it commits to,
devices holding slices of its sequence from sync, spins offline from the slice, the server
judging them at sync (slice, index, outcome, a member's spins a day across devices: a
double_spin conflict), points as lots, the seed revealed (the wheel ends) and every spin
verified against it, a tampered outcome caught. On SQLite and PostgreSQL (the `world`)."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, update

from server_stub.database.loyalty_tables import lots
from server_stub.database.schema import conflicts, events
from server_stub.database.wheel_tables import wheel_slices, wheel_spins, wheels
from server_stub.errors import ApiError
from server_stub.loyalty import wheel
from server_stub.loyalty.wheel_draw import outcome_at, parse_outcomes
from server_stub.records.conflicts import KINDS
from tests.world import Device, World

OUTCOMES = "50 points:40,100 points:10,cap:1,nothing:49"
PHONE = "+77011234567"


def _wheel(world: World, spins: int = 1000, per_day: int = 1) -> dict[str, object]:
    world.setup()
    return wheel.set_wheel(world.engine, "ice-2026", OUTCOMES, per_day, spins)


def _visit(device: Device, member: str = PHONE) -> None:
    assert device.terminal.checkin(member).ok


def test_set_commits_to_a_seed_and_its_budget_is_exact(world: World) -> None:
    done = _wheel(world, spins=2000)
    assert len(str(done["commitment"])) == 64
    budget = done["budget"]
    assert isinstance(budget, dict) and sum(budget.values()) == 2000
    assert 600 < budget["50 points"] < 1000 and budget["cap"] < 60  # 40% and 1% of 2,000
    assert wheel.published(world.engine, "ice-2026")["commitment"] == done["commitment"]
    with pytest.raises(ApiError) as bad:
        wheel.set_wheel(world.engine, "ice-2026", "cap:0,nothing:1")
    assert bad.value.code == "bad_outcomes"
    with pytest.raises(ApiError):
        wheel.set_wheel(world.engine, "no-such", OUTCOMES)


def test_a_spin_offline_gives_the_servers_outcome_and_its_points_become_a_lot(
    world: World,
) -> None:
    _wheel(world)
    kiosk = world.device("s1", "Kiosk 1")
    kiosk.sync()  # the wheel and a slice of it
    rules = kiosk.terminal.wheel()
    assert rules is not None and rules.open and rules.held == wheel.SLICE
    assert [(o.label, o.weight) for o in rules.outcomes] == [
        ("50 points", 40),
        ("100 points", 10),
        ("cap", 1),
        ("nothing", 49),
    ]
    world.transport.down = True  # offline from here
    refused = kiosk.terminal.spin(PHONE)
    assert refused.status == "not_qualified"  # no check-in yet
    _visit(kiosk)
    spun = kiosk.terminal.spin(PHONE)
    assert spun.status == "spun" and spun.outcome
    again = kiosk.terminal.spin(PHONE)
    assert again.status == "already_spun"
    with world.engine.connect() as conn:
        seed = bytes.fromhex(conn.execute(select(wheels.c.seed)).scalar_one())
        first = conn.execute(select(wheel_slices.c.start)).scalar_one()
    drawn = outcome_at(seed, first, parse_outcomes(OUTCOMES))
    assert (spun.outcome, spun.points) == (drawn.label, drawn.points)  # the server's draw
    world.transport.down = False
    kiosk.sync()
    with world.engine.connect() as conn:
        row = conn.execute(select(events.c.verdict, events.c.reason)
                           .where(events.c.kind == "spin")).one()  # fmt: skip
        assert row.verdict == "accepted", row.reason
        earned = conn.execute(select(lots.c.points).where(
            lots.c.event_id == spun.event_id)).scalar()  # fmt: skip
    assert earned == (drawn.points or None)


def test_a_member_spinning_on_two_offline_devices_the_same_day_is_a_double_spin(
    world: World,
) -> None:
    _wheel(world)
    a, b = world.device("s1", "Kiosk A"), world.device("s2", "Kiosk B")
    a.sync()
    b.sync()
    world.transport.down = True
    for device in (a, b):
        _visit(device)
        assert device.terminal.spin(PHONE).status == "spun"
    world.transport.down = False
    a.sync()
    b.sync()
    assert "double_spin" in KINDS
    with world.engine.connect() as conn:
        found = conn.execute(select(conflicts.c.kind, conflicts.c.loser_device,
                                    conflicts.c.winner_device)).all()  # fmt: skip
    assert found == [("double_spin", b.ledger.device().device_id, a.ledger.device().device_id)]
    alerts = b.terminal.status()
    assert "double_spin" in json.dumps(alerts)


def test_the_budget_is_never_overspent_even_offline(world: World) -> None:
    _wheel(world, spins=30)  # a wheel of 30 spins, devices asking for 20 each
    devices = [world.device("s1", f"K{n}") for n in range(3)]
    for d in devices:
        d.sync()
    held = [d.terminal.wheel() for d in devices]
    assert [h.held if h else 0 for h in held] == [20, 10, 0]
    world.transport.down = True
    members = [f"+7701000{n:04d}" for n in range(25)]
    results = []
    for n, member in enumerate(members):
        device = devices[n % 2]
        _visit(device, member)
        results.append(device.terminal.spin(member).status)
    third = devices[2]
    _visit(third, members[0])
    assert third.terminal.spin(members[0]).status == "no_spins"  # a clear refusal
    world.transport.down = False
    for d in devices:
        d.sync()
    with world.engine.connect() as conn:
        used = conn.execute(select(wheel_spins.c.idx)).scalars().all()
        ranges = conn.execute(select(wheel_slices.c.start, wheel_slices.c.stop)).all()
    assert len(used) == len(set(used)) == sum(r == "spun" for r in results) <= 30
    assert all(0 <= i < 30 for i in used)
    covered = sorted(i for r in ranges for i in range(r.start, r.stop))
    assert covered == sorted(set(covered)) and max(covered) < 30  # no index given twice


def test_a_forged_spin_is_refused_and_a_tampered_outcome_caught_by_verify(world: World) -> None:
    _wheel(world)
    kiosk = world.device("s1", "Kiosk 1")
    kiosk.sync()
    _visit(kiosk)
    spun = kiosk.terminal.spin(PHONE)
    _visit(kiosk, "+77019999999")
    kiosk.terminal.spin("+77019999999")
    kiosk.sync()
    with pytest.raises(ApiError) as early:
        wheel.verify(world.engine, "ice-2026")
    assert early.value.code == "not_revealed"
    revealed = wheel.reveal(world.engine, "ice-2026")
    assert hashlib.sha256(bytes.fromhex(revealed["seed"])).hexdigest() == revealed["commitment"]
    kiosk.sync()
    rules = kiosk.terminal.wheel()
    assert rules is not None and not rules.open and rules.held == 0
    assert kiosk.terminal.spin(PHONE).status == "wheel_ended"  # no device spins after it
    checked = wheel.verify(world.engine, "ice-2026")
    assert checked["ok"] and checked["spins"] == 2
    with world.engine.begin() as conn:  # someone changes what a spin recorded
        conn.execute(update(wheel_spins).where(wheel_spins.c.event_id == spun.event_id)
                     .values(outcome="cap" if spun.outcome != "cap" else "nothing"))  # fmt: skip
    caught = wheel.verify(world.engine, "ice-2026")
    assert not caught["ok"] and [p["event_id"] for p in caught["problems"]] == [spun.event_id]


def test_a_spin_outside_the_devices_slice_or_with_another_outcome_is_rejected(
    world: World,
) -> None:
    _wheel(world)
    a, b = world.device("s1", "A"), world.device("s1", "B")
    a.sync()
    b.sync()
    with a.ledger.write() as conn:  # a tampered ledger: A takes B's first index, then lies
        conn.execute("UPDATE wheel_held SET idx = idx + 1000 WHERE event_id IS NULL")
    _visit(a)
    assert a.terminal.spin(PHONE).status == "spun"
    a.sync()
    with world.engine.connect() as conn:
        reason = conn.execute(select(events.c.reason).where(events.c.kind == "spin")).scalar_one()
    assert reason.startswith("not_in_slice")


def test_a_device_showing_another_outcome_than_its_index_draws_is_rejected(world: World) -> None:
    _wheel(world)
    kiosk = world.device("s1", "Kiosk")
    kiosk.sync()
    with world.engine.connect() as conn:
        seed = bytes.fromhex(conn.execute(select(wheels.c.seed)).scalar_one())
        first = conn.execute(select(wheel_slices.c.start)).scalar_one()
    drawn = outcome_at(seed, first, parse_outcomes(OUTCOMES)).label
    lie = "cap" if drawn != "cap" else "nothing"
    with kiosk.ledger.write() as conn:  # a tampered ledger shows another outcome
        conn.execute("UPDATE wheel_held SET outcome = ? WHERE idx = ?", (lie, first))
    _visit(kiosk)
    assert kiosk.terminal.spin(PHONE).outcome == lie
    kiosk.sync()
    with world.engine.connect() as conn:
        row = conn.execute(select(events.c.verdict, events.c.reason)
                           .where(events.c.kind == "spin")).one()  # fmt: skip
    assert (row.verdict, row.reason.split(":")[0]) == ("rejected", "wrong_outcome")
