"""The example brand's content (docs/examples/campaign-content) and the example program's
(docs/examples/program-content) put in a kiosk's ledger as sync puts them, and the same with
changes a test makes."""

from __future__ import annotations

from pathlib import Path

from server_stub.catalog.campaign_content import read_content
from server_stub.catalog.program_content import read_program_content
from sync.content import put_grant_content, put_program
from sync.protocol import CampaignContent, ProgramContent
from terminal.engine import Terminal

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "campaign-content"
PROGRAM = EXAMPLE.parent / "program-content"
TIERS = ["gold", "silver", "music"]
WHEEL = ["50 points", "100 points", "cap", "nothing"]  # the bonus wheel docs/wheel.md sets


def example_content() -> CampaignContent:
    """The example brand's: its tiers and its wheel's cap named in four languages, pictures."""
    return read_content(EXAMPLE / "content.toml", TIERS, WHEEL)


def give(terminal: Terminal, content: CampaignContent | None, campaign: str = "ice-2026") -> None:
    with terminal.ledger.write() as conn:
        put_grant_content(conn, campaign, content)


def example_program() -> ProgramContent:
    """The example program's prizes (cinema-ticket, mug) in four languages with pictures, and its
    theme."""
    return read_program_content(PROGRAM / "content.toml", ["cinema-ticket", "mug"])


def give_program(terminal: Terminal, content: ProgramContent | None) -> None:
    with terminal.ledger.write() as conn:
        put_program(conn, content)
