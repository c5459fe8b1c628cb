"""How a won prize reaches the shopper, as a device can tell at once: the voucher it hands out
with an instant prize, and the link a claim prize's QR carries to the shopper's claim form.

The voucher comes from the ledger's slice (`ledger_vouchers.py`), taken inside the redemption's
transaction; this module says what the shopper is told, and makes the claim link.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from codes.campaign import Tier
from codes.common.claim_link import claim_url
from terminal.config import TerminalConfig
from terminal.ledger import Device


def claim_link(device: Device, config: TerminalConfig, code: str, event_id: str) -> str | None:
    """The claim QR's link for this redemption, at the shoppers' address of the server (the
    sync server's when it names none); None on a device that knows no server."""
    base = config.play_url or device.server_url
    if not base:
        return None
    return claim_url(base, device.secret, code, event_id, device.device_id)


def claim_by(redeemed_at: float, reward: Tier) -> str:
    """The last day (ISO date, UTC) a claim prize redeemed at `redeemed_at` may be claimed, as the
    shoppers' web counts it: the server counts from when it received the redemption, never
    earlier, so the day said is never past the real deadline's day."""
    last = datetime.fromtimestamp(redeemed_at, UTC) + timedelta(days=reward.claim_days)
    return last.date().isoformat()


def won_words(
    reward: Tier, voucher: str | None, voucher_later: bool, link: str | None, provisional: bool,
    online: bool = True,
) -> str:  # fmt: skip
    """The sentence for a cashier or the command line after an accepted redemption: it says
    itself whether the server has it yet (the command line prints it without the status word)."""
    what = reward.description or reward.name
    if provisional:
        said = f"Recorded: {what}, provisional until the brand confirms it when this device syncs."
    elif not online:
        said = f"Redeemed offline (will sync): {what}."
    else:
        said = f"Redeemed: {what}."
    if voucher is not None:
        return f"{said} Voucher: {voucher}."
    if voucher_later:
        return f"{said} The voucher comes by SMS once this device syncs."
    if link is not None:
        return f"{said} Scan the QR code to claim the prize."
    return said
