"""A thief with one till's ledger file, using the project's own modules, against a real server.

Each test is written as the attack: forge a prize, squat on codes, burn a code by failing to save.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from codes import layout
from codes.ff1_radix32 import Radix32FF1
from server_stub import admin
from server_stub.claim_guard import FORGED
from server_stub.schema import alerts, claims
from sync.client import SyncError
from sync.protocol import ClaimRequest as WireClaim
from terminal.ledger import LedgerError
from terminal.results import Status
from tests.world import Device, World


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


def test_a_device_cannot_tell_which_serials_carry_a_prize(world: World) -> None:
    world.setup()
    thief = world.device("s1", "Till 1")
    from codes.campaign_cipher import CampaignCipher
    from codes.errors import InstoreError

    stolen = CampaignCipher(world.campaign, _stolen_key(thief))  # all a ledger holds
    with pytest.raises(InstoreError) as refused:
        stolen.plan.tier_of(1)
    assert refused.value.code == "no_plan"


def test_a_serial_reencrypted_as_gold_is_forged_online_and_in_a_push(world: World) -> None:
    world.setup()
    thief = world.device("s1", "Till 1", online=True)
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
    # the shopper holding the real codes of both serials is not refused anywhere
    shopper = world.device("s2", "Till 2", online=True)
    for serial in music:
        assert shopper.terminal.redeem(world.code(serial)).status is Status.ACCEPTED_ONLINE


def test_after_three_forged_codes_a_devices_online_claims_are_held(world: World) -> None:
    world.setup()
    thief = world.device("s1", "Till 1", online=True)
    key = _stolen_key(thief)
    for serial in _music_serials(world, 3):
        assert (
            thief.terminal.redeem(_reencrypted(world, key, serial, "gold")).status is Status.INVALID
        )
    with pytest.raises(SyncError) as held:
        thief.client.claim(WireClaim(event_id="e-1", campaign="ice-2026", serial=500,
                                     code=world.code(500)), timeout=5)  # fmt: skip
    assert held.value.status == 403 and held.value.code == "claims_held"
    admin.review_device(world.engine, thief.client.device_id)
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
    done = admin.revoke_device(world.engine, thief.client.device_id)
    assert done["claims_released"] == 60
    shopper = world.device("s2", "Till 2", online=True)
    assert shopper.terminal.redeem(world.code(5)).status is Status.ACCEPTED_ONLINE


def test_a_redemption_not_saved_leaves_no_claim_at_the_server(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.setup()
    till = world.device("s1", "Till 1", online=True)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise LedgerError("disk_full", "the disk is full")

    monkeypatch.setattr(till.terminal.ledger, "append", disk_full)
    answer = till.terminal.redeem(world.code(9))
    assert answer.status is Status.NOT_SAVED
    with world.engine.connect() as conn:
        assert conn.execute(select(claims).where(claims.c.serial == 9)).first() is None
    monkeypatch.undo()
    other = world.device("s2", "Till 2", online=True)
    assert other.terminal.redeem(world.code(9)).status is Status.ACCEPTED_ONLINE
