"""What shoppers see of each campaign, as the server last sent it: names and descriptions per
language, pictures, and the brand's theme. Sync stores it (`put_content`); the kiosk reads it.
The terminal only keeps it: which language to show, and whether a theme is readable, is the
kiosk's to decide."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from terminal.ledger import Ledger


@dataclass(frozen=True)
class TierWords:
    name: Mapping[str, str] = field(default_factory=dict)  # language -> words
    description: Mapping[str, str] = field(default_factory=dict)
    picture: str = ""  # SHA-256 of a stored picture, or ""


@dataclass(frozen=True)
class Theme:
    primary: str  # '#rrggbb'
    background: str
    text: str
    button_text: str = "#ffffff"
    logo: str = ""
    attract: tuple[str, ...] = ()


@dataclass(frozen=True)
class Content:
    campaign: str
    digest: str  # changes whenever the server's content does
    name: Mapping[str, str] = field(default_factory=dict)
    tiers: Mapping[str, TierWords] = field(default_factory=dict)
    theme: Theme | None = None

    @classmethod
    def from_dict(cls, campaign: str, digest: str, data: Mapping[str, Any]) -> Content:
        theme = data.get("theme")
        return cls(
            campaign, digest, dict(data.get("name", {})),
            {
                tier: TierWords(dict(t.get("name", {})), dict(t.get("description", {})),
                                str(t.get("picture", "")))
                for tier, t in dict(data.get("tiers", {})).items()
            },
            None if not theme else Theme(
                theme["primary"], theme["background"], theme["text"],
                theme.get("button_text", "#ffffff"), theme.get("logo", ""),
                tuple(theme.get("attract", ())),
            ),
        )  # fmt: skip


def put_content(
    conn: sqlite3.Connection, campaign: str, data: Mapping[str, Any] | None,
    pictures: Mapping[str, tuple[str, bytes]],
) -> None:  # fmt: skip
    """Keep the campaign's content (None: it has none now) and the pictures it came with
    ({sha256: (kind, bytes)}; one whose bytes do not match its name is not kept)."""
    if data is None:
        conn.execute("DELETE FROM campaign_content WHERE campaign = ?", (campaign,))
        return
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).hexdigest()
    conn.execute(
        "INSERT INTO campaign_content VALUES (?, ?, ?) ON CONFLICT (campaign)"
        " DO UPDATE SET data = excluded.data, digest = excluded.digest",
        (campaign, text, digest),
    )
    for sha, (kind, raw) in pictures.items():
        if hashlib.sha256(raw).hexdigest() == sha:
            conn.execute("INSERT OR IGNORE INTO pictures VALUES (?, ?, ?)", (sha, kind, raw))


def drop_unused_pictures(conn: sqlite3.Connection) -> int:
    """Forget pictures no campaign's content names any more; how many went."""
    used: set[str] = set()
    for (text,) in conn.execute("SELECT data FROM campaign_content"):
        content = Content.from_dict("", "", json.loads(text))
        used |= {t.picture for t in content.tiers.values()}
        if content.theme is not None:
            used |= {content.theme.logo, *content.theme.attract}
    held = [r[0] for r in conn.execute("SELECT sha256 FROM pictures")]
    gone = [sha for sha in held if sha not in used]
    conn.executemany("DELETE FROM pictures WHERE sha256 = ?", [(sha,) for sha in gone])
    return len(gone)


def content_digests(ledger: Ledger) -> tuple[str, ...]:
    """What changes when sync stores new content: one small read per campaign."""
    rows = ledger.read("SELECT campaign, digest FROM campaign_content ORDER BY campaign")
    return tuple(f"{r['campaign']}:{r['digest']}" for r in rows)


def contents(ledger: Ledger) -> list[Content]:
    """Every campaign's content this device holds, by campaign id."""
    rows = ledger.read("SELECT campaign, data, digest FROM campaign_content ORDER BY campaign")
    return [Content.from_dict(r["campaign"], r["digest"], json.loads(r["data"])) for r in rows]


def picture(ledger: Ledger, sha: str) -> tuple[str, bytes] | None:
    """A stored picture's kind (png, jpeg) and bytes."""
    row = ledger.one("SELECT kind, data FROM pictures WHERE sha256 = ?", (sha,))
    return None if row is None else (str(row["kind"]), bytes(row["data"]))
