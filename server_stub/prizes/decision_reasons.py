"""The reasons listed for a claim's decision, in the winner's four languages: one source for
the verifier's list (its English words), the winner's status page and the messages.

The words are files, one per language (`messages/reasons/en.json`, `hi`, `ru`, `kk`), each
{"approve": {code: words}, "reject": {code: words}}. `other` is a rejection's reason too, with
no words of its own: the verifier's free text says it all.

A claim keeps the reason as staff wrote it (`prize_claims.reason`: the listed reason's English
words, then the verifier's free text) and the listed reason's code beside it
(`prize_claims.reason_code`). The winner reads the code's words in their language, then the
free text as the verifier wrote it: `split` takes the free text back out of the stored reason.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

FOLDER = Path(__file__).parent / "messages" / "reasons"
LANGUAGES = ("en", "hi", "ru", "kk")
DECISIONS = ("approve", "reject")
OTHER = "other"  # a rejection's reason with no words: the free text alone


@functools.cache
def catalogue(lang: str) -> dict[str, dict[str, str]]:
    """One language's reasons: decision -> {code: words}. English for a language we lack."""
    lang = lang if lang in LANGUAGES else "en"
    loaded: dict[str, dict[str, str]] = json.loads(
        (FOLDER / f"{lang}.json").read_text(encoding="utf-8")
    )
    return loaded


def english(decision: str) -> dict[str, str]:
    """The listed reasons of `approve` or `reject` in English, as staff choose them."""
    return dict(catalogue("en")[decision])


def codes(decision: str) -> tuple[str, ...]:
    """Every code a decision may name (a rejection's `other` too)."""
    return (*english(decision), *((OTHER,) if decision == "reject" else ()))


def words(lang: str, code: str) -> str:
    """A listed reason in `lang` (English where a language lacks it); "" for `other` or a code
    that is no listed reason."""
    for decision in DECISIONS:
        found = catalogue(lang)[decision].get(code) or catalogue("en")[decision].get(code)
        if found:
            return found
    return ""


def split(reason: str, code: str | None) -> tuple[str | None, str]:
    """A stored reason as (its listed code, the free text after the code's English words).
    (None, reason) where the code has no words (`other`, none kept: a reason written before
    codes were, or typed in full), or the reason does not begin with its words: then the
    reason is shown as staff wrote it rather than half translated."""
    listed = words("en", code) if code else ""
    if not listed or not reason.startswith(listed):
        return None, reason
    return code, reason[len(listed) :].strip()


def for_winner(lang: str, code: str | None, reason: str) -> str:
    """The reason as the winner reads it in a message: the listed reason in `lang`, then the
    verifier's free text as written. In English, the stored reason itself."""
    listed, note = split(reason, code)
    if listed is None:
        return reason
    return " ".join(part for part in (words(lang, listed), note) if part)
