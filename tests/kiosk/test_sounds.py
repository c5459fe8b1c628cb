"""A short sound for a key press and for a win; the manager turns them off, across a restart. A
kiosk with no sound device says so in one line and plays nothing."""

from __future__ import annotations

import logging
import sys
import time
import wave
from pathlib import Path

import pytest
from kivy.logger import Logger

from kiosk.flow import Flow
from kiosk.i18n import ASSETS
from kiosk.screens import sound
from kiosk.screens.common import DEBOUNCE_S
from kiosk.settings import KioskSettings
from kiosk.sounds import sound_output_present, sounds_on
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


def test_a_sound_device_or_server_is_looked_for_before_sdl_tries_one(tmp_path: Path) -> None:
    devices = tmp_path / "snd"
    devices.mkdir()
    (devices / "controlC0").touch()  # a card's control, no playback device
    runtime = tmp_path / "run"
    (runtime / "pulse").mkdir(parents=True)
    none = {"XDG_RUNTIME_DIR": str(runtime)}
    if sys.platform.startswith("linux"):
        assert not sound_output_present(none, devices)
        assert not sound_output_present({}, devices)
    (runtime / "pulse" / "native").touch()
    assert sound_output_present(none, devices)  # a sound server
    assert sound_output_present({"PULSE_SERVER": "tcp:host"}, devices)
    assert sound_output_present({"SDL_AUDIODRIVER": "dummy"}, devices)  # SDL's to open
    (devices / "pcmC0D0p").touch()
    assert sound_output_present({}, devices)  # a playback device


def test_without_a_sound_device_the_kiosk_says_one_line_and_plays_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sound, "sound_output_present", lambda environ: False)
    said: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
    Logger.addHandler(handler)
    try:
        sounds = sound.Sounds()
        sounds.play("win")
    finally:
        Logger.removeHandler(handler)
    assert said == ["Sounds: no sound device: sounds off"]
    assert sounds.played == []
