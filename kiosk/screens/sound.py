"""The kiosk's two sounds (assets/sounds/, made for the project: see CREDITS.txt), played through
Kivy's SoundLoader. A kiosk without an audio device plays nothing and carries on."""

from __future__ import annotations

from typing import Any

from kivy.core.audio import SoundLoader

from kiosk.i18n import ASSETS

NAMES = ("key", "win")


class Sounds:
    def __init__(self) -> None:
        self._loaded: dict[str, Any] = {}
        for name in NAMES:
            sound = SoundLoader.load(str(ASSETS / "sounds" / f"{name}.wav"))
            if sound is not None and sound.length > 0:  # 0: the device could not open it
                self._loaded[name] = sound
        self.played: list[str] = []  # what was played, in order (tests read it)

    def play(self, name: str) -> None:
        sound = self._loaded.get(name)
        if sound is None:
            return
        sound.stop()  # a key pressed again restarts its tick
        sound.play()
        self.played.append(name)
