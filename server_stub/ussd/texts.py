"""The words of the USSD menus in four languages, from `texts/<lang>.json` (one flat catalogue of
keys per language; a test holds the four to the same keys and placeholders), with dates said the
way each language says them ("31 December", "31 декабря").

Words that hold a count are, where the language changes them with it, a table of plural forms
("one", "few", "many": the forms the points' expiry reminder uses, `expiry.plural`): "1 point
is", "2 points are"; "1 балл", "2 балла", "5 баллов". The count is the first whole number among
the parameters."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from server_stub.loyalty.expiry import plural
from server_stub.phones.numbers import region_of

HERE = Path(__file__).parent / "texts"
LANGUAGES = ("en", "hi", "ru", "kk")
DEFAULT = "en"
# each language named in itself, the same on every screen: a person who cannot read the menu's
# current language still finds their own
NAMES = {"en": "English", "hi": "हिन्दी", "ru": "Русский", "kk": "Қазақша"}
# a guest (no member yet) is greeted in the language most of that country's numbers read; they
# choose their own when they join
_BY_REGION = {"KZ": "kk", "RU": "ru", "BY": "ru", "KG": "ru"}


# a catalogue entry: words, or words by plural form
Entry = str | dict[str, str]


@cache
def catalogue(lang: str) -> dict[str, Entry]:
    """A language's words; English's for a language without its file."""
    path = HERE / f"{lang if lang in LANGUAGES else DEFAULT}.json"
    words: dict[str, Entry] = json.loads(path.read_text(encoding="utf-8"))
    return words


def say(lang: str, key: str, **params: Any) -> str:
    """The words of `key` in `lang` (English where it lacks them), in the plural form the count
    among `params` takes."""
    if lang not in LANGUAGES:
        lang = DEFAULT
    count = next((v for v in params.values() if isinstance(v, int) and not isinstance(v, bool)), 1)
    words = _form(catalogue(lang).get(key), lang, count) or _form(
        catalogue(DEFAULT).get(key), DEFAULT, count
    )
    try:
        return (words or key).format(**params)
    except (KeyError, IndexError, ValueError):  # a translation naming a parameter wrongly
        return (_form(catalogue(DEFAULT).get(key), DEFAULT, count) or key).format(**params)


def _form(entry: Entry | None, lang: str, count: int) -> str:
    if isinstance(entry, dict):
        return entry.get(plural(lang, count)) or entry.get("many") or ""
    return entry or ""


def known(lang: str | None) -> str:
    """`lang` if we have its words, else English."""
    return lang if lang in LANGUAGES and lang is not None else DEFAULT


def guess(phone: str) -> str:
    """The language to greet an unknown phone in, by its country."""
    return _BY_REGION.get(region_of(phone), DEFAULT)


def day(lang: str, on: date, today: date) -> str:
    """A date in words: "31 December", with its year when that is not this year's."""
    month = say(lang, f"month.{on.month}")
    if on.year == today.year:
        return say(lang, "date.day_month", day=on.day, month=month)
    return say(lang, "date.day_month_year", day=on.day, month=month, year=on.year)
