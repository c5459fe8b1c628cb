"""The words and looks a shopper gets: four full catalogues, no literal in a screen, contrast."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path
from typing import Any

import pytest

from kiosk import manager_view
from kiosk.app import THEME
from kiosk.details_desk import AGE_BANDS, GENDERS
from kiosk.i18n import LANGUAGES, Text, catalogue, markup, render
from kiosk.runner import sync_words
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
            if isinstance(text, str) and re.fullmatch(r"[a-z_]+\.[a-z0-9_.]*[a-z0-9_]", text):
                named.add(text)
    named |= {f"age.{a}" for a in AGE_BANDS} | {f"gender.{g}" for g in GENDERS}
    named |= {f"manager.section.{s}" for s in manager_view.SECTIONS}
    named |= {f"manager.{s}{w}" for s in ("online", "offline") for w in ("", "_since")}
    named |= {f"manager.age.{u}" for u in ("second", "minute", "hour", "day")}
    named |= {f"result.{s.value}" for s in Status if s.value in {
        "already_redeemed_here", "redeemed_elsewhere", "in_another_basket", "mistyped", "invalid",
        "unknown_campaign", "not_issued", "expired", "not_started", "limit", "offline_budget",
        "needs_online", "not_saved"}}  # fmt: skip
    modules = {"codes.qr", "kivy.app", "kivy.metrics"}  # dotted names that are not keys
    missing = {k for k in named - modules if k.split(".")[0] in {
        "attract", "type", "result", "button", "idle", "pin", "manager", "loyalty", "details",
        "age", "gender", "language", "wheel"}} - set(catalogue("en"))  # fmt: skip
    assert not missing


def _literal(node: ast.AST) -> bool:
    """Words written in the source: a string, or an f-string's fixed parts, with letters in it."""
    if isinstance(node, ast.Constant):
        return bool(re.search("[A-Za-z]", str(node.value)))
    if isinstance(node, ast.JoinedStr):
        return any(_literal(part) for part in node.values)
    if isinstance(node, ast.BinOp):
        return _literal(node.left) or _literal(node.right)
    return False


SCREENS = sorted(p.stem for p in (KIOSK / "screens").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", SCREENS)
def test_no_screen_shows_a_literal(name: str) -> None:
    """Every screen, the manager's too, puts words up only through the catalogue:
    `say(widget, render(...), lang)`; a `text` is never written in the source."""
    tree = ast.parse((KIOSK / "screens" / f"{name}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "say":
            assert not _literal(node.args[1]), f"{name}.py line {node.lineno} shows a literal"
        if isinstance(node, ast.keyword) and node.arg == "text":
            assert not _literal(node.value), f"{name}.py line {node.lineno}"
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr == "text" for t in node.targets
        ):
            assert not _literal(node.value), f"{name}.py line {node.lineno}"
    kv = KIOSK / "screens" / f"{name}.kv"
    if kv.exists():
        text = kv.read_text()
        assert not re.search(r"^\s*text:\s*[\"'][^\"']*[A-Za-z]", text, re.M), f"{name}.kv"


def test_the_managers_screen_speaks_the_kiosks_language() -> None:
    """Its view is catalogue words: headings, connection, what waits, budget, sync's outcome."""
    status: dict[str, Any] = {
        "online": False, "online_since": None, "offline_since": "2026-12-01T08:00:00+00:00",
        "pending": 3, "oldest_pending_s": 0.8 * 72 * 3600, "max_offline_s": 72 * 3600,
        "overdue": False, "last_pull": None, "conflict_list": [], "rejected_list": [],
        "alert_list": [], "offline_budget": {"gold": {"used": 2, "max": 10}},
    }  # fmt: skip
    seen = manager_view.view(status, [], sync_words(None))
    texts = [seen.connection, seen.last_sync, seen.pending, seen.oldest, *seen.budget, seen.sync]
    texts += [seen.heading(s) for s in manager_view.SECTIONS]
    for lang in LANGUAGES[1:]:
        for text in texts:
            assert isinstance(text, Text)
            words = render(text, lang).replace("gold", "")  # the tier's id is data
            assert words != render(text, "en") and not re.search("[A-Za-z]{4}", words), words
    assert render(seen.connection, "ru") == "Нет связи с 01 декабря 08:00:00"  # noqa: RUF001
    assert seen.oldest is not None and render(seen.oldest, "ru") == (
        "самому старому 2 дня, оно должно дойти до сервера не позже чем через 3 дня"
    )


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
