"""Putting a device's identity, campaigns and config into its ledger.

Enrollment with the server and, in development, campaign files both end here.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from codes import campaign as campaign_file
from codes.campaign import Campaign
from terminal.config import TerminalConfig
from terminal.ledger import Device, Ledger, LedgerError, now_iso


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
            existing = conn.execute("SELECT device_id, name FROM device").fetchone()
            if existing is None:
                conn.execute(
                    "INSERT INTO device VALUES (1, ?, ?, ?, ?, ?, ?)",
                    (
                        device_id or f"dev-{secrets.token_hex(6)}",
                        device_name or Path(path).stem,
                        store_id,
                        secret or secrets.token_bytes(32),
                        server_url,
                        now_iso(),
                    ),
                )
            elif device_id is not None and existing["device_id"] != device_id:
                raise LedgerError(
                    "already_enrolled",
                    f"{path} belongs to device {existing['name']} ({existing['device_id']});"
                    " use a new ledger file",
                )
            elif secret is not None:  # enrollment asked again after a lost answer
                conn.execute("UPDATE device SET secret = ?, server_url = ?", (secret, server_url))
            for campaign, key in campaigns:
                conn.execute(
                    "INSERT INTO campaigns (id, data, key) VALUES (?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET data = excluded.data, key = excluded.key",
                    (campaign.id, json.dumps(campaign_file.to_dict(campaign), default=str), key),
                )
            if config is not None:
                Ledger.put_setting(conn, "config", config.to_dict())
            for key_name, value in (settings or {}).items():
                Ledger.put_setting(conn, key_name, value)
        return ledger.device()
    finally:
        ledger.close()
