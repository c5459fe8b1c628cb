"""The bonus wheel's side of the kiosk without a window (kiosk/wheel_desk.py): the wheel is
offered to a member the engine lets spin, the rules are the real odds, the engine decides and
the wheel stops on its outcome, the result and every refusal in words in four languages."""

from __future__ import annotations

import pytest

from kiosk.flow import Flow, Screen
from kiosk.i18n import LANGUAGES, Text, render
from kiosk.wheel_desk import percent, pointer_reads, segments, stop_at
from terminal.wheel import WheelRules
from tests.kiosk.conftest import Kiosk
from tests.kiosk.wheel_fixture import COMMITMENT, hold, wheel

MEMBER = "+77011234567"


def _member(flow: Flow, member: str = MEMBER) -> None:
    flow.open_loyalty()
    assert flow.loyalty.member_card(f"member:{member}")


def _words(flow: Flow, text: Text | None) -> dict[str, str]:
    return {lang: render(text, lang) for lang in LANGUAGES}


def test_the_wheel_waits_for_a_check_in_and_then_spins_the_engines_outcome(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    hold(flow.terminal, ["cap", "50 points"])
    _member(flow)
    desk = flow.wheel
    assert desk.offered() and not desk.ready()  # no check-in today yet
    flow.open_wheel()
    assert flow.screen is Screen.WHEEL and desk.message == Text.of("wheel.not_qualified")
    flow.spin_wheel()  # pressed anyway: the engine refuses, nothing is taken
    assert desk.phase == "rules" and desk.rules().held == 2  # type: ignore[union-attr]
    flow.back_to_points()
    flow.loyalty.check_in()
    assert desk.ready()
    flow.open_wheel()
    assert desk.message is None
    flow.spin_wheel()
    assert desk.phase == "spinning" and flow.screen is Screen.WHEEL
    parts = segments(desk.rules())
    landed = pointer_reads(desk.target, parts)
    assert landed is not None and landed.label == "cap"  # the engine's outcome, the slice's first
    assert desk.target >= 4 * 360  # turned a few times before it stops
    flow.wheel_landed()
    assert flow.screen is Screen.WHEEL_RESULT
    assert pointer_reads(desk.rotation, parts).label == "cap"
    assert desk.headline() == Text.of("wheel.won_prize", prize="Cap")  # no content names it
    reference = desk.result.reference if desk.result else None
    assert reference and reference.startswith("W-")
    assert desk.next_step() == [
        Text.of("wheel.collect"),
        Text.of("wheel.reference", reference=reference),
    ]
    said = [render(t, "en") for t in desk.next_step()]
    assert "counter" in said[0] and said[1] == f"Prize reference: {reference}"
    # the reference the shopper shows is the one the till voids a prize not handed over by
    assert flow.terminal.void(reference, "no caps left").status == "voided"
    assert desk.ready()  # the day's spin is the member's again
    assert flow.terminal.spin(flow.loyalty.member or "").outcome == "cap"  # and the cap too
    flow.back_to_points()
    assert flow.screen is Screen.LOYALTY and not desk.ready()  # once a day
    flow.open_wheel()
    assert render(desk.message, "en") == "You have spun the wheel today. Come back tomorrow!"


def test_points_won_say_the_new_balance(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    hold(flow.terminal, ["50 points"])
    _member(flow)
    flow.loyalty.check_in()  # 10 points
    before = flow.terminal.balance(MEMBER).balance
    flow.open_wheel()
    flow.spin_wheel()
    flow.wheel_landed()
    assert flow.terminal.balance(MEMBER).balance == (before or 0) + 50
    said = [render(t, "en") for t in flow.wheel.next_step()]
    assert render(flow.wheel.headline(), "en") == "You won 50 bonus points!"
    assert any(str((before or 0) + 50) in line for line in said), said
    ru = render(flow.wheel.headline(), "ru")
    assert ru == "Вы выиграли 50 бонусных баллов!"


def test_nothing_is_said_kindly(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    hold(flow.terminal, ["nothing"])
    _member(flow)
    flow.loyalty.check_in()
    flow.open_wheel()
    flow.spin_wheel()
    assert pointer_reads(flow.wheel.target, segments(flow.wheel.rules())).label == "nothing"  # type: ignore[arg-type,union-attr]
    flow.wheel_landed()
    assert not flow.wheel.won
    assert flow.wheel.headline() == Text.of("wheel.won_nothing")
    assert flow.wheel.next_step() == [Text.of("wheel.thanks")]


def test_the_rules_are_the_servers_odds_and_commitment(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    hold(flow.terminal, ["nothing"] * 7)
    rules = flow.wheel.rules()
    assert rules is not None and rules.commitment == COMMITMENT and rules.held == 7
    parts = segments(rules)
    assert [render(p.odds, "en") for p in parts] == ["40%", "1%", "59%"]
    # a no-break space: the sign is never wrapped away from its number
    assert [render(p.odds, "ru") for p in parts] == ["40\u00a0%", "1\u00a0%", "59\u00a0%"]
    assert [p.sweep for p in parts] == pytest.approx([144.0, 3.6, 212.4])  # as wide as the odds
    assert render(parts[0].words, "en") == "50 bonus points"
    assert [render(t, "en") for t in flow.wheel.rule_lines(rules)] == [
        "Spin once a day after you check in or shop here.", "This kiosk holds 7 spins now."
    ]  # fmt: skip
    odd = WheelRules.of({**wheel("c"), "outcomes": [
        {"label": "a", "weight": 1, "kind": "prize"}, {"label": "b", "weight": 199_999}]}, 0)  # fmt: skip
    assert render(percent(1, 3), "en") == "33.33%" and render(percent(1, 3), "kk") == "33,33%"
    assert render(segments(odd)[0].odds, "en") == "0.0005%"  # never shown as 0


def test_the_wheel_always_stops_inside_the_drawn_segment() -> None:
    parts = segments(WheelRules.of(wheel("c"), 1))
    for part in parts:
        now = 0.0
        for n in range(200):
            now = stop_at(now, part, f"event-{n}")
            assert pointer_reads(now, parts) == part


@pytest.mark.parametrize(
    ("status", "online", "key"),
    [("already_spun", False, "wheel.already_spun"), ("not_qualified", False, "wheel.not_qualified"),
     ("no_spins", True, "wheel.no_spins"), ("no_spins", False, "wheel.no_spins_offline"),
     ("wheel_ended", False, "wheel.ended")],
)  # fmt: skip
def test_every_refusal_is_said_in_every_language(
    kiosk: Kiosk, status: str, online: bool, key: str
) -> None:
    flow = kiosk.flow
    other = "+77019999999"
    hold(flow.terminal, ["nothing"], open_=status != "wheel_ended")
    with flow.terminal.ledger.write() as conn:
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('online', ?)",
                     ("true" if online else "false",))  # fmt: skip
    if status in ("already_spun", "no_spins"):
        flow.terminal.checkin(other)
        assert flow.terminal.spin(other).ok  # the slice's one outcome
    if status == "no_spins":
        flow.terminal.checkin(MEMBER)
    _member(flow, other if status == "already_spun" else MEMBER)
    assert not flow.wheel.ready()
    flow.open_wheel()
    said = flow.wheel.message
    assert said is not None and said.key == key
    words = _words(flow, said)
    assert len(set(words.values())) == 4, words  # each language its own
    flow.spin_wheel()
    assert flow.screen is Screen.WHEEL and flow.wheel.phase == "rules"


def test_a_kiosk_without_a_wheel_offers_none(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    _member(flow)
    assert not flow.wheel.offered() and not flow.wheel.ready()
    flow.open_wheel()
    assert flow.screen is Screen.WHEEL and flow.wheel.message == Text.of("wheel.no_wheel")


def test_start_over_forgets_the_spin(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    hold(flow.terminal, ["50 points"])
    _member(flow)
    flow.loyalty.check_in()
    flow.open_wheel()
    flow.spin_wheel()
    flow.start_over()
    assert flow.screen is Screen.ATTRACT and flow.wheel.result is None
    assert flow.wheel.phase == "rules" and flow.loyalty.member is None
