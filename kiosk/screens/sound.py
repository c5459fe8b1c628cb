"""The kiosk's two sounds (assets/sounds/, made for the project: see CREDITS.txt), played through
Kivy's SoundLoader. A kiosk without an audio device plays nothing, says so in one line of its log
("no sound device: sounds off") and carries on."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kivy.core.audio import SoundLoader
from kivy.logger import Logger

from kiosk.i18n import ASSETS
from kiosk.sounds import sound_output_present

NAMES = ("key", "win")
NO_DEVICE = "Sounds: no sound device: sounds off"


class Sounds:
    def __init__(self) -> None:
        self._loaded: dict[str, Any] = {}
        self.played: list[str] = []  # what was played, in order (tests read it)
        if not sound_output_present(os.environ):
            Logger.warning(NO_DEVICE)
            return
        with _without_audio_errors():  # the one line below says it
            for name in NAMES:
                sound = SoundLoader.load(str(ASSETS / "sounds" / f"{name}.wav"))
                if sound is not None and sound.length > 0:  # 0: the device could not open it
                    self._loaded[name] = sound
        if not self._loaded:
            Logger.warning(NO_DEVICE)

    def play(self, name: str) -> None:
        sound = self._loaded.get(name)
        if sound is None:
            return
        sound.stop()  # a key pressed again restarts its tick
        sound.play()
        self.played.append(name)


@contextmanager
def _without_audio_errors() -> Iterator[None]:
    """Kivy's audio provider logs a CRITICAL line for a mixer that does not open and a WARNING
    for each sound it then cannot load; they are left out while the sounds load."""

    def keep(record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("AudioSDL2")

    Logger.addFilter(keep)
    try:
        yield
    finally:
        Logger.removeFilter(keep)
