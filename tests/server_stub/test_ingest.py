"""Pushed events on the server: one winner per code, conflicts named, retries answered the same."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from codes.common import event_form
from server_stub.database.schema import alerts, claims, devices, events
from server_stub.records import conflicts, reports
from sync import outbox
from sync.protocol import ClaimRequest
from terminal import chain
from tests.world import World


def test_a_code_redeemed_at_two_offline_devices_has_one_winner_and_one_conflict(
    world: World,
) -> None:
    world.setup()
    a, b = world.device("s1", "Till A"), world.device("s2", "Till B")
    assert a.terminal.redeem(world.code(5), actor="ann").status == "accepted_offline"
    assert b.terminal.redeem(world.code(5), actor="bob").status == "accepted_offline"
    assert a.sync().pushed == {"accepted": 1}
    assert b.sync().pushed == {"conflict": 1}
    found = conflicts.list_conflicts(world.engine)
    assert len(found) == 1
    c = found[0]
    assert c["kind"] == "double_redemption" and c["state"] == "open"
    assert c["code"] == world.code(5)
    assert c["device_names"] == ["Till A", "Till B"]
    assert c["first"]["cashier"] == "ann" and c["second"]["cashier"] == "bob"
    assert c["first"]["store_id"] == "s1" and c["second"]["store_id"] == "s2"
    assert c["first"]["local_time"] and c["second"]["server_time"]
    assert b.status()["conflicts"] == 1 and a.status()["conflicts"] == 0
    assert "Till A" in b.status()["conflict_list"][0]["reason"]  # type: ignore[index]


def test_a_retried_push_gets_the_first_verdicts_and_changes_nothing(world: World) -> None:
    world.setup()
    a, b = world.device("s1", "A"), world.device("s2", "B")
    a.terminal.redeem(world.code(1))
    a.sync()
    b.terminal.redeem(world.code(1))
    b.terminal.redeem(world.code(2))
    batch = outbox.outgoing(b.ledger, 500)
    first = b.client.push(batch)
    again = b.client.push(batch)  # the answer was lost; the device asks again
    assert [v.verdict for v in first.verdicts] == ["conflict", "accepted"]
    assert again.verdicts == first.verdicts
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 3
        assert conn.execute(select(func.count()).select_from(claims)).scalar() == 2
    assert len(conflicts.list_conflicts(world.engine)) == 1


def test_forged_unissued_and_foreign_codes_are_rejected_with_a_reason(world: World) -> None:
    world.setup(issued=100)
    a = world.device("s1", "A")
    good = a.terminal.redeem(world.code(3))
    genuine = outbox.outgoing(a.ledger, 10)[0]
    forged = dict(genuine, event_id="01900000-0000-7000-8000-000000000001", seq=2)
    forged["payload"] = dict(genuine["payload"], serial=4)  # says serial 4, code is serial 3
    unissued = dict(genuine, event_id="01900000-0000-7000-8000-000000000002", seq=3)
    unissued["payload"] = dict(genuine["payload"], code=world.code(500), serial=500)
    foreign = dict(genuine, event_id="01900000-0000-7000-8000-000000000003", seq=4)
    foreign["payload"] = dict(genuine["payload"], campaign="other-campaign")
    answer = a.client.push([genuine, forged, unissued, foreign])
    reasons = {v.event_id: (v.verdict, v.reason.split(":")[0]) for v in answer.verdicts}
    assert reasons[str(good.event_id)] == ("accepted", "")
    # forged events also fail their signature: the device did not sign them
    assert reasons[forged["event_id"]][0] == "rejected"
    assert reasons[unissued["event_id"]][0] == "rejected"
    assert reasons[foreign["event_id"]][0] == "rejected"


def test_the_cipher_recheck_names_each_kind_of_bad_code(world: World) -> None:
    from server_stub.device_api import recheck
    from server_stub.device_api.recheck import Claimed

    world.setup(issued=100)
    with world.engine.connect() as conn:
        checker = world.service.rechecker(conn)
    good = world.code(7)
    tier = world.campaign.tiers[world.cipher.plan.tier_of(7)].name
    found = checker.check([
        Claimed("ice-2026", good, 7, tier),
        Claimed("ice-2026", good, 8, tier),
        Claimed("ice-2026", world.code(150), 150, None),
        Claimed("ice-2026", "HV-AAAA-BBBB-CCCC-DDDDE", 1, None),
        Claimed("nope", good, 7, None),
        Claimed("ice-2026", "not a code at all!", 7, None),
    ])  # fmt: skip
    assert found[0] is None
    assert [r.split(":")[0] if r else None for r in found[1:]] == [
        "forged", "not_issued", "forged", "unknown_campaign", "invalid",
    ]  # fmt: skip
    # a push's hundreds of codes go through numpy, an online claim's one code does not: same answers
    items = [Claimed("ice-2026", world.code(s), s, None) for s in (7, 150, 3, 999, 1000)] + [
        Claimed("ice-2026", "HV-AAAA-BBBB-CCCC-DDDDE", 1, None),
        Claimed("ice-2026", good, 8, tier),
    ]
    together = checker.check(items * 3)
    assert len(items) * 3 >= recheck.FEW
    assert together == [checker.check([item])[0] for item in items] * 3
    assert [r.split(":")[0] if r else None for r in together[:7]] == [
        None, "not_issued", None, "not_issued", "not_issued", "forged", "forged",
    ]  # fmt: skip


def test_a_malformed_event_is_rejected_alone(world: World) -> None:
    world.setup()
    a = world.device("s1", "A")
    a.terminal.redeem(world.code(1))
    good = outbox.outgoing(a.ledger, 10)[0]
    answer = a.client.push([{"event_id": "x", "seq": "not a number"}, good, 42])  # type: ignore[list-item]
    assert [v.verdict for v in answer.verdicts] == ["rejected", "accepted", "rejected"]
    assert answer.verdicts[0].reason.startswith("malformed: seq")


def test_an_answer_names_a_reason_or_a_conflict_only_where_there_is_one(world: World) -> None:
    """A push answer is mostly accepted events: they go without an empty reason or conflict."""
    world.setup()
    a, b = world.device("s1", "A"), world.device("s2", "B")
    b.terminal.redeem(world.code(2))
    assert b.sync().ok
    for serial in (1, 2):
        a.terminal.redeem(world.code(serial))
    answer = a.client.push([*outbox.outgoing(a.ledger, 10), {"seq": 0}])
    accepted, conflict, malformed = json.loads(world.transport.last_answer)["verdicts"]
    assert set(accepted) == {"event_id", "seq", "verdict"}
    assert conflict["conflict_id"] > 0 and conflict["reason"].startswith("double_redemption")
    assert malformed["reason"].startswith("malformed")
    assert [v.verdict for v in answer.verdicts] == ["accepted", "conflict", "rejected"]
    assert answer.verdicts[0].reason == "" and answer.verdicts[0].conflict_id is None


def test_a_nul_in_an_event_s_own_fields_makes_it_malformed_alone(world: World) -> None:
    """Such a push is read the long way (its body holds \\u0000): each event on its own."""
    world.setup()
    a = world.device("s1", "A")
    for serial in (1, 2):
        a.terminal.redeem(world.code(serial))
    first, second = outbox.outgoing(a.ledger, 10)
    answer = a.client.push([dict(first, local_time="2026\x00"), second])
    assert [v.verdict for v in answer.verdicts] == ["rejected", "accepted"]
    assert answer.verdicts[0].reason.startswith("malformed: local_time")


def test_a_payload_no_database_can_store_is_rejected_alone(world: World) -> None:
    """JSON lets a lone surrogate through (here escaped as \\ud800); no database stores one."""
    world.setup()
    a = world.device("s1", "A")
    a.terminal.redeem(world.code(1))
    a.terminal.redeem(world.code(2))
    first, second = outbox.outgoing(a.ledger, 10)
    garbled = dict(first, payload={**first["payload"], "note": "\ud800"})
    answer = a.client.push([garbled, second])
    assert [v.verdict for v in answer.verdicts] == ["rejected", "accepted"]
    assert answer.verdicts[0].reason.startswith("malformed: the payload")
    assert a.sync().ok  # the till's own copy of the event goes through untouched
    assert a.status()["rejected"] == 0


def test_a_nul_in_a_payload_s_text_spoils_only_what_holds_it(world: World) -> None:
    """A NUL in an indexed field makes the event malformed; in the cashier's name it is dropped;
    anywhere else it is kept, escaped, in the stored payload. The push goes through."""
    world.setup()
    a = world.device("s1", "A")
    for serial in (1, 2, 3):
        a.terminal.redeem(world.code(serial), actor="ann")
    sent = outbox.outgoing(a.ledger, 10)
    edits = [{"actor": "a\x00n"}, {"campaign": "ice\x00"}, {"note": "x\x00y"}]
    garbled = []
    for event, edit in zip(sent, edits, strict=True):  # as a broken till would sign them
        changed = dict(event, payload={**event["payload"], **edit})
        signed = {**changed, "device_id": a.client.device_id}
        garbled.append(dict(changed, mac=event_form.event_mac(a.client.secret, signed)))
    answer = a.client.push(garbled)
    assert [v.verdict for v in answer.verdicts] == ["accepted", "rejected", "accepted"]
    # the same words as for a lone surrogate: one rule, text no database keeps
    assert answer.verdicts[1].reason == "malformed: the payload has text that cannot be stored"
    with world.engine.connect() as conn:
        actors = {r.seq: r.actor for r in conn.execute(select(events.c.seq, events.c.actor))}
    assert actors == {1: "", 2: "ann", 3: "ann"}


def test_two_events_of_one_batch_in_the_same_place_of_the_chain(world: World) -> None:
    world.setup()
    a = world.device("s1", "A")
    a.terminal.redeem(world.code(1))
    good = outbox.outgoing(a.ledger, 10)[0]
    twin = dict(good, event_id="0190aaaa-0000-7000-8000-000000000001")
    answer = a.client.push([good, twin])
    assert [v.verdict for v in answer.verdicts] == ["accepted", "rejected"]
    assert answer.verdicts[1].reason.startswith("seq_reused")


def test_a_gap_or_an_altered_event_raises_an_alert_and_is_still_stored(world: World) -> None:
    world.setup()
    a = world.device("s1", "A")
    for serial in range(4):
        a.terminal.redeem(world.code(serial))
    sent = outbox.outgoing(a.ledger, 10)
    answer = a.client.push([sent[0], sent[2]])  # event 2 is missing
    assert not answer.chain_ok
    altered = dict(sent[3], local_time="2020-01-01T00:00:00.000+00:00")
    answer = a.client.push([sent[1], altered])
    assert answer.verdicts[1].verdict == "rejected"
    assert answer.verdicts[1].reason.startswith("altered")
    with world.engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(select(alerts.c.kind).order_by(alerts.c.id))]
        stored = conn.execute(select(func.count()).select_from(events)).scalar()
    assert kinds == ["chain_gap", "chain_altered"]
    assert stored == 4


def test_the_chain_closes_again_when_the_missing_event_arrives(world: World) -> None:
    world.setup()
    a = world.device("s1", "A")
    for serial in range(5):
        a.terminal.redeem(world.code(serial))
    sent = outbox.outgoing(a.ledger, 10)
    a.client.push([sent[0], sent[2]])  # event 2 is missing: a gap
    answer = a.client.push([sent[1]])  # it arrives: the events stored beyond it are walked too
    assert answer.device_seq == 3

    def verified() -> int:
        with world.engine.connect() as conn:
            return int(
                conn.execute(
                    select(devices.c.chain_seq).where(devices.c.id == a.client.device_id)
                ).scalar_one()
            )

    def gaps() -> int:
        with world.engine.connect() as conn:
            return len(conn.execute(select(alerts).where(alerts.c.kind == "chain_gap")).all())

    assert verified() == 3 and gaps() == 1  # the chain holds again up to event 3
    a.client.push([sent[4]])  # event 4 is missing now: a new gap, named again
    assert verified() == 3 and gaps() == 2


def test_points_overdrawn_at_two_offline_devices_end_as_one_overdraft(world: World) -> None:
    world.setup()
    a, b = world.device("s1", "A"), world.device("s2", "B")
    a.terminal.accrue("M-1", 500, "R-1")  # 50 points
    a.sync()
    b.sync()  # B learns nothing of M-1: never seen in its store
    a.sync()
    # both stores think M-1 has 50 (B learns it on its pull after M-1 shops there)
    b.terminal.accrue("M-1", 0, "R-2")
    b.sync()
    assert b.terminal.balance("M-1").balance == 50
    world.transport.down = True
    assert a.terminal.spend("M-1", 40, "mug").status == "accepted_offline"
    assert b.terminal.spend("M-1", 40, "cap").status == "accepted_offline"
    world.transport.down = False
    a.sync()
    b.sync()
    found = conflicts.list_conflicts(world.engine, kind="overdraft")
    assert len(found) == 1 and found[0]["member"] == "M-1" and found[0]["points"] == 40
    a.sync()
    # the balance is the open lots' sum: the overdrawing spend is a conflict that took nothing
    assert a.terminal.balance("M-1").balance == 50 - 40
    assert b.terminal.balance("M-1").balance == 50 - 40


def test_a_receipt_earns_once_per_store_even_from_two_tills(world: World) -> None:
    world.setup()
    a, b = world.device("s1", "A"), world.device("s1", "B")
    a.terminal.accrue("M-2", 100, "R-9")
    b.terminal.accrue("M-2", 100, "R-9")
    a.sync()
    assert b.sync().pushed == {"duplicate": 1}
    a.sync()
    assert a.terminal.balance("M-2").balance == 10


def test_a_voided_redemption_frees_the_code_everywhere(world: World) -> None:
    world.setup()
    a, b = world.device("s1", "A"), world.device("s2", "B")
    done = a.terminal.redeem(world.code(9))
    a.sync()
    b.sync()
    assert b.terminal.check(world.code(9)).status == "redeemed_elsewhere"
    assert done.event_id is not None
    a.terminal.void(done.event_id, "customer returned the pack")
    a.sync()
    b.sync()
    assert b.terminal.redeem(world.code(9)).status == "accepted_offline"
    assert b.sync().pushed == {"accepted": 1}


@pytest.mark.parametrize("how", ["offline", "first_pushed_alone", "online"])
def test_a_code_voided_and_redeemed_again_at_one_till_is_that_till_s_once(
    world: World, how: str
) -> None:
    """A cashier voids a scan and scans the same lid again before the till syncs: the second
    redemption holds the code, with no conflict against the till itself. Online, both scans
    claimed the code at the server before the void was pushed."""
    world.setup()
    a, b = world.device("s1", "A", online=how == "online"), world.device("s2", "B")
    first = a.terminal.redeem(world.code(5))
    assert first.event_id is not None
    if how == "first_pushed_alone":
        a.sync()
    a.terminal.void(first.event_id, "scanned for the wrong customer")
    again = a.terminal.redeem(world.code(5))
    assert again.status == ("accepted_online" if how == "online" else "accepted_offline")
    assert a.sync().ok
    assert a.status()["conflicts"] == 0 and a.status()["rejected"] == 0
    assert conflicts.list_conflicts(world.engine) == []
    with world.engine.connect() as conn:
        holder = conn.execute(select(claims.c.event_id)).scalars().all()
    assert holder == [again.event_id]
    b.sync()  # the code stays taken everywhere
    assert b.terminal.check(world.code(5)).status == "redeemed_elsewhere"


def test_resolving_a_conflict_keeps_an_audit_trail_and_tells_the_devices(world: World) -> None:
    world.setup()
    a, b = world.device("s1", "A"), world.device("s2", "B")
    a.terminal.redeem(world.code(4))
    b.terminal.redeem(world.code(4))
    a.sync()
    b.sync()
    (c,) = conflicts.list_conflicts(world.engine)
    conflicts.resolve(world.engine, c["id"], "void_winner", "helpdesk-jo", "till A was testing")
    a.sync()
    b.sync()
    assert a.status()["rejected"] == 1
    assert b.status()["conflicts"] == 0
    (after,) = conflicts.list_conflicts(world.engine)
    assert after["state"] == "resolved"
    assert after["resolution"]["by"] == "helpdesk-jo"
    from server_stub.errors import ApiError

    with pytest.raises(ApiError) as again:
        conflicts.resolve(world.engine, c["id"], "accept_loss", "someone", "late")
    assert again.value.code == "already_resolved"


def test_a_push_over_500_events_is_refused_whole(world: World) -> None:
    world.setup()
    a = world.device("s1", "A")
    body = json.dumps({"events": [{}] * 501}).encode()
    status, answer, _ = world.service.handle("POST", "/v1/push", {}, body)
    assert status == 413 and json.loads(answer)["error"] == "batch_too_large"
    assert a.sync().ok


def test_an_event_id_another_device_used_is_rejected_alone(world: World) -> None:
    world.setup()
    a, b = world.device("s1", "A"), world.device("s2", "B")
    a.terminal.redeem(world.code(1))
    a.sync()
    with world.engine.connect() as conn:
        a_event = conn.execute(select(events.c.event_id)).scalar_one()
    b.terminal.redeem(world.code(1))  # A has it: a conflict, in the same push as the bad id
    b.terminal.redeem(world.code(2))
    b.terminal.redeem(world.code(3))
    late, own, second = outbox.outgoing(b.ledger, 10)
    answer = b.client.push([late, own, dict(second, event_id=a_event)])
    assert [v.verdict for v in answer.verdicts] == ["conflict", "accepted", "rejected"]
    assert answer.verdicts[2].reason.startswith("duplicate_id")
    found = conflicts.list_conflicts(world.engine)
    assert [c["id"] for c in found] == [answer.verdicts[0].conflict_id]  # recorded, and named
    with world.engine.connect() as conn:
        owner = conn.execute(select(events.c.device_id).where(events.c.event_id == a_event))
        assert owner.scalar_one() == a.ledger.device().device_id  # A's event is untouched
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 3
        assert conn.execute(select(func.count()).select_from(claims)).scalar() == 2


def test_a_claim_whose_event_was_never_saved_passes_to_the_devices_next_try(world: World) -> None:
    # The server gave A the code, then A crashed (or its storage was full) before it wrote the
    # event. A's next try, online or offline, must go through, not conflict with itself.
    world.setup()
    a, b = world.device("s1", "A", online=True), world.device("s2", "B", online=True)
    lost = ClaimRequest(event_id=chain.uuid7(), campaign="ice-2026", serial=5, code=world.code(5))
    assert a.client.claim(lost, 2.0).won
    assert a.terminal.redeem(world.code(5)).status == "accepted_online"
    assert b.terminal.redeem(world.code(5)).status == "redeemed_elsewhere"
    lost = ClaimRequest(event_id=chain.uuid7(), campaign="ice-2026", serial=6, code=world.code(6))
    assert a.client.claim(lost, 2.0).won
    world.transport.down = True  # the next try is offline
    assert a.terminal.redeem(world.code(6)).status == "accepted_offline"
    world.transport.down = False
    assert a.sync().pushed == {"accepted": 2}
    assert conflicts.list_conflicts(world.engine) == []
    with world.engine.connect() as conn:
        owners = conn.execute(select(claims.c.event_id, events.c.device_id).join(
            events, events.c.event_id == claims.c.event_id)).all()  # fmt: skip
    assert len(owners) == 2  # each claim now names the event that was saved


def test_a_device_cannot_take_back_a_code_whose_event_the_server_has(world: World) -> None:
    # e.g. a till restored from an old backup: its redemption reached the server, so a new try
    # is a second redemption, refused like anyone else's
    world.setup()
    a = world.device("s1", "A", online=True)
    assert a.terminal.redeem(world.code(5)).status == "accepted_online"
    a.sync()
    again = ClaimRequest(event_id=chain.uuid7(), campaign="ice-2026", serial=5, code=world.code(5))
    assert not a.client.claim(again, 2.0).won


def test_a_redemption_voided_twice_is_uncounted_once(world: World) -> None:
    """A tampered till sends a second void of one redemption, in the same push and in a later
    one: the reports count the redemption out once, and each second void is refused."""
    world.setup()
    a = world.device("s1", "Till A")
    redeemed = a.terminal.redeem(world.code(3), actor="ann")
    a.terminal.redeem(world.code(4), actor="ann")
    a.sync()
    assert redeemed.event_id is not None
    a.terminal.void(redeemed.event_id, "wrong pack")

    def void_again() -> None:  # signed and chained like any event: the ledger itself refuses
        with a.ledger.write() as conn:
            a.ledger.append(conn, a.ledger.device(), "void",
                            {"target": redeemed.event_id, "kind": "redeem", "reason": "x"})  # fmt: skip

    void_again()
    a.sync()
    void_again()
    a.sync()
    by_store = reports.report(world.engine, "redemptions", "store")["rows"]
    assert [(r["key"], r["count"]) for r in by_store] == [("s1", 1)]
    states = a.ledger.read("SELECT state, reason FROM events WHERE kind = 'void' ORDER BY seq")
    assert [s["state"] for s in states] == ["accepted", "rejected", "rejected"]
    assert all("already_voided" in s["reason"] for s in states[1:])
