"""The points screen as a shopper sees it, in every language: the balance, then when the pending
points can be spent, then the soonest expiry, then the prizes, each prize with its supplier. The
words must fit the top of the screen: they may not run into the buttons below. Pictures in
tests/artifacts/kiosk/points/."""

from __future__ import annotations

import time

from kiosk.flow import Flow
from kiosk.i18n import LANGUAGES, escape, font, markup
from kiosk.settings import KioskSettings
from sync.outbox import apply_pull
from sync.protocol import MemberBalance, PullResponse, WireLot
from terminal.config import CatalogueItem, TerminalConfig
from terminal.lots import DAY_S, expiry_of
from tests.kiosk.conftest import StoreFactory
from tests.kiosk.ui import ARTIFACTS, Ui

PRIZES = (
    CatalogueItem("cap", "Cap", 50, partner="volt", partner_name="Volt Electronics"),
    CatalogueItem("fuel-20", "20 litres of fuel", 900, partner="gas", partner_name="Gas & Go"),
    CatalogueItem("pen", "Pen", 5),  # no supplier named
)


def test_the_points_screen_fits_in_every_language(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(catalogue=PRIZES), name="points-screen")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    now = time.time()
    lots = [
        WireLot(id=1, partner="gas", earned=now - 340 * DAY_S, pending_until=now - 330 * DAY_S,
                expires_at=expiry_of(now - 340 * DAY_S, 12), remaining=120),
        WireLot(id=2, partner="gas", earned=now - 2 * DAY_S, pending_until=now + 12 * DAY_S,
                expires_at=expiry_of(now, 12), remaining=1240),
    ]  # fmt: skip
    answer = PullResponse(cursor=1, more=False, config_version=0, server_time=now,
                          balances=[MemberBalance(member="CARD-5", balance=120, lots=lots)])  # fmt: skip
    apply_pull(flow.terminal.ledger, answer)
    ui = Ui(flow)
    try:
        for lang in LANGUAGES:
            flow.start_over()
            flow.set_language(lang)
            flow.open_loyalty()
            assert flow.loyalty.member_card("member:CARD-5")
            ui.app.redraw()
            ui.wait(lambda: ui.screen.name == "loyalty")
            ids = ui.screen.ids
            ui.shot(ARTIFACTS / "points" / f"{lang}.png")
            who = ids.who.text
            assert len(who.splitlines()) == 3, who  # balance, pending, expiry
            assert "1240" in who or "1,240" in who
            # the words end above the first thing to press (the check-in button)
            words_bottom = ids.message.to_window(ids.message.x, ids.message.y)[1]
            check_in = ids.checkin.to_window(ids.checkin.x, ids.checkin.top)[1]
            title_top = ids.title.to_window(ids.title.x, ids.title.top)[1]
            assert words_bottom >= check_in, (lang, words_bottom, check_in)
            assert title_top <= ui.app.root.height, lang
            prizes = [b.text for b in ui.widgets() if b.action in {"cap", "fuel-20", "pen"}]
            # (in markup: & as &amp;, and in Hindi each Latin word in a font of its own)
            assert any("Volt" in p and "Electronics" in p for p in prizes), prizes
            assert any("Gas" in p and escape("&") in p for p in prizes), prizes
    finally:
        ui.close()


def test_an_ampersand_in_hindi_is_drawn_in_the_latin_font() -> None:
    """The Devanagari font has no '&': a partner's name such as 'Gas & Go' showed a box."""
    latin = font("en")
    drawn = markup("Gas & Go की ओर से", "hi")
    assert f"[font={latin}]{escape('&')}[/font]" in drawn or f"{escape('&')}[/font]" in drawn
    assert "की ओर से" in drawn.split("[/font]")[-1]  # Hindi stays in its own font
