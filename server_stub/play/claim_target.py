"""Which redemption a prize claim is for: a win on the web (its event id, the visit's phone) or
the QR of a kiosk's result screen or a till's receipt (code, event id, device, MAC).

A QR's MAC is checked with the secret the server holds for that device, and its code with the
campaign's cipher, so the claim joins that very redemption, even before the device has synced,
and never redeems the code a second time. A revoked device's QR names only a redemption that
reached the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Engine, select

from codes.checker import CodeChecker
from codes.common.claim_link import ClaimLink, mac_matches
from server_stub.database.connection import reader
from server_stub.database.schema import devices, events
from server_stub.device_api.recheck import Rechecker
from server_stub.errors import ApiError

NOT_OURS = ApiError(
    404, "no_such_win", "We cannot find this win. Check the link, or enter the code."
)


@dataclass(frozen=True)
class ClaimTarget:
    campaign: str
    serial: int
    code: str
    tier: str
    reward: str
    value: float
    event_id: str
    device_id: str | None  # where it was redeemed, when a device's QR says so
    redeemed_at: float | None  # None: the device has not synced it yet
    claim_days: int
    claims_per_phone: int


def from_event(engine: Engine, rechecker: Rechecker, event_id: str, phone: str) -> ClaimTarget:
    """A redemption this phone made (on the web, or at a kiosk that took the number)."""
    with reader(engine).connect() as conn:
        row = conn.execute(
            select(events).where(events.c.event_id == event_id[:64], events.c.kind == "redeem")
        ).first()
    if row is None or row.member != phone or row.verdict != "accepted":
        raise NOT_OURS
    return _target(rechecker, row.campaign, int(row.serial), _code_of(row.payload), row.tier,
                   event_id, row.device_id, float(row.received))  # fmt: skip


def from_link(
    engine: Engine, rechecker: Rechecker, checker: CodeChecker, link: ClaimLink
) -> ClaimTarget:
    """The redemption a device's QR names; refused when the MAC or the code is not right."""
    with reader(engine).connect() as conn:
        device = conn.execute(
            select(devices.c.secret, devices.c.revoked_at).where(
                devices.c.id == link.device_id[:64]
            )
        ).first()
        row = conn.execute(
            select(events.c.device_id, events.c.received, events.c.kind, events.c.campaign,
                   events.c.serial).where(events.c.event_id == link.event_id[:64])
        ).first()  # fmt: skip
    if device is None or not device.secret or not mac_matches(bytes.fromhex(device.secret), link):
        raise NOT_OURS
    if device.revoked_at is not None and row is None:
        # whoever holds a revoked device holds its secret, and revoking freed the wins it never
        # sent: only a redemption that reached us before is still a win
        raise NOT_OURS
    checked = checker.check(link.code)
    if not checked.valid or checked.campaign is None or checked.serial is None:
        raise NOT_OURS
    if row is not None and (
        row.device_id != link.device_id or row.kind != "redeem"
        or (row.campaign, row.serial) != (checked.campaign, checked.serial)
    ):  # fmt: skip
        raise NOT_OURS
    return _target(
        rechecker, checked.campaign, checked.serial, checked.code or link.code, checked.tier,
        link.event_id, link.device_id, float(row.received) if row is not None else None,
    )  # fmt: skip


def _target(
    rechecker: Rechecker, campaign_id: str, serial: int, code: str, tier_name: str | None,
    event_id: str, device_id: str | None, redeemed_at: float | None,
) -> ClaimTarget:  # fmt: skip
    campaign = rechecker.campaign(campaign_id)
    tier = campaign.tier_named(tier_name) if campaign and tier_name else None
    if campaign is None or tier is None:
        raise NOT_OURS
    if tier.kind != "claim":
        raise ApiError(
            409, "not_a_claim_prize", "This prize is handed over at once: nothing to claim."
        )
    return ClaimTarget(
        campaign_id, serial, code, tier.name, tier.description or tier.name,
        tier.value, event_id, device_id, redeemed_at, tier.claim_days, campaign.claims_per_phone,
    )  # fmt: skip


def _code_of(payload: str) -> str:
    code = json.loads(payload).get("code", "")
    return code if isinstance(code, str) else ""
