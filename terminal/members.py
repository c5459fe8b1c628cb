"""How a member is written down, so a phone number typed at a till and at a kiosk is one member."""

from __future__ import annotations

import re

_PHONE = re.compile(r"^\+?[\d\s().\-/]{6,}$")


MAX_MEMBER = 128  # the server refuses a longer id rather than cut it (two members would merge)
GIVE_MEMBER = f"Give a member (at most {MAX_MEMBER} characters)"


def normalise_member(text: str) -> str:
    """A phone number keeps only its digits (and a leading +); a card number or name is kept as
    given, without surrounding spaces. `07700 900-123` and `07700900123` are one member."""
    text = text.strip()
    if len(text) > MAX_MEMBER:
        return ""  # refused as no member: the callers say what a member id must be
    if _PHONE.match(text):
        return ("+" if text.startswith("+") else "") + re.sub(r"\D", "", text)
    return text
