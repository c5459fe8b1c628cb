"""The server's words on a conflict or a rejection, read back into their parts: the reason's
code, and for a double redemption the side that won (its device, its store, when), so the
terminal's status lines and the kiosk's manager screen can say them in a manager's words.

The server writes them in server_stub/device_api/ingest.py:
`double_redemption: already redeemed by North till (dev-1a2b) at store north "North Street"
(2026-12-06 15:07 UTC)`. Servers before the store's name (or before the time) wrote less; each
part missing here is None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class FirstSide:
    """Where and when a code was redeemed first, as the server named it."""

    device: str  # the device's name, e.g. "North till"
    device_id: str | None
    store_id: str
    store_name: str | None
    when: datetime | None  # UTC
    when_text: str | None  # as the server wrote it, e.g. "2026-12-06 15:07 UTC"

    @property
    def store(self) -> str:
        """The store as people know it: its name, else its id."""
        return self.store_name or self.store_id


_FIRST_BY = re.compile(
    r"already redeemed by (?P<device>.+?)(?: \((?P<device_id>dev-[^)\s]*)\))?"
    r" at store (?P<store>\S+)(?: \"(?P<name>[^\"]*)\")?(?: \((?P<when>[^)]*)\))?"
)


def split(reason: str | None) -> tuple[str | None, str]:
    """('double_redemption', 'already redeemed by ...'): the code machines read, and the words
    after it; (None, reason) when the reason starts with no code."""
    code, sep, words = (reason or "").partition(": ")
    if sep and code.isidentifier():
        return code, words
    return None, reason or ""


def first_side(reason: str | None) -> FirstSide | None:
    """The side that won a double redemption, or None when the reason names none."""
    code, words = split(reason)
    if code != "double_redemption":
        return None
    found = _FIRST_BY.fullmatch(words)
    if found is None:
        return None
    when_text = found["when"]
    return FirstSide(
        device=found["device"], device_id=found["device_id"], store_id=found["store"],
        store_name=found["name"] or None, when=_utc(when_text), when_text=when_text,
    )  # fmt: skip


def _utc(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text or "", "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC)
    except ValueError:
        return None
