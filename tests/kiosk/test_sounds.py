"""A short sound for a key press and for a win; the manager turns them off, across a restart."""

from __future__ import annotations

import time
import wave

from kiosk.flow import Flow
from kiosk.i18n import ASSETS
from kiosk.screens.common import DEBOUNCE_S
from kiosk.settings import KioskSettings
from kiosk.sounds import sounds_on
from tests.kiosk.conftest import StoreFactory
from tests.kiosk.ui import Ui


def test_the_sounds_are_short_and_credited() -> None:
    for name in ("key", "win"):
        with wave.open(str(ASSETS / "sounds" / f"{name}.wav")) as sound:
            assert 0 < sound.getnframes() / sound.getframerate() < 1.0
    assert "made for instore" in (ASSETS / "sounds" / "CREDITS.txt").read_text()


def test_a_key_ticks_a_win_sounds_and_the_manager_mutes_them(make_store: StoreFactory) -> None:
    store = make_store(name="sounds")
    terminal = store.open()
    flow = Flow(terminal, KioskSettings(db=store.path))
    ui = Ui(flow)
    try:
        assert ui.app.sounds is not None
        played = ui.app.sounds.played
        ui.tap(ui.button(text="Type a code"))
        assert played == ["key"]
        flow.code_seen(store.code(3))
        ui.wait(lambda: ui.screen.name == "result")
        assert played == ["key", "win"]
        flow.open_pin()
        flow.manager._opened()  # past the PIN (its own tests are elsewhere)
        ui.wait(lambda: ui.screen.name == "manager")
        ui.tap(ui.button(text="Sounds: on"))
        assert not sounds_on(terminal.ledger) and ui.button(text="Sounds: off")
        del played[:]
        time.sleep(DEBOUNCE_S)  # a second tap this soon is a bounce of the first
        ui.tap(ui.button(text="Sounds: off"))  # on again (silent), and off (heard)
        time.sleep(DEBOUNCE_S)
        ui.tap(ui.button(text="Sounds: on"))
        assert played == ["key"]
    finally:
        ui.close()
    again = store.open()
    assert not sounds_on(again.ledger)  # kept across a restart
