"""One USSD screen as a gateway shows it: `CON ` (the person may answer) or `END ` (the session
is over), then the text, then the numbered options, 182 characters at most in all.

Characters, not bytes: a gateway counts what the phone shows, and Cyrillic or Devanagari is one
character each. The options are never cut (a screen without its "0. Back" is a dead end); the
text above them is, with "…", when it would not fit.
"""

from __future__ import annotations

from dataclasses import dataclass

LIMIT = 182
ELLIPSIS = "…"


@dataclass(frozen=True)
class Reply:
    text: str
    options: tuple[str, ...] = ()  # "1. Balance", in the order shown
    end: bool = False

    @property
    def body(self) -> str:
        """What the gateway is answered: `CON ...` or `END ...`, LIMIT characters at most."""
        head = "END " if self.end else "CON "
        tail = "\n".join(self.options)
        room = LIMIT - len(head) - len(tail) - (1 if tail and self.text else 0)
        text = clip(self.text, room)
        body = head + "\n".join(part for part in (text, tail) if part)
        return body[:LIMIT]  # options of ours never reach the limit; a test holds them short


def clip(text: str, room: int) -> str:
    """`text` in `room` characters: whole when it fits, else cut with "…" (a cut line's spaces
    trimmed, so no line ends in a space before the mark)."""
    if len(text) <= room:
        return text
    if room <= len(ELLIPSIS):
        return ""
    return text[: room - len(ELLIPSIS)].rstrip() + ELLIPSIS


def option(number: int | str, words: str) -> str:
    return f"{number}. {words}"
