"""The kiosk in a real Kivy window (headless): touches, frames, screenshots of every screen."""

from __future__ import annotations

import itertools
import logging
import time
from pathlib import Path

import pytest

from codes.qr import write_png
from kiosk.flow import Flow, Screen
from kiosk.frames import FolderFrames, FrameReader
from kiosk.i18n import LANGUAGES
from kiosk.manager_lock import set_pin
from kiosk.screens.common import DEBOUNCE_S, KLabel
from kiosk.settings import KioskSettings
from terminal.config import CatalogueItem, TerminalConfig
from tests.kiosk.conftest import Clocks, StoreFactory, scan
from tests.kiosk.ui import ARTIFACTS, Ui


@pytest.fixture(autouse=True)
def _no_traceback(caplog: pytest.LogCaptureFixture) -> object:
    caplog.set_level(logging.WARNING)
    yield
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or "Traceback" in r.getMessage()]
    assert not bad, [r.getMessage() for r in bad]


def _labels(ui: Ui) -> str:
    return "\n".join(w.text for w in ui.widgets(KLabel))


CATALOGUE = (CatalogueItem("cap", "Cap", 50), CatalogueItem("tee", "T-shirt", 500))


def test_every_screen_in_every_language(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(catalogue=CATALOGUE), name="tour", ask_details=True)
    clocks = Clocks()
    terminal = store.open()
    set_pin(terminal.ledger, "2468")
    settings = KioskSettings(db=store.path, cities=("Delhi", "Almaty", "Moscow"))
    flow = Flow(terminal, settings, clock=lambda: clocks.now)
    ui = Ui(flow)
    serials = iter(range(1, 1000))
    try:
        for lang in LANGUAGES:
            out = ARTIFACTS / lang

            def shot(name: str, expected: Screen) -> None:
                ui.wait(lambda: ui.screen.name == expected.value)
                assert flow.lang == lang  # noqa: B023
                ui.shot(out / f"{name}.png")  # noqa: B023

            flow.start_over()
            flow.set_language(lang)
            shot("attract", Screen.ATTRACT)
            flow.open_typing()
            for symbol in store.code(5).replace("-", "")[2:9]:
                flow.press(symbol)
            shot("type", Screen.TYPE)
            code = store.code(5).replace("-", "")
            wrong = "0" if code[12] != "0" else "1"  # one slip in the third group
            for symbol in code[9:12] + wrong + code[13:]:
                flow.press(symbol)
            assert flow.entry.mistyped and flow.entry.suspect_group() == 3
            shot("type-typo", Screen.TYPE)
            flow.code_seen(store.code(store.serial_of_tier("gold", LANGUAGES.index(lang))))
            shot("details", Screen.DETAILS)
            for digit in "9876543210":
                flow.details.press(digit)
            flow.details.choose("age_band", "25_34")
            flow.details.toggle_consent()
            shot("details-filled", Screen.DETAILS)
            view = flow.details_done()
            assert view is not None and view.won
            shot("result-win", Screen.RESULT)
            assert view.reward in _labels(ui)
            flow.start_over()
            flow.set_language(lang)
            scan(flow, "HV-not-a-code")
            shot("result-refused", Screen.RESULT)
            flow.open_loyalty()
            for digit in "9876543210":
                flow.loyalty.press(digit)
            shot("loyalty-phone", Screen.LOYALTY)
            assert flow.loyalty.submit_phone()
            flow.loyalty.check_in()
            shot("loyalty-member", Screen.LOYALTY)
            terminal.accrue(flow.loyalty.member or "", 1000.0, f"r-{lang}-{next(serials)}")
            flow.loyalty.refresh_balance()
            flow.loyalty.choose("cap")
            shot("loyalty-confirm", Screen.LOYALTY)
            flow.start_over()
            flow.set_language(lang)
            flow.open_pin()
            flow.manager.pin_key("1")
            shot("pin", Screen.PIN)
            for digit in "468":
                flow.manager.pin_key(digit)
            flow.manager.pin_key("pin.enter")  # 1468: wrong, one try fewer
            for digit in "2468":
                flow.manager.pin_key(digit)
            flow.manager.pin_key("pin.enter")
            shot("manager", Screen.MANAGER)
            flow.open_typing()
            clocks.tick(65)
            flow.tick()
            ui.wait(lambda: ui.app._idle.parent is not None)
            ui.shot(out / "idle.png")
            clocks.tick(30)
            flow.tick()
            ui.wait(lambda: ui.screen.name == "attract" and ui.app._idle.parent is None)
        for lang in LANGUAGES:
            assert len(list((ARTIFACTS / lang).glob("*.png"))) >= 13
    finally:
        ui.close()


def test_a_shopper_types_a_code_by_touch(make_store: StoreFactory) -> None:
    store = make_store(name="touch")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    ui = Ui(flow)
    try:
        ui.tap(ui.button(text="Type a code"))
        assert ui.screen.name == "type"
        symbols = store.code(9).replace("-", "")[2:]
        ui.tap(ui.key(symbols[0]), twice=True)  # one finger, reported twice: one symbol
        assert flow.entry.symbols == symbols[0]
        for previous, symbol in itertools.pairwise(symbols):
            if symbol == previous:
                time.sleep(DEBOUNCE_S)  # the same key again, at a person's pace
            ui.tap(ui.key(symbol))
        assert flow.entry.display() == store.code(9)
        check = ui.button(text="Check my code")
        assert not check.disabled
        ui.tap(check)
        ui.wait(lambda: ui.screen.name == "result")
        assert "You won!" in _labels(ui)
        assert flow.terminal.ledger.one("SELECT COUNT(*) AS n FROM events")["n"] == 1  # type: ignore[index]
        ui.tap(ui.button(text="Done"))
        assert ui.screen.name == "attract"
    finally:
        ui.close()


def test_a_pack_in_front_of_the_camera_redeems_once(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store(name="camera")
    frames = tmp_path / "frames"
    frames.mkdir()
    for n in range(30):
        write_png(store.code(12), frames / f"{n:03d}.png")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    ui = Ui(flow)
    reader = FrameReader(FolderFrames(frames, interval_s=0.01, loop=False), flow.code_seen)
    try:
        reader.start()
        ui.wait(lambda: reader.frames_read == 30 and ui.screen.name == "result", timeout=30)
        assert flow.redemptions == 1 and ui.app.shown.count("result") == 1
        rows = flow.terminal.ledger.read("SELECT payload FROM events WHERE kind = 'redeem'")
        assert len(rows) == 1 and store.code(12) in rows[0]["payload"]
        assert "You won!" in _labels(ui)
    finally:
        reader.stop()
        ui.close()


def test_the_pin_lock_holds_across_a_restart(make_store: StoreFactory) -> None:
    store = make_store(name="pin")
    terminal = store.open()
    set_pin(terminal.ledger, "2468")
    ui = Ui(Flow(terminal, KioskSettings(db=store.path)))
    try:
        corner = ui.screen.ids.corner
        ui.hold(corner, 2.2)
        assert ui.screen.name == "pin"
        for _ in range(5):
            for digit in "1111":
                ui.tap(ui.key(digit))
                time.sleep(DEBOUNCE_S)  # the same key again, at a person's pace
            ui.tap(ui.button(action="pin.enter"))
        assert "Locked for 5 min" in _labels(ui)
    finally:
        ui.close()
    restarted = store.open()  # the kiosk was switched off and on
    flow = Flow(restarted, KioskSettings(db=store.path))
    ui = Ui(flow)
    try:
        flow.open_pin()
        ui.wait(lambda: ui.screen.name == "pin")
        assert "Locked for 5 min" in _labels(ui)
        for digit in "2468":
            flow.manager.pin_key(digit)
        assert not flow.manager.pin_key("pin.enter")  # locked: even the right PIN
    finally:
        ui.close()
