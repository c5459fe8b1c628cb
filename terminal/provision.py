"""Putting a device's identity, campaigns and config into its ledger.

Enrollment with the server and, in development, campaign files both end here.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from pathlib import Path

from codes import campaign as campaign_file
from codes.campaign import Campaign
from terminal.config import TerminalConfig
from terminal.ledger import Device, Ledger, now_iso


def provision(
    path: Path | str,
    campaigns: Sequence[tuple[Campaign, bytes]],
    device_name: str = "",
    store_id: str = "",
    config: TerminalConfig | None = None,
    device_id: str | None = None,
    secret: bytes | None = None,
    server_url: str = "",
) -> Device:
    """Create the ledger if needed, keep an existing device identity, add or update campaigns."""
    ledger = Ledger(path, create=True)
    try:
        with ledger.write() as conn:
            if conn.execute("SELECT 1 FROM device").fetchone() is None:
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
            for campaign, key in campaigns:
                conn.execute(
                    "INSERT INTO campaigns (id, data, key) VALUES (?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET data = excluded.data, key = excluded.key",
                    (campaign.id, json.dumps(campaign_file.to_dict(campaign), default=str), key),
                )
            if config is not None:
                Ledger.put_setting(conn, "config", config.to_dict())
        return ledger.device()
    finally:
        ledger.close()
