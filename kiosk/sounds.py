"""Whether the kiosk plays its sounds (a key press, a win): the store manager's choice, kept in the
ledger's settings so it holds across restarts. The sounds themselves are `assets/sounds/`, played
by the screens (kiosk/screens/sound.py)."""

from __future__ import annotations

from terminal.ledger import Ledger

SOUNDS_KEY = "kiosk.sounds_on"


def sounds_on(ledger: Ledger) -> bool:
    return bool(ledger.setting(SOUNDS_KEY, True))


def set_sounds(ledger: Ledger, on: bool) -> None:
    with ledger.write() as conn:
        Ledger.put_setting(conn, SOUNDS_KEY, on)
