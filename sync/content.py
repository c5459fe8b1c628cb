"""A campaign grant's content and the program's (texts, pictures, theme) into the device's
ledger: the pictures decoded from the wire's base64 and kept by their SHA-256
(terminal/ledger_content.py)."""

from __future__ import annotations

import base64
import binascii
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from sync.protocol import CampaignContent, CampaignGrant, ProgramContent
from terminal.ledger import Ledger
from terminal.ledger_content import drop_unused_pictures, put_content, put_program_content


def _decoded(content: CampaignContent | ProgramContent) -> dict[str, tuple[str, bytes]]:
    pictures: dict[str, tuple[str, bytes]] = {}
    for sha, picture in content.pictures.items():
        try:
            pictures[sha] = (picture.kind, base64.b64decode(picture.data, validate=True))
        except (binascii.Error, ValueError):
            continue  # not kept: the screen shows the kiosk's own art there
    return pictures


def put_grant_content(
    conn: sqlite3.Connection, campaign: str, content: CampaignContent | None
) -> None:
    """Keep a campaign's content as its grant carries it (None: it has none)."""
    if content is None:
        put_content(conn, campaign, None, {})
        return
    put_content(conn, campaign, content.model_dump(exclude={"pictures"}), _decoded(content))


def put_program(conn: sqlite3.Connection, content: ProgramContent | None) -> None:
    """Keep the program's content as the config's answer carries it (None: it has none)."""
    if content is None:
        put_program_content(conn, None, {})
        return
    put_program_content(conn, content.model_dump(exclude={"pictures"}), _decoded(content))


def keep_enrolled_content(
    path: Path, grants: Iterable[CampaignGrant], program: ProgramContent | None = None
) -> None:
    """The content the enrollment answer brought (a newly enrolled device's config version is
    the server's, so its first pull would not send it again)."""
    ledger = Ledger(path)
    try:
        with ledger.write() as conn:
            for grant in grants:
                put_grant_content(conn, str(grant.campaign.get("id", "")), grant.content)
            put_program(conn, program)
            drop_unused_pictures(conn)
    finally:
        ledger.close()
