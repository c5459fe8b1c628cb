"""The example brand's content (docs/examples/campaign-content) put in a kiosk's ledger as sync
puts it, and the same with changes a test makes."""

from __future__ import annotations

from pathlib import Path

from server_stub.catalog.campaign_content import read_content
from sync.content import put_grant_content
from sync.protocol import CampaignContent
from terminal.engine import Terminal

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "campaign-content"
TIERS = ["gold", "silver", "music"]


def example_content() -> CampaignContent:
    return read_content(EXAMPLE / "content.toml", TIERS)


def give(terminal: Terminal, content: CampaignContent | None, campaign: str = "ice-2026") -> None:
    with terminal.ledger.write() as conn:
        put_grant_content(conn, campaign, content)
