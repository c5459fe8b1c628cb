"""A spin voided on its device (a prize not handed over at the counter) at the server: as a void
of a redemption releases the code, a void of a spin takes its record away, so it counts no more
toward the member's spins of the day (no double_spin on another device), its index is the
device's to spin again (the outcome is back in the wheel's budget, and a device that spins it
again in the same push is not refused), its points go with their lot, and verify still holds.
On SQLite and PostgreSQL (the `world`)."""

from __future__ import annotations

from sqlalchemy import select

from server_stub.database.loyalty_tables import lots
from server_stub.database.schema import conflicts, events
from server_stub.database.wheel_tables import wheel_spins
from server_stub.loyalty import wheel
from tests.sync.test_wheel import PHONE, _visit, _wheel
from tests.world import Device, World


def _verdicts(world: World) -> list[tuple[str, str, str]]:
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(events.c.kind, events.c.verdict, events.c.reason)
            .where(events.c.kind.in_(("spin", "void"))).order_by(events.c.seq)
        ).all()  # fmt: skip
    return [(r.kind, r.verdict, r.reason.split(":")[0]) for r in rows]


def _spins(world: World) -> list[tuple[int, str]]:
    with world.engine.connect() as conn:
        rows = conn.execute(select(wheel_spins.c.idx, wheel_spins.c.event_id)).all()
    return sorted((int(r.idx), r.event_id) for r in rows)


def test_a_voided_spin_spun_again_offline_reaches_the_server_as_one(world: World) -> None:
    _wheel(world)
    kiosk = world.device("s1", "Kiosk")
    kiosk.sync()
    world.transport.down = True
    _visit(kiosk)
    first = kiosk.terminal.spin(PHONE)
    assert kiosk.terminal.void(first.reference or "", "no caps left", "ann").ok
    second = kiosk.terminal.spin(PHONE)
    assert second.status == "spun" and second.outcome == first.outcome  # the same index
    world.transport.down = False
    kiosk.sync()
    assert _verdicts(world) == [("spin", "accepted", ""), ("void", "accepted", ""),
                                ("spin", "accepted", "")]  # fmt: skip
    (_index, event), *rest = _spins(world)
    assert not rest and event == second.event_id
    wheel.reveal(world.engine, "ice-2026")
    checked = wheel.verify(world.engine, "ice-2026")
    assert checked["ok"] and checked["spins"] == 1


def test_a_spin_voided_after_sync_counts_no_more_and_its_index_is_free(world: World) -> None:
    _wheel(world)
    a, b = world.device("s1", "Kiosk A"), world.device("s2", "Kiosk B")
    a.sync()
    b.sync()
    _visit(a)
    spun = a.terminal.spin(PHONE)
    a.sync()
    assert [e for _, e in _spins(world)] == [spun.event_id]
    assert a.terminal.void(spun.reference or "", "the prize was not handed over").ok
    a.sync()
    assert _spins(world) == []  # the spin is no longer recorded...
    with world.engine.connect() as conn:
        held = wheel.unused(conn, "ice-2026", a.ledger.device().device_id)
        index = conn.execute(select(events.c.serial).where(events.c.event_id == spun.event_id))
        assert index.scalar() in held  # ...its index is A's to spin again,
    rules = a.terminal.wheel()
    assert rules is not None and rules.held == len(held) == wheel.SLICE + 1  # and A holds it
    _visit(b)  # the same member, the same day, at another store
    assert b.terminal.spin(PHONE).status == "spun"
    b.sync()
    with world.engine.connect() as conn:
        assert conn.execute(select(conflicts.c.kind)).all() == []  # no double_spin
    assert [v for k, v, _ in _verdicts(world) if k == "spin"] == ["accepted", "accepted"]


def _points_spin(device: Device) -> tuple[str, int]:
    """A member's spin that won points (the draw decides which member's does)."""
    for n in range(40):
        member = f"+7701555{n:04d}"
        _visit(device, member)
        spun = device.terminal.spin(member)
        if spun.points:
            return spun.event_id or "", spun.points
    raise AssertionError("no spin of 40 won points")


def test_a_voided_spin_of_points_takes_its_lot_back_and_settles_its_double_spin(
    world: World,
) -> None:
    _wheel(world)
    a, b = world.device("s1", "Kiosk A"), world.device("s2", "Kiosk B")
    a.sync()
    b.sync()
    event, points = _points_spin(a)
    a.sync()
    with world.engine.connect() as conn:
        assert (
            conn.execute(select(lots.c.points).where(lots.c.event_id == event)).scalar() == points
        )
    assert a.terminal.void(event, "spun by mistake").ok
    a.sync()
    with world.engine.connect() as conn:
        taken = conn.execute(
            select(events.c.points).where(events.c.kind == "void", events.c.target == event)
        ).scalar()  # fmt: skip
    assert taken == -points
    # a double spin voided on the device that made it settles its conflict
    world.transport.down = True
    for device in (a, b):
        _visit(device)
    assert a.terminal.spin(PHONE).status == "spun"
    second = b.terminal.spin(PHONE)
    world.transport.down = False
    a.sync()
    b.sync()
    with world.engine.connect() as conn:
        assert conn.execute(select(conflicts.c.state)).scalars().all() == ["open"]
    assert b.terminal.void(second.reference or "", "spun twice today").ok
    b.sync()
    with world.engine.connect() as conn:
        row = conn.execute(select(conflicts.c.kind, conflicts.c.state, conflicts.c.action)).one()
    assert tuple(row) == ("double_spin", "resolved", "voided")
