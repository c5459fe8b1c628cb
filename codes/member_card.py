"""What a loyalty member card's QR holds: `member:` and the member as the tills know them, their
phone in international form (`member:+919876543210`) or their card number (`member:CARD0042`).

One format for both ends: `instore admin member card` writes it (member_qr_text) and the kiosk's
loyalty screen reads it (member_from_qr). The prefix is read in any case and spaces around the
member are dropped, as a scanner or a hand-made card may give them.
"""

from __future__ import annotations

import re

from codes.common.errors import InstoreError

PREFIX = "member:"
MAX_KEY = 64  # the longest member key a till looks up
_KEY = re.compile(r"\+?[0-9A-Za-z][0-9A-Za-z-]*")  # a phone in E.164, or a card number


class NotAMemberKey(InstoreError):
    """The text cannot name a member on a card (empty, spaced, too long, not letters/digits)."""

    def __init__(self, message: str) -> None:
        super().__init__("not_a_member_key", message)


def member_qr_text(key: str) -> str:
    """The QR text of the card of the member `key` (a phone in international form, or a card
    number): `member:+919876543210`. NotAMemberKey when `key` could not be read back."""
    key = key.strip()
    if len(key) > MAX_KEY or not _KEY.fullmatch(key):
        raise NotAMemberKey(
            f"a member card holds a phone in international form (+919876543210) or a card number"
            f" (letters, digits, hyphens; at most {MAX_KEY}), not {key[:80]!r}"
        )
    return PREFIX + key


def member_from_qr(text: str) -> str | None:
    """The member a card's QR names (`member:+919876543210` gives `+919876543210`); None when the
    text is not a member card (a prize code, a link, `member:` with nobody after it)."""
    if text[: len(PREFIX)].lower() != PREFIX:
        return None
    key = text[len(PREFIX) :].strip()
    # read as leniently as before the writer existed (a hand-made card may space its phone):
    # the till looks the member up in any written form
    return key if key and len(key) <= MAX_KEY and key.isprintable() else None


def masked(key: str) -> str:
    """The member as printed under the QR, most of it hidden: a phone keeps its country code's
    first digits and its last four (`+91 •••••• 3210`), a card its last four (`•••• 0042`). A
    lost card shows nobody the whole number; its owner knows it by the end."""
    key = key.strip()
    if key.startswith("+") and len(key) > 7:
        return f"{key[:3]} {'•' * (len(key) - 7)} {key[-4:]}"
    return f"•••• {key[-4:]}"
