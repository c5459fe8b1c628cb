"""A new device joins the server: a one-time token becomes its identity, keys and rules."""

from __future__ import annotations

from pathlib import Path

from codes import campaign as campaign_file
from codes.errors import InstoreError
from sync.client import SyncClient
from sync.transport import HttpTransport, Transport
from terminal.config import TerminalConfig
from terminal.ledger import Device, Ledger
from terminal.provision import provision


def enroll(path: Path, server_url: str, token: str, transport: Transport | None = None) -> Device:
    """Enroll the device whose ledger is at `path` (created if new)."""
    existing = _existing_device(path)
    answer = SyncClient(transport or HttpTransport(server_url)).enroll(token)
    if existing is not None and existing.device_id != answer.device_id:
        raise InstoreError(
            "already_enrolled",
            f"{path} belongs to device {existing.name} ({existing.device_id}); use a new ledger file",
        )
    campaigns = [
        (campaign_file.from_dict(g.campaign), bytes.fromhex(g.key)) for g in answer.campaigns
    ]
    device = provision(
        path, campaigns, answer.device_name, answer.store_id,
        TerminalConfig.from_dict(answer.config.model_dump()), answer.device_id,
        bytes.fromhex(answer.secret), server_url,
    )  # fmt: skip
    ledger = Ledger(path)
    try:
        with ledger.write() as conn:
            # asked again after a lost answer: the server made a new secret, keep that one
            conn.execute(
                "UPDATE device SET secret = ?, server_url = ?",
                (bytes.fromhex(answer.secret), server_url),
            )
            Ledger.put_setting(conn, "config_version", answer.config_version)
    finally:
        ledger.close()
    return device


def _existing_device(path: Path) -> Device | None:
    if not path.exists():
        return None
    ledger = Ledger(path)
    try:
        row = ledger.one("SELECT 1 FROM device")
        return ledger.device() if row else None
    finally:
        ledger.close()
