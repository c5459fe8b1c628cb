"""The words a shopper sees, in English, Hindi, Russian and Kazakh, from `assets/i18n/<lang>.json`.

Screens never hold a literal a shopper reads: they show a `Text` (a catalogue key and its
parameters), rendered in the language chosen at that moment, so switching language redraws
every screen at once. A key missing from a language falls back to English; a test holds every
catalogue to the same keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any


def assets_dir() -> Path:
    """The folder of the kiosk's catalogues (`i18n/`), fonts (`fonts/`) and art (`art/`).

    It is `kiosk/assets/` wherever the kiosk runs from: an installed wheel carries the files there,
    and in a checkout `kiosk/assets` is a link to the repository's top-level `assets/` folder.
    """
    return (Path(__file__).parent / "assets").resolve()


ASSETS = assets_dir()
LANGUAGES = ("en", "hi", "ru", "kk")
# Devanagari needs HarfBuzz shaping (Kivy's font_script_name) and its own font
SCRIPTS = {"hi": "Deva"}
FONTS = {
    "hi": ("NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"),
}
LATIN_CYRILLIC = ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf")


@dataclass(frozen=True)
class Text:
    """Words to show: a catalogue key and what fills its {placeholders}."""

    key: str
    params: tuple[tuple[str, Any], ...] = field(default=())

    @classmethod
    def of(cls, key: str, **params: Any) -> Text:
        return cls(key, tuple(sorted(params.items())))


@dataclass(frozen=True)
class Words:
    """Words a brand wrote per language (a wheel prize's name), a `Text`'s parameter shown in
    the language of the Text around it, English where that language has none."""

    table: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, table: Mapping[str, str]) -> Words:
        return cls(tuple(sorted(table.items())))

    def said_in(self, lang: str) -> str:
        found = dict(self.table)
        return found.get(lang) or found.get("en") or ""


# A catalogue entry is words, or words by plural form for the number it holds (CLDR's
# categories, as far as these four languages need them).
Entry = str | dict[str, str]


@cache
def catalogue(lang: str) -> dict[str, Entry]:
    path = ASSETS / "i18n" / f"{lang}.json"
    data: dict[str, Entry] = json.loads(path.read_text(encoding="utf-8"))
    return data


def plural_form(lang: str, n: int) -> str:
    if lang == "ru":
        if n % 10 == 1 and n % 100 != 11:
            return "one"
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return "few"
        return "many"
    if lang == "hi":
        return "one" if n in (0, 1) else "other"
    return "one" if n == 1 else "other"


def render(text: Text | None, lang: str) -> str:
    """The words in `lang` (English where that language lacks the key)."""
    if text is None:
        return ""
    entry = catalogue(lang).get(text.key) or catalogue("en")[text.key]
    # a Text among the parameters (a month's name in a date) is said in the same language, and
    # so are a brand's Words
    params = {k: _said(v, lang) for k, v in text.params}
    if isinstance(entry, dict):
        n = next((v for v in params.values() if isinstance(v, int)), 0)
        entry = entry.get(plural_form(lang, n)) or entry.get("other") or next(iter(entry.values()))
    return entry.format(**params) if params else entry


def _said(value: Any, lang: str) -> Any:
    if isinstance(value, Text):
        return render(value, lang)
    return value.said_in(lang) if isinstance(value, Words) else value


def font(lang: str, bold: bool = False) -> str:
    regular, heavy = FONTS.get(lang, LATIN_CYRILLIC)
    return str(ASSETS / "fonts" / (heavy if bold else regular))


def script(lang: str) -> str:
    """Kivy's font_script_name: 'Deva' shapes conjuncts and vowel signs; 'Zyyy' is any script."""
    return SCRIPTS.get(lang, "Zyyy")


# The Devanagari font has digits and punctuation but no Latin letters, no "@" and no "&" (a
# partner's name, "Gas & Go"). A run that holds one of those (a code, "2D", "SHA-256") is drawn
# in Noto Sans whole; digits and punctuation among Hindi words ("120 पॉइंट", "है:") stay in the
# Devanagari font: Kivy sets a run in another font on another baseline and measures the Hindi
# before it apart, so each switch left a wide gap and a number sitting low.
# Latin words side by side ("Volt Electronics") make one run, their spaces in the same font.
_WORD = r"[A-Za-z0-9@#%&+=/<>:._'\"-]*[A-Za-z@&][A-Za-z0-9@#%&+=/<>:._'\"-]*"
_LATIN_RUN = re.compile(rf"{_WORD}(?: +{_WORD})*")


def escape(words: str) -> str:
    """Text shown as it is under Kivy's markup."""
    return words.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


def markup(words: str, lang: str, bold: bool = False) -> str:
    """Words as Kivy markup in their language's font. The Devanagari font has no Latin letters,
    so in Hindi a run of them (a code, "PIN", a reward's English name) is drawn in Noto Sans."""
    if lang not in FONTS:
        return escape(words)
    latin = font("en", bold)
    out, at = [], 0
    for run in _LATIN_RUN.finditer(words):
        out.append(escape(words[at : run.start()]))
        out.append(f"[font={latin}]{escape(run.group())}[/font]")
        at = run.end()
    out.append(escape(words[at:]))
    return "".join(out)
