"""Whether the kiosk plays its sounds (a key press, a win): the store manager's choice, kept in the
ledger's settings so it holds across restarts, and whether the machine has anything to play them
on. The sounds themselves are `assets/sounds/`, played by the screens (kiosk/screens/sound.py)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from terminal.ledger import Ledger

SOUNDS_KEY = "kiosk.sounds_on"


def sounds_on(ledger: Ledger) -> bool:
    return bool(ledger.setting(SOUNDS_KEY, True))


def set_sounds(ledger: Ledger, on: bool) -> None:
    with ledger.write() as conn:
        Ledger.put_setting(conn, SOUNDS_KEY, on)


def sound_output_present(environ: Mapping[str, str], devices: Path = Path("/dev/snd")) -> bool:
    """Whether a sound device or sound server is there to open. On Linux without either, SDL's
    attempt prints a dozen ALSA and mixer errors, so the kiosk does not make it. An audio driver
    named in SDL_AUDIODRIVER (the tests' "dummy") is SDL's to open; other systems are asked."""
    if environ.get("SDL_AUDIODRIVER") or not sys.platform.startswith("linux"):
        return True
    if any(devices.glob("pcmC*D*p")):  # an ALSA playback device
        return True
    if environ.get("PULSE_SERVER"):
        return True
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    return bool(runtime) and any(
        (Path(runtime) / name).exists() for name in ("pulse/native", "pipewire-0")
    )
