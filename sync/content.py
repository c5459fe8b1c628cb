"""A campaign grant's content (texts, pictures, theme) into the device's ledger: the pictures
decoded from the wire's base64 and kept by their SHA-256 (terminal/ledger_content.py)."""

from __future__ import annotations

import base64
import binascii
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from sync.protocol import CampaignContent, CampaignGrant
from terminal.ledger import Ledger
from terminal.ledger_content import drop_unused_pictures, put_content


def put_grant_content(
    conn: sqlite3.Connection, campaign: str, content: CampaignContent | None
) -> None:
    """Keep a campaign's content as its grant carries it (None: it has none)."""
    if content is None:
        put_content(conn, campaign, None, {})
        return
    pictures: dict[str, tuple[str, bytes]] = {}
    for sha, picture in content.pictures.items():
        try:
            pictures[sha] = (picture.kind, base64.b64decode(picture.data, validate=True))
        except (binascii.Error, ValueError):
            continue  # not kept: the screen shows the kiosk's own art there
    put_content(conn, campaign, content.model_dump(exclude={"pictures"}), pictures)


def keep_enrolled_content(path: Path, grants: Iterable[CampaignGrant]) -> None:
    """The content the enrollment answer brought (a newly enrolled device's config version is
    the server's, so its first pull would not send it again)."""
    ledger = Ledger(path)
    try:
        with ledger.write() as conn:
            for grant in grants:
                put_grant_content(conn, str(grant.campaign.get("id", "")), grant.content)
            drop_unused_pictures(conn)
    finally:
        ledger.close()
