"""The points screen as a shopper sees it, in every language and in large text: the balance, then
when the pending points can be spent, then the soonest expiry, then the prizes, each on a card
with its picture beside its name (and its supplier), its one line of description and its price,
as the program's content gives them (docs/examples/program-content). The words must fit: they may
not run into the buttons below, and no word of a card may be clipped or broken. Pictures in
tests/artifacts/kiosk/points/."""

from __future__ import annotations

import time
from typing import Any

from kiosk.flow import Flow
from kiosk.i18n import LANGUAGES, escape, font, markup
from kiosk.settings import KioskSettings
from sync.outbox import apply_pull
from sync.protocol import MemberBalance, PullResponse, WireLot
from terminal.config import CatalogueItem, TerminalConfig
from terminal.lots import DAY_S, expiry_of
from tests.kiosk.brand_fixture import example_program, give_program
from tests.kiosk.conftest import StoreFactory
from tests.kiosk.tour import overflowing
from tests.kiosk.ui import ARTIFACTS, Ui

PRIZES = (  # the first two have the example program's words and pictures
    CatalogueItem("cinema-ticket", "Cinema ticket", 50, partner="volt",
                  partner_name="Volt Electronics"),
    CatalogueItem("mug", "Mug", 900, partner="gas", partner_name="Gas & Go"),
    CatalogueItem("pen", "Pen", 5),  # no supplier named, nor any words of the program
)  # fmt: skip
DESCRIPTION = {  # the cinema ticket's, as the example program writes it
    "en": "One 2D show at any partner cinema",
    "hi": "किसी भी पार्टनर सिनेमा में एक 2D शो",
    "ru": "Один 2D-сеанс в любом кинотеатре-партнёре",
    "kk": "Кез келген серіктес кинотеатрда бір 2D сеанс",  # noqa: RUF001
}


def cards(ui: Ui) -> dict[str, Any]:
    """The prize cards on screen, by prize id."""
    return {c.action: c for c in ui.screen.ids.prizes.children}


def test_the_points_screen_fits_in_every_language(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(catalogue=PRIZES), name="points-screen")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    give_program(flow.terminal, example_program())
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
    textures: dict[str, Any] = {}  # each card's picture, as first drawn
    made: dict[str, Any] = {}  # each card, as first made
    try:
        for large, lang in [(False, lang) for lang in LANGUAGES] + [(True, "hi"), (True, "kk")]:
            flow.start_over()
            flow.set_language(lang)
            if large:
                flow.toggle_large_text()
            flow.open_loyalty()
            assert flow.loyalty.member_card("member:CARD-5")
            ui.app.redraw()
            ui.wait(lambda: ui.screen.name == "loyalty")
            ids = ui.screen.ids
            ui.shot(ARTIFACTS / "points" / f"{lang}{'-large' if large else ''}.png")
            who = ids.who.text
            assert len(who.splitlines()) == 3, who  # balance, pending, expiry
            assert "1240" in who or "1,240" in who
            # the words end above the first thing to press (the check-in button)
            words_bottom = ids.message.to_window(ids.message.x, ids.message.y)[1]
            check_in = ids.checkin.to_window(ids.checkin.x, ids.checkin.top)[1]
            title_top = ids.title.to_window(ids.title.x, ids.title.top)[1]
            assert words_bottom >= check_in, (lang, words_bottom, check_in)
            assert title_top <= ui.app.root.height, lang
            assert not overflowing(ui), (lang, large, overflowing(ui))
            shown = cards(ui)
            assert list(shown) == ["pen", "mug", "cinema-ticket"]  # kv's children: last first
            for prize, card in shown.items():  # relabelled at each redraw, never made afresh
                assert made.setdefault(prize, card) is card, prize
            ticket, mug, pen = shown["cinema-ticket"], shown["mug"], shown["pen"]
            # (in markup: & as &amp;, and in Hindi each Latin word in a font of its own)
            assert "Volt" in ticket.ids.name.text and "Electronics" in ticket.ids.name.text
            assert "Gas" in mug.ids.name.text and escape("&") in mug.ids.name.text
            assert DESCRIPTION[lang].split()[-1] in ticket.ids.description.text
            assert "50" in ticket.ids.price.text and "900" in mug.ids.price.text
            assert mug.opacity < 1 and ticket.opacity == 1  # 900 is beyond the balance
            for card in (ticket, mug):  # its picture beside its words, drawn
                picture, words = card.children[1], card.ids.words
                assert picture.texture is not None and picture.width > 0, card.action
                assert picture.right <= words.x and picture.top <= card.top, card.action
                # the same texture all along: a redraw, a language or large text loads nothing
                assert textures.setdefault(card.action, picture.texture) is picture.texture
            assert pen.ids.description.text == "" and pen.ids.description.height == 0
            assert pen.children[1].opacity == 0  # no picture: its room is kept, empty
        flow.loyalty.choose("cinema-ticket")  # the question shows the prize's picture too
        ui.wait(lambda: ui.screen.ids.confirm_picture.source != "")
        assert ui.screen.ids.confirm_picture.texture is textures["cinema-ticket"]
        ui.shot(ARTIFACTS / "points" / "kk-large-confirm.png")
        assert not overflowing(ui), overflowing(ui)
    finally:
        ui.close()


def test_an_ampersand_in_hindi_is_drawn_in_the_latin_font() -> None:
    """The Devanagari font has no '&': a partner's name such as 'Gas & Go' showed a box."""
    latin = font("en")
    drawn = markup("Gas & Go की ओर से", "hi")
    assert f"[font={latin}]Gas {escape('&')} Go[/font]" in drawn  # the name whole, in one font
    assert "की ओर से" in drawn.split("[/font]")[-1]  # Hindi stays in its own font
