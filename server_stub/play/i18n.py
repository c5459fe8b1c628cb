"""The words of the shopper's web in the kiosk's four languages, from `i18n/<lang>.json` (and
the member's page's from `i18n/member.<lang>.json`).

A page function returns catalogue keys and their parameters; the template says them in the
visit's language. A key missing from a language falls back to English, and a test holds every
catalogue to the same keys.

The reasons listed for a claim's decision are words of the prize office, which its messages to
winners say too: they come from there (`prizes/decision_reasons.py`), as `reason.<code>` keys,
so the status page and the SMS say a reason in the same words.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from server_stub.prizes import decision_reasons

HERE = Path(__file__).parent / "i18n"
LANGUAGES = ("en", "hi", "ru", "kk")
DEFAULT = "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """A language's words; none (so English) for a language without its file."""
    path = HERE / f"{lang}.json"
    if not path.is_file():
        return {}
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    member = HERE / f"member.{lang}.json"  # the member's page's words (member_pages.py)
    if member.is_file():
        data |= json.loads(member.read_text(encoding="utf-8"))
    for listed in decision_reasons.catalogue(lang).values():
        data |= {f"reason.{code}": words for code, words in listed.items()}
    return data


def pick(asked: str | None, accept_language: str = "") -> str:
    """The language asked for (?lang=), else the first of the browser's we speak, else English."""
    if asked in LANGUAGES:
        return asked
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


def say(lang: str, key: str, **params: Any) -> str:
    words = catalogue(lang).get(key) or catalogue(DEFAULT).get(key) or key
    try:
        return words.format(**params)
    except (KeyError, IndexError, ValueError):  # a translation naming a parameter wrongly
        return catalogue(DEFAULT).get(key, key).format(**params)


def translator(lang: str) -> Callable[..., str]:
    """`t("key", name=value)` for a template."""
    return lambda key, **params: say(lang, key, **params)


def keys_of_every_language() -> Iterable[tuple[str, set[str]]]:
    return ((lang, set(catalogue(lang))) for lang in LANGUAGES)
