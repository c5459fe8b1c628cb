"""The kiosk in a real Kivy window (headless): touches, frames, screenshots of every screen."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

from codes.qr import write_png
from kiosk.flow import Flow
from kiosk.frames import FolderFrames, FrameReader
from kiosk.i18n import LANGUAGES
from kiosk.manager_lock import set_pin
from kiosk.screens.common import DEBOUNCE_S, KLabel
from kiosk.settings import KioskSettings
from terminal.config import TerminalConfig
from tests.kiosk.conftest import Clocks, StoreFactory
from tests.kiosk.tour import CATALOGUE, tour, tour_flow
from tests.kiosk.ui import ARTIFACTS, SIZE_VARIABLE, Ui


def _labels(ui: Ui) -> str:
    return "\n".join(w.text for w in ui.widgets(KLabel))


def test_every_screen_in_every_language(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(catalogue=CATALOGUE), name="tour", ask_details=True)
    clocks = Clocks()
    flow = tour_flow(store, clocks)
    ui = Ui(flow)
    try:
        for lang in LANGUAGES:
            tour(ui, store, clocks, lang, ARTIFACTS / lang)
            assert len(list((ARTIFACTS / lang).glob("*.png"))) >= 13
    finally:
        ui.close()


def test_landscape_is_laid_out_too(tmp_path: Path) -> None:
    """Kivy sets a window's size once per process: the tour runs again in one of 1920x1080."""
    out = ARTIFACTS / "landscape"
    done = subprocess.run(
        [sys.executable, "-m", "tests.kiosk.tour", str(tmp_path), str(out)],
        env={**os.environ, SIZE_VARIABLE: "1920x1080"}, capture_output=True, text=True,
        timeout=300, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert len(list(out.glob("*.png"))) >= 13


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
