"""Hindi words with Latin ones among them, as a shopper reads them: i18n.markup draws a Latin
word in Noto Sans (the Devanagari font has no Latin letters) and everything else in the
Devanagari font, so a number or a colon sits on the line like the words around it and is spaced
by one normal space."""

from __future__ import annotations

from typing import Any

from kiosk.flow import Flow
from kiosk.i18n import font, markup
from kiosk.settings import KioskSettings
from terminal.config import TerminalConfig
from tests.kiosk.conftest import StoreFactory
from tests.kiosk.ui import Ui

LATIN = font("en")


def test_only_latin_letters_switch_font_and_one_space_stays_on_each_side() -> None:
    assert markup("आपके पास 120 पॉइंट हैं", "hi") == "आपके पास 120 पॉइंट हैं"
    assert markup("यह कियोस्क ऑफ़लाइन है: कोड", "hi") == "यह कियोस्क ऑफ़लाइन है: कोड"
    assert markup("एक 2D शो", "hi") == f"एक [font={LATIN}]2D[/font] शो"
    assert markup("Volt Electronics की ओर से", "hi") == (
        f"[font={LATIN}]Volt Electronics[/font] की ओर से"  # one run: its space in its font
    )
    assert markup("Gas & Go की", "hi") == f"[font={LATIN}]Gas &amp; Go[/font] की"


def _columns(label: Any) -> list[bool]:
    label.texture_update()
    t = label.texture
    w, h = t.size
    alpha = t.pixels[3::4]
    return [any(alpha[y * w + x] > 60 for y in range(h)) for x in range(w)]


def _ink_bottom(label: Any, x0: int, x1: int) -> int:
    """The lowest row with ink between columns x0 and x1 (rows counted from the top)."""
    t = label.texture
    w, h = t.size
    alpha = t.pixels[3::4]
    return max(y for y in range(h) for x in range(x0, x1) if alpha[y * w + x] > 60)


def test_a_number_in_hindi_sits_on_the_line_and_a_colon_hugs_its_word(
    make_store: StoreFactory,
) -> None:
    from kivy.factory import Factory

    from kiosk.screens.common import say

    store = make_store(TerminalConfig(), name="hindi-latin")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    ui = Ui(flow)
    try:
        flow.set_language("hi")
        label = Factory.KLabel(font_size="40sp", width=1000, halign="left")
        ui.screen.add_widget(label)
        # "12" then "क" (a letter on the baseline, no vowel sign below): both end on one row
        say(label, "12 क", "hi")
        ui.spin(3)
        cols = _columns(label)
        gap_end = max(x for x in range(len(cols)) if cols[x] and not cols[x - 1])  # "क" starts
        digits = _ink_bottom(label, 0, gap_end - 4)
        letter = _ink_bottom(label, gap_end, len(cols))
        assert abs(digits - letter) <= 1, (digits, letter)
        # "है:" then " कोड": the colon as close to its word as in a line with no Latin at all
        say(label, "है: कोड", "hi")
        ui.spin(3)
        cols = _columns(label)
        gaps = [x for x in range(1, len(cols)) if not cols[x] and cols[x - 1]]
        first_gap = next(x for x in range(gaps[0], len(cols)) if cols[x]) - gaps[0]
        assert first_gap <= label.font_size * 0.12, first_gap  # a colon's own spacing
        ui.screen.remove_widget(label)
    finally:
        ui.close()
