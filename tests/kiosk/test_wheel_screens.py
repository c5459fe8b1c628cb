"""The bonus wheel's screens in a real window (headless), in every language: the member's
points screen offers the wheel, the rules screen shows the real odds and the commitment, the
dial turns and stops on the engine's outcome, and the result says what was won. The words must
fit: nothing runs off the screen or into the buttons. Pictures in tests/artifacts/kiosk/wheel/.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kiosk.flow import Flow, Screen
from kiosk.i18n import LANGUAGES
from kiosk.screens import wheel as wheel_screen
from kiosk.screens.common import KLabel, texts_shown
from kiosk.settings import KioskSettings
from kiosk.wheel_desk import pointer_reads, segments
from tests.kiosk.conftest import StoreFactory
from tests.kiosk.tour import within_reach
from tests.kiosk.ui import ARTIFACTS, Ui
from tests.kiosk.wheel_fixture import COMMITMENT, hold

OUT = ARTIFACTS / "wheel"
# one of each outcome per language: points, a prize, nothing
SLICE = ["50 points", "cap", "nothing"] * len(LANGUAGES)


@pytest.fixture
def ui(make_store: StoreFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ui]:
    monkeypatch.setattr(wheel_screen, "SPIN_S", 0.7)  # the same animation, shorter
    store = make_store(name="wheel-screens")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    hold(flow.terminal, SLICE)
    shown = Ui(flow)
    yield shown
    shown.spin()
    shown.close()


def _fits(ui: Ui, lang: str, name: str) -> None:
    """Every label inside the window, not wider than itself, and on the wheel's screens above
    the buttons (the points screen has words between its buttons)."""
    height = ui.app.root.height
    buttons = [b for b in ui.widgets() if b.get_root_window() is not None and b.opacity > 0]
    top_button = max(b.to_window(b.x, b.top)[1] for b in buttons)
    for label in ui.widgets(KLabel):
        if not label.text or label.get_root_window() is None:
            continue
        _x, bottom = label.to_window(label.x, label.y)
        top = bottom + label.height
        assert top <= height + 1 and bottom >= -1, (lang, name, label.text[:40])
        assert label.texture_size[0] <= label.width + 1, (lang, name, label.text[:40])
        if ui.screen.name != "loyalty":
            assert bottom >= top_button - 1, (lang, name, label.text[:40], bottom, top_button)


def _shot(ui: Ui, screen: Screen, lang: str, name: str) -> list[str]:
    ui.app.redraw()
    ui.wait(lambda: ui.screen.name == screen.value)
    ui.shot(OUT / lang / f"{name}.png")
    within_reach(ui, screen)
    _fits(ui, lang, name)
    return texts_shown([ui.screen])


def _spin(ui: Ui, press: Callable[[Any], None]) -> Any:
    """Spin!: the outcome is known at once; the dial turns through it, then the result."""
    flow = ui.flow
    start = ui.screen.ids.dial.rotation
    press(ui.screen.ids.spin)
    assert flow.wheel.result is not None and flow.wheel.target > start
    seen, end = [ui.screen.ids.dial.rotation], time.monotonic() + 10
    while ui.screen.name == Screen.WHEEL.value and time.monotonic() < end:
        seen.append(ui.screen.ids.dial.rotation)
        ui.spin(1)
    assert any(start < at < flow.wheel.target for at in seen), seen  # it turned on the way
    ui.wait(lambda: ui.screen.name == Screen.WHEEL_RESULT.value)
    return flow.wheel.result


def test_the_wheels_screens_in_every_language(ui: Ui) -> None:
    flow = ui.flow
    members = iter(range(100))
    for lang in LANGUAGES:
        # a finger on the buttons in English; elsewhere the button's own act (frames are slow)
        press = ui.tap if lang == "en" else (lambda button: button.dispatch("on_act"))
        for outcome in ("50 points", "cap", "nothing"):
            flow.start_over()
            flow.set_language(lang)
            flow.open_loyalty()
            assert flow.loyalty.member_card(f"member:+7701000{next(members):04d}")
            if outcome == "50 points":  # before the check-in: the rules, and why not yet
                ui.app.redraw()
                ui.wait(lambda: ui.screen.name == "loyalty")
                assert not ui.screen.ids.wheel.primary
                flow.open_wheel()
                said = _shot(ui, Screen.WHEEL, lang, "rules-not-qualified")
                assert ui.screen.ids.spin.parent is None  # no spin offered
                assert any(COMMITMENT[:32] in line for line in said)
                flow.back_to_points()
            flow.loyalty.check_in()
            if outcome == "50 points":
                _shot(ui, Screen.LOYALTY, lang, "points-checked-in")
            else:
                ui.app.redraw()
                ui.wait(lambda: ui.screen.name == "loyalty")
            assert ui.screen.ids.wheel.primary  # a spin waits: the wheel's own button
            press(ui.screen.ids.wheel)
            if outcome == "50 points":
                said = _shot(ui, Screen.WHEEL, lang, "rules")
                odds = {"en": "40%", "hi": "40%", "ru": "40 %", "kk": "40%"}[lang]
                assert any(odds in line for line in said), said
            ui.wait(lambda: ui.screen.name == "wheel")
            assert ui.screen.ids.spin.parent is not None
            result = _spin(ui, press)
            assert result.outcome == outcome  # the slice's next, in order
            rules = flow.wheel.rules()
            landed = pointer_reads(ui.screen.ids.dial.rotation, segments(rules))  # type: ignore[arg-type]
            assert landed is not None and landed.label == outcome  # the dial shows the draw
            said = _shot(ui, Screen.WHEEL_RESULT, lang, f"result-{outcome.replace(' ', '-')}")
            if outcome == "50 points":
                assert any("50" in line for line in said), said
            if outcome == "cap":
                assert any("Cap!" in line for line in said), said  # its label humanised
        press(ui.screen.ids.back)
        ui.wait(lambda: ui.screen.name == "loyalty")
        assert not ui.screen.ids.wheel.primary  # spun today
        flow.open_wheel()
        ui.app.redraw()
        ui.wait(lambda: ui.screen.name == "wheel")
        assert ui.screen.ids.spin.parent is None
        assert flow.wheel.message is not None and flow.wheel.message.key == "wheel.already_spun"
