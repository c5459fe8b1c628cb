"""The bonus wheel's outcomes named for shoppers (kiosk/wheel_desk.py, kiosk/brand.py): as the
campaign's content names them ([wheel.cap]) in the kiosk's language, English where it lacks
one; else the kiosk's own words for points and for nothing, and a prize's label humanised: never
the label as the wheel was set ("cap")."""

from __future__ import annotations

from kiosk.flow import Flow
from kiosk.i18n import LANGUAGES, Text, render
from sync.protocol import TierContent
from terminal.wheel import humanised
from tests.kiosk.brand_fixture import example_content, give
from tests.kiosk.conftest import Kiosk
from tests.kiosk.wheel_fixture import hold, raw_labels, wheel

MEMBER = "+77011234567"
CAP = {  # the example brand's cap (docs/examples/campaign-content)
    "en": ("Summer cap", "A red baseball cap with the Summer lids stripes"),
    "hi": ("गर्मियों की टोपी", "गर्मियों के ढक्कन की धारियों वाली लाल बेसबॉल टोपी"),
    "ru": ("Летняя кепка", "Красная бейсболка с полосками «Летних крышек»"),  # noqa: RUF001
    "kk": ("Жазғы кепка", "«Жазғы қақпақтар» жолақтары бар қызыл бейсболка"),  # noqa: RUF001
}
LABELS = [str(o["label"]) for o in wheel("c")["outcomes"]]  # type: ignore[attr-defined]


def _spin(flow: Flow) -> None:
    flow.open_loyalty()
    assert flow.loyalty.member_card(f"member:{MEMBER}")
    flow.loyalty.check_in()
    flow.open_wheel()
    flow.spin_wheel()
    flow.wheel_landed()
    assert flow.wheel.result is not None


def _said(flow: Flow, lang: str) -> tuple[list[str], str, list[str]]:
    """The rules' outcome lines, the result's headline and its lines, in `lang`."""
    desk = flow.wheel
    rules = [render(p.words, lang) for p in desk.segments(desk.rules())]
    return rules, render(desk.headline(), lang), [render(t, lang) for t in desk.next_step()]


def test_the_brands_prize_is_named_described_and_pictured_in_every_language(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    campaign = hold(flow.terminal, ["cap"])
    give(flow.terminal, example_content(), campaign)
    _spin(flow)
    for lang in LANGUAGES:
        rules, headline, lines = _said(flow, lang)
        name, description = CAP[lang]
        assert rules[1] == name and name in headline, (lang, rules, headline)
        assert lines[0] == description and lines[-1].endswith(flow.wheel.result.reference or "-")  # type: ignore[union-attr]
        assert not raw_labels([*rules, headline, *lines], LABELS, lang)
    assert rules[0] == render(Text.of("wheel.outcome.points", points=50), "kk")  # the kiosk's
    assert flow.wheel.picture().endswith(".png") and ".pictures" in flow.wheel.picture()


def test_a_language_the_brand_lacks_says_english(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    campaign = hold(flow.terminal, ["cap"])
    content = example_content()
    cap = content.wheel["cap"]
    content.wheel["cap"] = TierContent(name={"en": "Summer cap", "ru": "Летняя кепка"},
                                       description={"en": "A red cap"}, picture=cap.picture)  # fmt: skip
    give(flow.terminal, content, campaign)
    _spin(flow)
    assert _said(flow, "ru")[1] == "Ваш приз: Летняя кепка!"
    assert _said(flow, "hi")[0][1] == "Summer cap"  # Hindi lacks it: English
    assert _said(flow, "ru")[2][0] == "A red cap"
    missing = [render(t, "en") for t in flow.brand.missing()]
    assert any("wheel.cap.name" in line and "hi, kk" in line for line in missing), missing


def test_without_content_points_and_nothing_are_the_kiosks_words_and_a_prize_its_label_humanised(
    kiosk: Kiosk,
) -> None:
    flow = kiosk.flow
    hold(flow.terminal, ["cap"])
    _spin(flow)
    for lang in LANGUAGES:
        rules, headline, _lines = _said(flow, lang)
        assert rules[1] == "Cap" and "Cap" in headline
        assert not raw_labels([*rules, headline], LABELS, lang), (rules, headline)
        assert rules[0] == render(Text.of("wheel.outcome.points", points=50), lang)
        assert rules[2] == render(Text.of("wheel.outcome.nothing"), lang)  # "Nothing this time"
    assert _said(flow, "hi")[0][0] == "50 बोनस पॉइंट"
    assert flow.wheel.picture() == ""
    assert humanised("gift_card") == "Gift card" and humanised("t-shirt") == "T shirt"


def test_the_brand_may_name_points_and_nothing_too(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    campaign = hold(flow.terminal, ["50 points", "nothing"], per_day=2)
    content = example_content()
    content.wheel["50 points"] = TierContent(name={"en": "Big scoop", "ru": "Большой шарик"})
    content.wheel["nothing"] = TierContent(name={"en": "Next lid, maybe!"})
    give(flow.terminal, content, campaign)
    _spin(flow)
    assert _said(flow, "ru")[1] == "Ваш приз: Большой шарик!"
    assert any("60" in line for line in _said(flow, "en")[2])  # the new balance still said
    flow.back_to_points()
    flow.open_wheel()
    flow.spin_wheel()
    flow.wheel_landed()
    rules, headline, _lines = _said(flow, "kk")
    assert headline == "Next lid, maybe!" and rules == ["Big scoop", "Жазғы кепка", headline]
