"""The shopper's large-text mode: a button on the attract screen, every word of every screen
larger and still fitting (the tour in large text, pictures in tests/artifacts/kiosk/large/<lang>),
and back to normal for the next shopper."""

from __future__ import annotations

from kiosk.flow import Screen
from tests.kiosk.conftest import Clocks, Kiosk, StoreFactory
from tests.kiosk.tour import TOUR_CONFIG, overflowing, tour, tour_flow
from tests.kiosk.ui import ARTIFACTS, Ui


def test_large_text_is_the_shoppers_until_they_leave(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    flow.set_language("kk")
    flow.toggle_large_text()
    assert flow.large_text
    flow.open_typing()
    assert flow.large_text  # kept from screen to screen
    flow.start_over()  # "Done", or the idle reset: the next shopper starts at normal size
    assert not flow.large_text and flow.lang == "en"
    assert flow.screen is Screen.ATTRACT


def test_every_screen_fits_in_large_text(make_store: StoreFactory) -> None:
    from kiosk.screens.common import LARGE_TEXT

    store = make_store(TOUR_CONFIG, name="tour", ask_details=True, claim_tiers="gold")
    clocks = Clocks()
    flow = tour_flow(store, clocks)
    ui = Ui(flow)
    try:
        ids = ui.screen.ids
        normal = ids.title.font_size, ids.type.font_size
        ui.tap(ui.button(text="Larger text"))
        ui.wait(lambda: ids.title.font_size > normal[0])
        assert flow.large_text
        assert ids.title.font_size == normal[0] * LARGE_TEXT
        assert ids.type.font_size == normal[1] * LARGE_TEXT
        assert ids.type.height >= ids.type.texture_size[1]
        assert not overflowing(ui)
        ui.tap(ui.button(text="Normal text"))
        ui.wait(lambda: ids.title.font_size == normal[0])
        assert not flow.large_text
        # Hindi's and Kazakh's words are the tallest and the longest (en and ru: checked by hand)
        for lang in ("hi", "kk"):
            tour(ui, store, clocks, lang, ARTIFACTS / "large" / lang, large=True)
            assert len(list((ARTIFACTS / "large" / lang).glob("*.png"))) >= 13
        # the tour ends with the idle reset: the attract screen is back at its normal size
        ui.wait(lambda: ui.screen.name == "attract" and not flow.large_text)
        assert ui.screen.ids.title.font_size == normal[0]
    finally:
        ui.close()
