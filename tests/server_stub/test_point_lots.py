"""Points pushed by tills become lots: the store's partner issues them, a spend at another partner
consumes them, voids take back and give back, a blocked member earns nothing, and a push sent
twice counts once. Through the real sync path (tills, the server in-process)."""

from __future__ import annotations

import time

from sqlalchemy import select

from server_stub.database.loyalty_tables import lot_uses, lots
from server_stub.database.loyalty_tables import members as member_table
from server_stub.database.schema import balances
from server_stub.database.schema import stores as world_stores
from server_stub.device_api import point_lots
from server_stub.loyalty import members, partners
from sync import outbox
from tests.world import Device, World

PHONE = "+77011234567"


def coalition(world: World, pending_days: int = 0) -> World:
    world.setup(stores=("s1", "s2", "s3"), pending_days=pending_days)
    with world.engine.begin() as conn:
        partners.create(conn, "fuel", "Fuel Co", "both", 0.10)
        partners.create(conn, "shop", "Shop Co", "both", 0.20)
        conn.execute(
            world_stores.update().where(world_stores.c.id == "s1").values(partner_id="fuel")
        )
        conn.execute(
            world_stores.update().where(world_stores.c.id == "s2").values(partner_id="shop")
        )
    return world


def test_points_earned_at_one_partner_and_spent_at_another_name_both(world: World) -> None:
    coalition(world)
    a, b = world.device("s1", "A"), world.device("s2", "B")
    a.terminal.accrue(PHONE, 500, "R-1")  # 50 points, the phone as the till took it
    a.sync()
    other_form = "+7 701 123-45-67"  # the same person, written another way
    b.terminal.accrue(other_form, 0, "R-2")
    b.sync()
    assert b.terminal.spend(other_form, 30, "mug").status in ("accepted", "accepted_offline")
    b.sync()
    with world.engine.connect() as conn:
        member = members.find(conn, PHONE)
        assert member is not None and member.registered_via == "sync"
        assert conn.execute(select(member_table.c.id)).all() == [(member.id,)]
        lot = conn.execute(select(lots)).one()
        assert (lot.partner_id, lot.store_id, lot.points, lot.remaining) == ("fuel", "s1", 50, 20)
        use = conn.execute(select(lot_uses)).one()
        assert (use.kind, use.issuer, use.redeemer, use.store_id, use.points) == (
            "spend", "fuel", "shop", "s2", 30,
        )  # fmt: skip
        assert conn.execute(select(balances.c.balance).where(balances.c.member == PHONE)
                            ).scalar_one() == 20  # fmt: skip
    a.sync()
    assert a.terminal.balance(PHONE).balance == 20


def test_a_push_sent_again_counts_once(world: World) -> None:
    coalition(world)
    a = world.device("s1", "A")
    a.terminal.accrue(PHONE, 500, "R-1")
    a.terminal.spend(PHONE, 10, "cap")
    sent = outbox.outgoing(a.ledger, 10)
    first = a.client.push(sent)
    again = a.client.push(sent)  # the answer was lost: the till sends the same events
    assert [v.verdict for v in first.verdicts] == ["accepted", "accepted"]
    assert [v.verdict for v in again.verdicts] == ["accepted", "accepted"]
    with world.engine.connect() as conn:
        assert [(r.points, r.remaining) for r in conn.execute(select(lots))] == [(50, 40)]
        assert len(conn.execute(select(lot_uses)).all()) == 1


def test_a_store_of_no_partner_issues_as_the_house(world: World) -> None:
    coalition(world)
    c = world.device("s3", "C")
    c.terminal.accrue("M-1001", 200, "R-1")  # an older till's member number: kept as a card
    c.sync()
    with world.engine.connect() as conn:
        assert conn.execute(select(lots.c.partner_id)).scalar_one() == "house"
        assert conn.execute(select(member_table.c.card)).scalar_one() == "M1001"


def test_a_blocked_member_earns_and_spends_nothing(world: World) -> None:
    coalition(world)
    with world.engine.begin() as conn:
        member, _ = members.register(conn, PHONE, via="centre", now=time.time())
        members.block(conn, member.id, "card fraud", time.time())
    a = world.device("s1", "A")
    a.terminal.accrue(PHONE, 500, "R-1")
    a.sync()
    with world.engine.connect() as conn:
        assert conn.execute(select(lots)).all() == []
    state = a.ledger.read("SELECT state, reason FROM events")
    assert state[0]["state"] == "rejected" and "member_blocked" in state[0]["reason"]


def test_voids_take_a_lot_back_and_give_a_spend_back_to_its_lots(world: World) -> None:
    coalition(world)
    a = world.device("s1", "A")
    earned = a.terminal.accrue(PHONE, 300, "R-1")
    a.terminal.accrue(PHONE, 200, "R-2")
    spent = a.terminal.spend(PHONE, 25, "cap")
    a.sync()
    assert spent.event_id is not None and earned.event_id is not None
    a.terminal.void(spent.event_id, "changed mind")
    a.sync()
    with world.engine.connect() as conn:
        assert [r.remaining for r in conn.execute(select(lots).order_by(lots.c.id))] == [30, 20]
    a.terminal.void(earned.event_id, "returned the goods")
    a.sync()
    with world.engine.connect() as conn:
        assert [r.remaining for r in conn.execute(select(lots).order_by(lots.c.id))] == [0, 20]
        kinds = sorted((r.kind, r.points) for r in conn.execute(select(lot_uses)))
    assert kinds == [("spend", -25), ("spend", 25), ("void", 30)]  # the spend took the oldest
    assert a.terminal.balance(PHONE).balance == 20


def test_pending_points_reach_the_till_as_lots_not_yet_spendable(world: World) -> None:
    coalition(world, pending_days=14)
    a = world.device("s1", "A")
    a.terminal.accrue(PHONE, 500, "R-1")
    a.sync()
    answer = a.client.pull(0, 0)
    told = {b.member: b for b in answer.balances}[PHONE]
    assert told.balance == 0  # nothing spendable for 14 days
    assert told.lots is not None and [(x.partner, x.remaining) for x in told.lots] == [("fuel", 50)]
    assert told.lots[0].pending_until - told.lots[0].earned == 14 * 86_400


def _void_again(device: Device, target: str, kind: str, points: int) -> None:
    """A second void of an event, as a till whose ledger was tampered with writes it (its own
    ledger refuses voiding one event twice): signed and chained like any event."""
    with device.ledger.write() as conn:
        device.ledger.append(
            conn, device.ledger.device(), "void", {"target": target, "kind": kind, "reason": "x"},
            member=PHONE, points=-points,
        )  # fmt: skip


def test_an_accrual_voided_twice_takes_its_points_back_once(world: World) -> None:
    coalition(world)
    a = world.device("s1", "A")
    earned = a.terminal.accrue(PHONE, 300, "R-1")
    a.terminal.accrue(PHONE, 200, "R-2")
    a.sync()
    assert earned.event_id is not None
    a.terminal.void(earned.event_id, "returned the goods")
    _void_again(a, earned.event_id, "accrue", 30)
    a.sync()
    with world.engine.connect() as conn:
        assert [r.remaining for r in conn.execute(select(lots).order_by(lots.c.id))] == [0, 20]
        assert sorted(r.points for r in conn.execute(select(lot_uses))) == [30]
    verdicts = a.ledger.read("SELECT state, reason FROM events WHERE kind = 'void' ORDER BY seq")
    assert [v["state"] for v in verdicts] == ["accepted", "rejected"]
    assert "already_voided" in verdicts[1]["reason"]
    _void_again(a, earned.event_id, "accrue", 30)  # and once more, in a later push
    a.sync()
    with world.engine.connect() as conn:
        assert [r.remaining for r in conn.execute(select(lots).order_by(lots.c.id))] == [0, 20]
    last = a.ledger.read("SELECT state FROM events WHERE kind = 'void' ORDER BY seq DESC")
    assert last[0]["state"] == "rejected"


def test_points_under_a_number_no_country_issues_are_kept_not_refused(world: World) -> None:
    """A till took the points offline under a phone-shaped number that no country issues (a
    mistyped one, or a reserved range): the shopper was told they earned them, so the server
    keeps them under that number as a card, where the same till finds them again."""
    coalition(world)
    a = world.device("s3", "A")
    odd = "+44 7700 900123"  # a reserved range: no phone has it
    a.terminal.accrue(odd, 300, "R-1")
    a.sync()
    state = a.ledger.read("SELECT state, reason FROM events")
    assert state[0]["state"] == "accepted", state[0]["reason"]
    with world.engine.connect() as conn:
        member = point_lots.find(conn, odd)
        assert member is not None and member.card == "447700900123"
        assert conn.execute(select(lots.c.points)).scalars().all() == [30]
    assert a.terminal.spend(odd, 10, "cone").status in ("accepted", "accepted_offline")
    a.sync()
    assert a.terminal.balance(odd).balance == 20
