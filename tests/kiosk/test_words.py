"""The words and looks a shopper gets: four full catalogues, no literal in a screen, contrast."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from kiosk.app import THEME
from kiosk.details_desk import AGE_BANDS, GENDERS
from kiosk.i18n import LANGUAGES, Text, catalogue, markup, render
from terminal.results import Status

KIOSK = Path(__file__).resolve().parents[2] / "kiosk"


def _fields(entry: str | dict[str, str]) -> set[str]:
    texts = entry.values() if isinstance(entry, dict) else [entry]
    return {f for t in texts for _, f, _, _ in string.Formatter().parse(t) if f}


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_language_has_every_key_with_the_same_placeholders(lang: str) -> None:
    english, other = catalogue("en"), catalogue(lang)
    assert set(other) == set(english)
    for key, entry in english.items():
        assert _fields(other[key]) == _fields(entry), key


def test_every_key_the_kiosk_names_is_in_the_catalogue() -> None:
    named: set[str] = set()
    for path in KIOSK.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and re.fullmatch(r"[a-z_]+\.[a-z0-9_.]+", text):
                named.add(text)
    named |= {f"age.{a}" for a in AGE_BANDS} | {f"gender.{g}" for g in GENDERS}
    named |= {f"result.{s.value}" for s in Status if s.value in {
        "already_redeemed_here", "redeemed_elsewhere", "in_another_basket", "mistyped", "invalid",
        "unknown_campaign", "not_issued", "expired", "not_started", "limit", "offline_budget",
        "needs_online", "not_saved"}}  # fmt: skip
    modules = {"codes.qr", "kivy.app", "kivy.metrics"}  # dotted names that are not keys
    missing = {k for k in named - modules if k.split(".")[0] in {
        "attract", "type", "result", "button", "idle", "pin", "manager", "loyalty", "details",
        "age", "gender", "language"}} - set(catalogue("en"))  # fmt: skip
    assert not missing


def test_no_screen_shows_a_literal_to_a_shopper() -> None:
    """Screens put words up only through the catalogue: `say(widget, render(...), lang)`."""
    shopper_screens = ["attract", "keypad", "result", "details", "loyalty", "pin", "idle"]
    for name in shopper_screens:
        tree = ast.parse((KIOSK / "screens" / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "say":
                words = node.args[1]
                literal = isinstance(words, ast.Constant) and re.search(
                    "[A-Za-z]", str(words.value)
                )
                assert not literal, f"{name}.py line {node.lineno} shows a literal"
            if isinstance(node, ast.keyword) and node.arg == "text":
                assert not isinstance(node.value, ast.Constant), f"{name}.py line {node.lineno}"
        kv = (KIOSK / "screens" / f"{name}.kv").read_text()
        assert not re.search(r"^\s*text:\s*[\"'][^\"']*[A-Za-z]", kv, re.M), f"{name}.kv"


def test_hindi_words_with_latin_in_them_draw_the_latin_in_noto_sans() -> None:
    words = render(Text.of("type.hint"), "hi")
    drawn = markup(words, "hi")
    assert "[font=" in drawn and "NotoSans-Regular.ttf]O[/font]" in drawn
    assert markup("a [b] & c", "en") == "a &bl;b&br; &amp; c"  # a name never becomes markup


def test_plural_forms() -> None:
    assert render(Text.of("loyalty.balance", points=1), "en") == "You have 1 point"
    assert render(Text.of("loyalty.balance", points=22), "ru").endswith(" 22 балла")
    assert render(Text.of("loyalty.balance", points=11), "ru").endswith(" 11 баллов")
    assert render(Text.of("loyalty.balance", points=21), "ru").endswith(" 21 балл")


def _luminance(rgba: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(
    ("ink", "ground"),
    [("ink", "paper"), ("muted", "paper"), ("warn", "paper"), ("error", "paper"),
     ("win", "paper"), ("ink", "field"), ("error", "field")],
)  # fmt: skip
def test_text_contrast_is_at_least_4_5_to_1(ink: str, ground: str) -> None:
    assert _contrast(THEME[ink], THEME[ground]) >= 4.5


@pytest.mark.parametrize("button", ["primary", "secondary"])
def test_white_on_buttons_is_at_least_4_5_to_1(button: str) -> None:
    assert _contrast((1, 1, 1, 1), THEME[button]) >= 4.5
