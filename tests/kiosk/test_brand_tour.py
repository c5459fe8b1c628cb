"""One branded tour: every screen in the example brand's look (docs/examples/campaign-content)
with the example program's prizes (docs/examples/program-content) in the four languages, pictures
and their words in tests/artifacts/kiosk/branded/<lang>; the attract screen names the campaign and
rotates its prizes, a win names the prize and describes it, and the points screen names the
catalogue's prizes and describes them in each language, and the bonus wheel names its prize."""

from __future__ import annotations

from kivy.metrics import dp

from kiosk.flow import Screen
from kiosk.i18n import LANGUAGES
from kiosk.screens.common import plain
from tests.kiosk.brand_fixture import example_content, example_program, give, give_program
from tests.kiosk.conftest import Clocks, StoreFactory
from tests.kiosk.tour import TOUR_CONFIG, overflowing, tour, tour_flow
from tests.kiosk.ui import ARTIFACTS, Ui

PRIZE = {  # the silver tier, as the example brand names and describes it
    "en": ("Silver spoon", "A silver ice-cream spoon"),
    "hi": ("चाँदी का चम्मच", "आइसक्रीम के लिए चाँदी का चम्मच"),
    "ru": ("Серебряная ложка", "Серебряная ложка для мороженого"),
    "kk": ("Күміс қасық", "Балмұздаққа арналған күміс қасық"),
}
CATALOGUE = {  # the example program's cinema ticket and mug: names, and the ticket's description
    "en": ("Cinema ticket", "Coffee mug", "One 2D show at any partner cinema"),
    "hi": ("सिनेमा टिकट", "कॉफ़ी मग", "किसी भी पार्टनर सिनेमा में एक 2D शो"),
    "ru": ("Билет в кино", "Кофейная кружка", "Один 2D-сеанс в любом кинотеатре-партнёре"),
    "kk": ("Кинобилет", "Кофе саптыаяғы", "Кез келген серіктес кинотеатрда бір 2D сеанс"),  # noqa: RUF001
}
CAP = {  # the bonus wheel's prize, as the example brand names and describes it
    "en": ("Summer cap", "A red baseball cap with the Summer lids stripes"),
    "hi": ("गर्मियों की टोपी", "गर्मियों के ढक्कन की धारियों वाली लाल बेसबॉल टोपी"),
    "ru": ("Летняя кепка", "Красная бейсболка с полосками «Летних крышек»"),  # noqa: RUF001
    "kk": ("Жазғы кепка", "«Жазғы қақпақтар» жолақтары бар қызыл бейсболка"),  # noqa: RUF001
}
NAME = {"en": "Summer lids", "hi": "गर्मियों के ढक्कन", "ru": "Летние крышки", "kk": "Жазғы қақпақтар"}


def test_a_branded_tour_in_every_language(make_store: StoreFactory) -> None:
    from kiosk.app import THEME  # after tests.kiosk.ui sized the window
    from kiosk.brand import rgba

    store = make_store(TOUR_CONFIG, name="tour", ask_details=True, claim_tiers="gold")
    clocks = Clocks()
    flow = tour_flow(store, clocks)
    give(flow.terminal, example_content())
    give_program(flow.terminal, example_program())
    ui = Ui(flow)
    try:
        assert ui.app.theme["paper"] == rgba("#fff8e7") and ui.app.theme["primary"] == rgba(
            "#c8102e"
        )
        assert ui.app.theme["secondary"] == THEME["secondary"]  # not the brand's to set
        for n, lang in enumerate(LANGUAGES):
            out = ARTIFACTS / "branded" / lang
            tour(ui, store, clocks, lang, out)
            assert len(list(out.glob("*.png"))) >= 13
            # the wheel's prize in this language on its rules (with its odds) and its result,
            # described there (the tour checked that no wheel screen shows the label "cap")
            rules = (out / "wheel-rules.txt").read_text(encoding="utf-8").splitlines()
            won = (out / "wheel-result.txt").read_text(encoding="utf-8").splitlines()
            cap, about = CAP[lang]
            assert any(line.startswith(f"{cap}: ") for line in rules), (lang, rules)
            assert any(cap in line for line in won) and any(about in line for line in won), won
            # the points screen's words, as a translator reads them: the program's names and
            # description in this language, the catalogue's own name where it gave none (cap)
            listed = (out / "loyalty-member.txt").read_text(encoding="utf-8").splitlines()
            ticket, mug, description = CATALOGUE[lang]
            assert {ticket, mug, description, "Cap"} <= set(listed), (lang, listed)
            assert listed.index(ticket) < listed.index(description)  # under its name
            asked = (out / "loyalty-confirm.txt").read_text(encoding="utf-8")
            assert "Cap" in asked and "Cinema ticket" not in asked  # the prize chosen only
            flow.start_over()
            flow.set_language(lang)
            ui.wait(lambda: ui.screen.name == "attract")
            ids = ui.screen.ids
            assert NAME[lang] in ids.campaign.text and "ice-2026" not in ids.campaign.text
            assert ids.logo.source.endswith(".png") and ".pictures" in ids.art.source
            ui.screen.slide = 1
            ui.screen.refresh(flow)
            ui.shot(out / "attract-silver.png")
            assert PRIZE[lang][0] in ids.prize.text
            silver = ids.art.source
            ui.screen.slide = 3  # after the campaign's three prizes: the program's cinema ticket
            ui.screen.refresh(flow)
            ui.shot(out / "attract-cinema-ticket.png")
            said = plain(ids.prize.text).splitlines()  # name, description, price in points
            assert said[:2] == [CATALOGUE[lang][0], CATALOGUE[lang][2]] and "300" in said[2]
            assert ".pictures" in ids.art.source and ids.art.source != silver
            assert not overflowing(ui), overflowing(ui)
            # the picture is seen, under its words in large text too (it took the room they left)
            assert ids.art.height >= dp(240), ids.art.height
            flow.toggle_large_text()
            ui.wait(lambda: ui.app.text_scale > 1)
            ui.screen.refresh(flow)
            ui.shot(out / "attract-cinema-ticket-large.png")
            assert not overflowing(ui), overflowing(ui)
            assert ids.art.height >= dp(160), ids.art.height
            assert flow.code_seen(store.code(store.serial_of_tier("silver", 10 + n))) is None
            for digit in "9876543210":  # the campaign asks details first
                flow.details.press(digit)
            flow.details.choose("age_band", "25_34")
            flow.details.toggle_consent()
            view = flow.details_done()
            assert view is not None and view.won and flow.screen is Screen.RESULT
            ui.wait(lambda: ui.screen.name == "result")
            ids = ui.screen.ids
            ui.shot(out / "result-silver.png")
            name, description = PRIZE[lang]
            assert name in ids.reward.text and description in ids.description.text
            assert "silver" not in ids.reward.text and ".pictures" in ids.art.source
    finally:
        ui.close()
