"""A thief with one till's ledger file, using the project's own modules, against a real server.

Each test is written as the attack: forge a prize, squat on codes, burn a code by failing to save.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from codes import layout
from codes.campaign_cipher import CampaignCipher
from codes.common import event_form
from codes.common.errors import InstoreError
from codes.ff1_radix32 import Radix32FF1
from server_stub.admin import device_control
from server_stub.catalog import device_config
from server_stub.catalog.device_config import bump_config_version
from server_stub.database.schema import alerts, balances, campaigns, claims, earn_rules
from server_stub.device_api.claim_guard import FORGED
from server_stub.records import conflicts
from sync import outbox
from sync.client import SyncError
from sync.protocol import ClaimRequest as WireClaim
from sync.protocol import PushResponse
from terminal import chain
from terminal.results import Status
from tests.disks import fill, small_disk
from tests.world import Device, World

# A till's wait for the server's online answer. These tests assert what the server answered
# online (refused, accepted, no claim left): on a loaded machine an answer slower than the
# till's 0.8 s would be taken for none and the till would fall back to offline rules, so the
# tills here wait as long as an answer takes (a server that never answers still fails them).
PATIENT_S = 10.0


def _stolen_key(device: Device) -> bytes:
    """What a thief reads out of the till's ledger file: the campaign key."""
    raw = sqlite3.connect(device.path)
    try:
        key: bytes = raw.execute("SELECT key FROM campaigns").fetchone()[0]
    finally:
        raw.close()
    return key


def _reencrypted(world: World, key: bytes, serial: int, tier: str) -> str:
    """The serial's code made again with another tier: right key, right layout, wrong prize."""
    campaign = world.campaign
    ff1 = Radix32FF1(key, campaign.id.encode(), layout.BODY_SYMBOLS)
    index = [t.name for t in campaign.tiers].index(tier)
    a, b = ff1.encrypt_int(*layout.pack(campaign.key_version, index, serial))
    return layout.format_code(campaign.prefix, a, b)


def _music_serials(world: World, count: int) -> list[int]:
    tiers = [t.name for t in world.campaign.tiers]
    return [s for s in range(1000) if tiers[world.cipher.plan.tier_of(s)] == "music"][:count]


def _alerts(world: World, kind: str) -> list[str]:
    with world.engine.connect() as conn:
        return [
            r.message for r in conn.execute(select(alerts.c.message).where(alerts.c.kind == kind))
        ]


def _actors(world: World, kind: str) -> list[str]:
    """The cashiers alerts of `kind` name in alerts.actor, oldest first."""
    with world.engine.connect() as conn:
        return list(conn.execute(
            select(alerts.c.actor).where(alerts.c.kind == kind).order_by(alerts.c.id)
        ).scalars())  # fmt: skip


def test_a_device_cannot_tell_which_serials_carry_a_prize(world: World) -> None:
    world.setup()
    thief = world.device("s1", "Till 1")
    stolen = CampaignCipher(world.campaign, _stolen_key(thief))  # all a ledger holds
    with pytest.raises(InstoreError) as refused:
        stolen.plan.tier_of(1)
    assert refused.value.code == "no_plan"


def test_a_serial_reencrypted_as_gold_is_forged_online_and_in_a_push(world: World) -> None:
    world.setup()
    thief = world.device("s1", "Till 1", online=True, claim_timeout=PATIENT_S)
    key = _stolen_key(thief)
    music = _music_serials(world, 2)
    online = thief.terminal.redeem(_reencrypted(world, key, music[0], "gold"), actor="mallory")
    assert online.status is Status.INVALID  # the server refused it, and the till says so
    world.transport.down = True  # offline, the till cannot tell; the server catches it at sync
    offline = thief.terminal.redeem(_reencrypted(world, key, music[1], "gold"), actor="mallory")
    assert offline.status is Status.ACCEPTED_OFFLINE
    world.transport.down = False
    thief.sync()
    rejected = thief.terminal.status()["rejected_list"]
    assert [e["reason"].split(":")[0] for e in rejected] == ["forged"]
    named = _alerts(world, FORGED)
    assert len(named) == 2 and all("Till 1" in m for m in named)
    assert any("cashier mallory" in m for m in named)
    # the pushed one names its cashier for the Alerts page's filter (an online claim names none)
    assert _actors(world, FORGED) == ["", "mallory"]
    # the shopper holding the real codes of both serials is not refused anywhere
    shopper = world.device("s2", "Till 2", online=True, claim_timeout=PATIENT_S)
    for serial in music:
        assert shopper.terminal.redeem(world.code(serial)).status is Status.ACCEPTED_ONLINE


def test_after_three_forged_codes_a_devices_online_claims_are_held(world: World) -> None:
    world.setup()
    thief = world.device("s1", "Till 1", online=True, claim_timeout=PATIENT_S)
    key = _stolen_key(thief)
    for serial in _music_serials(world, 3):
        assert (
            thief.terminal.redeem(_reencrypted(world, key, serial, "gold")).status is Status.INVALID
        )
    with pytest.raises(SyncError) as held:
        thief.client.claim(WireClaim(event_id="e-1", campaign="ice-2026", serial=500,
                                     code=world.code(500)), timeout=5)  # fmt: skip
    assert held.value.status == 403 and held.value.code == "claims_held"
    device_control.review_device(world.engine, thief.client.device_id)
    won = thief.client.claim(
        WireClaim(event_id="e-2", campaign="ice-2026", serial=500, code=world.code(500)), 5
    )
    assert won.won


def test_squatting_is_rate_limited_and_revoking_frees_the_codes(world: World) -> None:
    world.setup()
    thief = world.device("s1", "Till 1")
    won, refused = 0, 0
    for serial in range(300):
        wire = WireClaim(event_id=f"squat-{serial}", campaign="ice-2026", serial=serial,
                         code=world.code(serial))  # fmt: skip
        try:
            won += thief.client.claim(wire, 5).won
        except SyncError as exc:
            assert exc.status == 429
            refused += 1
    assert won == 60 and refused == 240
    assert _alerts(world, "claim_rate")
    done = device_control.revoke_device(world.engine, thief.client.device_id)
    assert done["claims_released"] == 60
    shopper = world.device("s2", "Till 2", online=True, claim_timeout=PATIENT_S)
    assert shopper.terminal.redeem(world.code(5)).status is Status.ACCEPTED_ONLINE


def test_revoking_a_device_puts_its_recent_events_up_for_review(world: World) -> None:
    world.setup()
    thief = world.device("s1", "Till 1")
    for serial in (1, 2, 3):
        assert thief.terminal.redeem(world.code(serial), actor="mallory").ok
    assert thief.terminal.accrue("m-1", 90.0, "r-1").ok
    thief.sync()
    honest = world.device("s2", "Till 2")
    assert honest.terminal.redeem(world.code(4)).ok
    honest.sync()
    done = device_control.revoke_device(world.engine, thief.client.device_id)
    assert done["flagged_for_review"] == 4
    review = conflicts.list_conflicts(world.engine, kind="review")
    assert sorted(c["serial"] or 0 for c in review) == [0, 1, 2, 3]
    assert {c["second"]["device_name"] for c in review} == {"Till 1"}
    assert {c["second"].get("cashier") for c in review if c["serial"]} == {"mallory"}
    assert {c["code"] for c in review if c["serial"]} == {world.code(s) for s in (1, 2, 3)}
    points = next(c for c in review if c["member"] == "m-1")
    assert points["points"] == 9 and points["state"] == "open"
    taken_back = conflicts.resolve(world.engine, points["id"], "recover", "helpdesk", "stolen till")
    assert taken_back["state"] == "resolved"
    assert _alerts(world, "revoked") == [
        "revoked; 0 online claims without a redemption released, 4 recent events flagged for review"
    ]


def test_a_till_with_a_full_disk_leaves_no_claim_at_the_server(world: World) -> None:
    world.setup()
    with small_disk(world.tmp / "card") as card:
        till = world.device("s1", "Till 1", online=True, folder=card, claim_timeout=PATIENT_S)
        assert till.terminal.redeem(world.code(8)).status is Status.ACCEPTED_ONLINE
        till.ledger.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no room kept from before
        fill(card)
        answer = till.terminal.redeem(world.code(9))
        assert answer.status is Status.NOT_SAVED and "full" in answer.message
        with world.engine.connect() as conn:
            assert conn.execute(select(claims).where(claims.c.serial == 9)).first() is None
        (card / "filler").unlink()
        assert till.terminal.ledger.verify_chain() is None  # what was confirmed is all there
    other = world.device("s2", "Till 2", online=True, claim_timeout=PATIENT_S)
    assert other.terminal.redeem(world.code(9)).status is Status.ACCEPTED_ONLINE


def test_a_read_only_ledger_leaves_no_claim_at_the_server(world: World) -> None:
    world.setup()
    till = world.device("s1", "Till 1", online=True, claim_timeout=PATIENT_S)
    # the file can no longer be written while the till runs (a card locked, a mount gone bad)
    till.terminal.ledger.conn.close()
    till.terminal.ledger.conn = sqlite3.connect(
        f"file:{till.path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )
    answer = till.terminal.redeem(world.code(9))
    assert answer.status is Status.NOT_SAVED and "read-only" in answer.message
    with world.engine.connect() as conn:
        assert conn.execute(select(claims).where(claims.c.serial == 9)).first() is None
    other = world.device("s2", "Till 2", online=True, claim_timeout=PATIENT_S)
    assert other.terminal.redeem(world.code(9)).status is Status.ACCEPTED_ONLINE


def _resigned(
    device: Device, event: dict[str, object], local_time: str | None = None, **payload: object
) -> dict[str, object]:
    """An event the thief changed and signed again with the stolen device key."""
    body: dict[str, object] = {**event["payload"], **payload}  # type: ignore[dict-item]
    changed = {**event, "payload": body}
    if local_time is not None:
        changed["local_time"] = local_time
    changed["mac"] = event_form.event_mac(
        device.client.secret, {**changed, "device_id": device.client.device_id}
    )
    return changed


@pytest.mark.parametrize(
    ("field", "value"),
    [("points", 1.9), ("points", "7"), ("points", True), ("points", 10**12), ("member", "M" * 129)],
)
def test_points_and_ids_are_strictly_typed(world: World, field: str, value: object) -> None:
    world.setup()
    till = world.device("s1", "Till 1")
    till.terminal.accrue("M-1", 50, "R-1")
    till.terminal.accrue("M-2", 50, "R-2")
    first, second = outbox.outgoing(till.ledger, 10)
    answer = till.client.push([_resigned(till, first, None, **{field: value}), second])
    assert [v.verdict for v in answer.verdicts] == ["rejected", "accepted"]
    assert answer.verdicts[0].reason.startswith("malformed")


def test_infinity_in_a_push_spoils_only_its_event_and_deep_json_is_a_400(world: World) -> None:
    world.setup()
    till = world.device("s1", "Till 1")
    till.terminal.redeem(world.code(1))
    till.terminal.redeem(world.code(2))
    first, second = outbox.outgoing(till.ledger, 10)
    body = json.dumps({"events": [dict(first, payload={**first["payload"], "value": "@INF@"}),
                                  second]}).replace('"@INF@"', "Infinity")  # fmt: skip
    answer = till.client._call("/v1/push", body.encode(), PushResponse)
    assert [v.verdict for v in answer.verdicts] == ["rejected", "accepted"]
    deep = b'{"token": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    status, reply, _ = world.service.handle("POST", "/v1/enroll", {}, deep)
    assert status == 400 and json.loads(reply)["error"] == "bad_json"


def test_invented_points_are_recounted_by_the_servers_rules(world: World) -> None:
    world.setup()
    till = world.device("s1", "Till 1")
    till.terminal.accrue("M-7", 1, "R-1", actor="mallory")  # a purchase of 1 earns 0 points
    till.terminal.accrue("M-7", 1_000_000, "R-2")  # capped per receipt
    first, second = outbox.outgoing(till.ledger, 10)
    answer = till.client.push([_resigned(till, first, points=10**9), second])
    assert [v.verdict for v in answer.verdicts] == ["accepted", "accepted"]
    with world.engine.connect() as conn:
        balance = conn.execute(
            select(balances.c.balance).where(balances.c.member == "M-7")
        ).scalar_one()
    assert balance == 10_000  # 0 for the invented accrual, the cap for the huge one
    named = _alerts(world, "points_mismatch")
    assert len(named) == 1 and "Till 1" in named[0] and "10" in named[0]
    assert "cashier mallory" in named[0] and _actors(world, "points_mismatch") == ["mallory"]


def _balance(world: World, member: str) -> int:
    with world.engine.connect() as conn:
        return int(
            conn.execute(select(balances.c.balance).where(balances.c.member == member)).scalar_one()
        )


def test_points_are_recounted_with_the_earn_rules_the_device_had(world: World) -> None:
    world.setup()
    offline = world.device("s1", "Till 1")
    before = offline.terminal.config.loyalty.version
    assert before > 0
    device_config.set_config(
        world.engine, None, loyalty={"points_per_unit": 2}
    )  # double points week
    synced = world.device("s1", "Till 2")
    assert synced.terminal.config.loyalty.version > before
    assert offline.terminal.accrue("M-1", 90.0, "R-1").points == 9  # the rules it still has
    assert synced.terminal.accrue("M-2", 90.0, "R-2").points == 18
    offline.sync()
    synced.sync()
    assert _alerts(world, "points_mismatch") == []  # both counted right by their rules
    assert (_balance(world, "M-1"), _balance(world, "M-2")) == (9, 18)
    offline.terminal.reload()  # the sync brought the new rules
    assert offline.terminal.config.loyalty.version == synced.terminal.config.loyalty.version

    # a thief naming the generous rules of another store, or rules long replaced, gets today's
    thief = world.device("s2", "Till 3")
    thief.terminal.accrue("M-3", 90.0, "R-3")
    (event,) = outbox.outgoing(thief.ledger, 10)
    device_config.set_config(world.engine, "s1", loyalty={"points_per_unit": 50})
    s1_rules = world.device("s1", "Till 4").terminal.config.loyalty.version
    answer = thief.client.push([_resigned(thief, event, rules=s1_rules, points=450)])
    assert [v.verdict for v in answer.verdicts] == ["accepted"]
    assert _balance(world, "M-3") == 18
    assert "the rules (version" in _alerts(world, "points_mismatch")[0]
    with world.engine.begin() as conn:  # s1's first rules, replaced four days ago
        conn.execute(
            update(earn_rules).where(earn_rules.c.version == before)
            .values(until=datetime.now(UTC).timestamp() - 4 * 86400)
        )  # fmt: skip
    late = world.device("s1", "Till 5")
    late.terminal.accrue("M-4", 90.0, "R-4")
    (event,) = outbox.outgoing(late.ledger, 10)
    late.client.push([_resigned(late, event, rules=before, points=9)])
    assert _balance(world, "M-4") == 450  # by the rules in force now at s1


def test_a_check_in_counts_once_a_day_whatever_day_the_device_writes(world: World) -> None:
    world.setup()
    thief = world.device("s1", "Till 1")
    device = thief.ledger.device()
    with thief.ledger.write() as conn:  # five check-ins today, each dated another day
        for d in range(1, 6):
            day = f"2026-01-{d:02d}"
            payload = {"member": "M-9", "day": day, "store": "s1", "points": 10, "rules": 1}
            thief.ledger.append(conn, device, "checkin", payload, member="M-9", points=10, day=day)
    thief.sync()
    assert _balance(world, "M-9") == 10
    assert thief.terminal.status()["rejected"] == 0


def test_a_redemption_after_the_campaign_ended_is_refused_unless_made_offline_before(
    world: World,
) -> None:
    world.setup()
    till = world.device("s1", "Till 1")
    for serial in (1, 2):
        till.terminal.redeem(world.code(serial))
    now = datetime.now(UTC)
    with world.engine.begin() as conn:  # the campaign ended an hour ago
        data = json.loads(conn.execute(select(campaigns.c.data)).scalar_one())
        data["ends_at"] = (now - timedelta(hours=1)).isoformat()
        conn.execute(update(campaigns).values(data=json.dumps(data)))
        bump_config_version(conn)
    first, second = outbox.outgoing(till.ledger, 10)
    before = _resigned(till, first, local_time=(now - timedelta(hours=2)).isoformat())
    after = _resigned(till, second, local_time=now.isoformat())
    answer = till.client.push([before, after])
    assert [v.verdict for v in answer.verdicts] == ["accepted", "rejected"]
    assert answer.verdicts[1].reason.startswith("expired")
    with pytest.raises(SyncError) as late:
        till.client.claim(WireClaim(event_id="late", campaign="ice-2026", serial=3,
                                    code=world.code(3)), 5)  # fmt: skip
    assert late.value.code == "expired"


def _synced_redemption(world: World, store: str, name: str) -> tuple[Device, dict[str, Any]]:
    """A till that redeemed code 1 and synced it, and that redemption's event as it was sent."""
    world.setup()
    till = world.device(store, name)
    till.terminal.redeem(world.code(1))
    (event,) = outbox.outgoing(till.ledger, 10)
    assert till.sync().ok
    return till, event


def test_a_seq_pushed_again_with_other_content_raises_an_equivocation_alert(world: World) -> None:
    till, first = _synced_redemption(world, "s1", "Till 1")
    other = _resigned(till, {**first, "event_id": chain.uuid7()}, code=world.code(2), serial=2)
    answer = till.client.push([other])
    assert answer.verdicts[0].reason.startswith("seq_reused")
    named = _alerts(world, "equivocation")
    assert len(named) == 1 and "Till 1" in named[0]


def test_a_claim_quoting_another_devices_event_id_loses(world: World) -> None:
    _honest, event = _synced_redemption(world, "s1", "Till 1")
    thief = world.device("s2", "Till 2")
    with pytest.raises(SyncError) as refused:
        thief.client.claim(WireClaim(event_id=event["event_id"], campaign="ice-2026", serial=4,
                                     code=world.code(4)), 5)  # fmt: skip
    assert refused.value.code == "duplicate_id"
