"""A new device joins the server: a one-time token becomes its identity, keys and rules."""

from __future__ import annotations

from pathlib import Path

from codes import campaign as campaign_file
from sync.client import SyncClient
from sync.content import keep_enrolled_content
from sync.transport import HttpTransport, Transport, server_address
from terminal.config import TerminalConfig
from terminal.ledger import Device
from terminal.provision import provision


def enroll(path: Path, server_url: str, token: str, transport: Transport | None = None) -> Device:
    """Enroll the device whose ledger is at `path` (created if new).

    A ledger of another device is refused by `provision`. The token is spent once the server
    answers: an answer lost on the way needs a new token.
    """
    server_url = server_address(server_url)
    answer = SyncClient(transport or HttpTransport(server_url)).enroll(token)
    campaigns = [
        (campaign_file.from_dict(g.campaign), bytes.fromhex(g.key)) for g in answer.campaigns
    ]
    device = provision(
        path, campaigns, answer.device_name, answer.store_id,
        TerminalConfig.from_dict(answer.config.model_dump()), answer.device_id,
        bytes.fromhex(answer.secret), server_url, settings={"config_version": answer.config_version},
    )  # fmt: skip
    keep_enrolled_content(path, answer.campaigns, answer.program_content)
    return device
