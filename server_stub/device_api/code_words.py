"""The words of the one-time password a till or kiosk asks for (member_codes.py), in four
languages, from `texts/<lang>.json` (one flat catalogue per language; a test holds the four to
the same keys and placeholders): `spend` names the points the code confirms, `join` is for a
new member's registration. A member's code speaks the member's language, a joining phone the
language its device sends."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "texts"
LANGUAGES = ("en", "hi", "ru", "kk")
DEFAULT = "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """A language's words; English's for a language without its file."""
    path = HERE / f"{known(lang)}.json"
    words: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return words


def known(lang: str | None) -> str:
    """`lang` (any case, spaces around) if we have its words, else English."""
    lang = (lang or "").strip().lower()
    return lang if lang in LANGUAGES else DEFAULT


def say(lang: str, key: str, **params: Any) -> str:
    return catalogue(lang)[key].format(**params)


def points(lang: str, n: int) -> str:
    """A number of points with the language's thousands separator: a spend of 100000 must not
    read as a second six-digit code (otp.send_otp refuses words holding one)."""
    return f"{n:,}".replace(",", catalogue(lang)["thousands"])
