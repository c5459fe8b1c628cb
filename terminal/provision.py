"""Putting a device's identity, campaigns and config into its ledger.

Enrollment with the server and, in development, campaign files both end here.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from codes.campaign import Campaign
from terminal.config import TerminalConfig
from terminal.ledger import Device, Ledger, LedgerError


def provision(
    path: Path | str,
    campaigns: Sequence[tuple[Campaign, bytes]],
    device_name: str = "",
    store_id: str = "",
    config: TerminalConfig | None = None,
    device_id: str | None = None,
    secret: bytes | None = None,
    server_url: str = "",
    settings: Mapping[str, Any] | None = None,
) -> Device:
    """Create the ledger if needed, keep an existing device identity, add or update campaigns.

    With a `device_id` (enrollment), a ledger that belongs to another device is refused, and the
    same device asking again takes the new `secret` the server just issued.
    """
    ledger = Ledger(path, create=True)
    try:
        with ledger.write() as conn:
            existing = Ledger.enrolled(conn)
            if existing is None:
                Ledger.put_device(
                    conn,
                    device_id or f"dev-{secrets.token_hex(6)}",
                    device_name or Path(path).stem,
                    store_id,
                    secret or secrets.token_bytes(32),
                    server_url,
                )
            elif device_id is not None and existing[0] != device_id:
                held_id, held_name = existing
                raise LedgerError(
                    "already_enrolled",
                    f"{path} belongs to device {held_name} ({held_id}); use a new ledger file",
                )
            elif secret is not None:  # enrollment asked again after a lost answer
                Ledger.renew_secret(conn, secret, server_url)
            for campaign, key in campaigns:
                Ledger.put_campaign(conn, campaign, key)
            if config is not None:
                Ledger.put_setting(conn, "config", config.to_dict())
            for key_name, value in (settings or {}).items():
                Ledger.put_setting(conn, key_name, value)
        return ledger.device()
    finally:
        ledger.close()
