"""The brand's words and look as the kiosk takes them (kiosk/brand.py, without a window): the
prize in the shopper's language or English, what is missing named for the manager, and a theme
too faint to read refused, said, and the kiosk's own look kept."""

from __future__ import annotations

import logging

import pytest

from kiosk.brand import rgba
from kiosk.i18n import render
from tests.kiosk.brand_fixture import example_content, give
from tests.kiosk.conftest import Kiosk, scan

BASE = {"paper": (1.0, 1.0, 1.0, 1.0), "ink": (0.0, 0.0, 0.0, 1.0), "primary": (0.0, 0.4, 0.3, 1.0),
        "button_text": (1.0, 1.0, 1.0, 1.0), "muted": (0.29, 0.32, 0.38, 1.0),
        "warn": (0.53, 0.31, 0.0, 1.0), "error": (0.64, 0.09, 0.1, 1.0), "win": (0.0, 0.4, 0.3, 1.0)}  # fmt: skip


def test_without_content_the_kiosk_says_what_it_said_before(kiosk: Kiosk) -> None:
    brand = kiosk.flow.brand
    assert kiosk.flow.campaign_name == "ice-2026"  # its file has no name: its id, as before
    assert brand.prize("ice-2026", "gold", "ru") is None and brand.slides("en") == []
    assert brand.colours(BASE) == BASE and brand.notes() == () and brand.logo() == ""


def test_prizes_in_the_shoppers_language_and_english_where_it_has_none(kiosk: Kiosk) -> None:
    content = example_content()
    del content.tiers["gold"].description["kk"]
    del content.name["hi"]
    give(kiosk.flow.terminal, content)
    flow, brand = kiosk.flow, kiosk.flow.brand
    flow.set_language("ru")
    assert flow.campaign_name == "Летние крышки"
    assert brand.prize("ice-2026", "gold", "ru") == (
        "Золотая монета",
        "Золотая монета 1 г, 24 карата",  # noqa: RUF001
    )
    assert brand.prize("ice-2026", "gold", "kk") == ("Алтын тиын", "A 1 g 24-carat gold coin")
    flow.set_language("hi")
    assert flow.campaign_name == "Summer lids"
    assert [render(n, "en") for n in brand.notes()] == [
        "ice-2026 name: no hi (English is shown)",
        "ice-2026 gold.description: no kk (English is shown)",
    ]
    slides = brand.slides("en")
    assert [s.name for s in slides] == ["Gold coin", "Silver spoon", "A song to download", ""]
    assert all(s.picture.endswith((".png", ".jpg")) for s in slides)
    assert brand.colours(BASE)["paper"] == rgba("#fff8e7") and brand.logo().endswith(".png")
    assert brand.prize_picture("ice-2026", "gold").endswith(".png")


def test_a_theme_too_faint_to_read_is_refused_said_and_the_default_kept(
    kiosk: Kiosk, caplog: pytest.LogCaptureFixture
) -> None:
    content = example_content()
    assert content.theme is not None
    content.theme.text = "#b0a890"  # pale on cream: 2.2:1
    give(kiosk.flow.terminal, content)
    brand = kiosk.flow.brand
    with caplog.at_level(logging.WARNING, logger="kiosk.brand"):
        assert brand.colours(BASE) == BASE
    assert brand.logo() == ""
    why = "text on background (#b0a890 on #fff8e7) is 2.2"
    assert any(why in r.getMessage() for r in caplog.records)
    said = render(brand.notes()[0], "en")
    assert why in said and said.startswith("The brand's colours are refused")
    # the brand's words still show: only the look is refused
    assert brand.prize("ice-2026", "music", "en") == (
        "A song to download",
        "One song from the summer chart",
    )
    content.theme.text = "#1a1a1a"
    content.theme.button_text = "#ffd0d0"  # pale pink on red: 4.25:1
    give(kiosk.flow.terminal, content)
    assert brand.colours(BASE) == BASE and "button text on primary" in render(
        brand.notes()[0], "ru"
    )
    content.theme.button_text = "#ffffff"
    give(kiosk.flow.terminal, content)
    assert brand.colours(BASE)["primary"] == rgba("#c8102e") and brand.notes() == ()


def test_a_redeemed_prize_carries_what_the_brand_calls_it(kiosk: Kiosk) -> None:
    give(kiosk.flow.terminal, example_content())
    view = scan(kiosk.flow, kiosk.store.code(kiosk.store.serial_of_tier("silver", 0)))
    assert view.won and (view.campaign, view.tier) == ("ice-2026", "silver")
    assert kiosk.flow.brand.prize(view.campaign, view.tier, "kk") == (
        "Күміс қасық", "Балмұздаққа арналған күміс қасық")  # fmt: skip
