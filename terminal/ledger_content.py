"""What shoppers see of each campaign and of the loyalty program, as the server last sent it:
names and descriptions per language (a tier's, a bonus wheel outcome's, a catalogue prize's),
pictures, and the themes. Sync stores it (`put_content`, `put_program_content`); the kiosk reads
it. The terminal only keeps it: which language to show, and whether a theme is readable, is the
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
    wheel: Mapping[str, TierWords] = field(default_factory=dict)  # bonus wheel outcomes by label

    @classmethod
    def from_dict(cls, campaign: str, digest: str, data: Mapping[str, Any]) -> Content:
        return cls(
            campaign, digest, dict(data.get("name", {})), _words(data.get("tiers", {})),
            _theme(data.get("theme")), _words(data.get("wheel", {})),
        )  # fmt: skip

    def pictures(self) -> set[str]:
        items = [*self.tiers.values(), *self.wheel.values()]
        return {t.picture for t in items} | _theme_pictures(self.theme)


@dataclass(frozen=True)
class ProgramWords:
    """What shoppers see of the loyalty program: each catalogue prize's words and picture by
    the prize's id, and the program's theme (a campaign's own wins over it)."""

    digest: str
    prizes: Mapping[str, TierWords] = field(default_factory=dict)
    theme: Theme | None = None

    @classmethod
    def from_dict(cls, digest: str, data: Mapping[str, Any]) -> ProgramWords:
        return cls(digest, _words(data.get("prizes", {})), _theme(data.get("theme")))

    def pictures(self) -> set[str]:
        return {p.picture for p in self.prizes.values()} | _theme_pictures(self.theme)


def _words(tables: Mapping[str, Any]) -> dict[str, TierWords]:
    return {
        key: TierWords(dict(t.get("name", {})), dict(t.get("description", {})),
                       str(t.get("picture", "")))
        for key, t in dict(tables).items()
    }  # fmt: skip


def _theme(theme: Mapping[str, Any] | None) -> Theme | None:
    if not theme:
        return None
    return Theme(
        theme["primary"], theme["background"], theme["text"],
        theme.get("button_text", "#ffffff"), theme.get("logo", ""),
        tuple(theme.get("attract", ())),
    )  # fmt: skip


def _theme_pictures(theme: Theme | None) -> set[str]:
    return set() if theme is None else {theme.logo, *theme.attract}


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
    _put_pictures(conn, pictures)


def put_program_content(
    conn: sqlite3.Connection, data: Mapping[str, Any] | None,
    pictures: Mapping[str, tuple[str, bytes]],
) -> None:  # fmt: skip
    """Keep the program's content (None: it has none now) and its pictures, as put_content."""
    if data is None:
        conn.execute("DELETE FROM program_content")
        return
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).hexdigest()
    conn.execute(
        "INSERT INTO program_content VALUES (1, ?, ?) ON CONFLICT (id)"
        " DO UPDATE SET data = excluded.data, digest = excluded.digest",
        (text, digest),
    )
    _put_pictures(conn, pictures)


def _put_pictures(conn: sqlite3.Connection, pictures: Mapping[str, tuple[str, bytes]]) -> None:
    for sha, (kind, raw) in pictures.items():
        if hashlib.sha256(raw).hexdigest() == sha:
            conn.execute("INSERT OR IGNORE INTO pictures VALUES (?, ?, ?)", (sha, kind, raw))


def drop_unused_pictures(conn: sqlite3.Connection) -> int:
    """Forget pictures no campaign's content names any more; how many went."""
    used: set[str] = set()
    for (text,) in conn.execute("SELECT data FROM campaign_content"):
        used |= Content.from_dict("", "", json.loads(text)).pictures()
    for (text,) in conn.execute("SELECT data FROM program_content"):
        used |= ProgramWords.from_dict("", json.loads(text)).pictures()
    held = [r[0] for r in conn.execute("SELECT sha256 FROM pictures")]
    gone = [sha for sha in held if sha not in used]
    conn.executemany("DELETE FROM pictures WHERE sha256 = ?", [(sha,) for sha in gone])
    return len(gone)


def content_digests(ledger: Ledger) -> tuple[str, ...]:
    """What changes when sync stores new content: one small read per campaign."""
    rows = ledger.read(
        "SELECT campaign, digest FROM campaign_content"
        " UNION ALL SELECT '', digest FROM program_content ORDER BY 1"
    )
    return tuple(f"{r['campaign']}:{r['digest']}" for r in rows)


def contents(ledger: Ledger) -> list[Content]:
    """Every campaign's content this device holds, by campaign id."""
    rows = ledger.read("SELECT campaign, data, digest FROM campaign_content ORDER BY campaign")
    return [Content.from_dict(r["campaign"], r["digest"], json.loads(r["data"])) for r in rows]


def content_of(ledger: Ledger, campaign: str) -> Content | None:
    """One campaign's content this device holds, or None."""
    row = ledger.one("SELECT data, digest FROM campaign_content WHERE campaign = ?", (campaign,))
    if row is None:
        return None
    return Content.from_dict(campaign, row["digest"], json.loads(row["data"]))


def program_words(ledger: Ledger) -> ProgramWords | None:
    """The program's content this device holds, or None."""
    row = ledger.one("SELECT data, digest FROM program_content")
    return None if row is None else ProgramWords.from_dict(row["digest"], json.loads(row["data"]))


def picture(ledger: Ledger, sha: str) -> tuple[str, bytes] | None:
    """A stored picture's kind (png, jpeg) and bytes."""
    row = ledger.one("SELECT kind, data FROM pictures WHERE sha256 = ?", (sha,))
    return None if row is None else (str(row["kind"]), bytes(row["data"]))
