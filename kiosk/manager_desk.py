"""The store manager's side of the kiosk: the PIN pad, the status view, and "sync now"."""

from __future__ import annotations

import threading
from collections.abc import Callable

from kiosk.i18n import Text
from kiosk.manager_lock import ManagerLock, PinAnswer
from kiosk.manager_view import ManagerView, view
from kiosk.sounds import set_sounds, sounds_on
from terminal.engine import Terminal

MAX_PIN = 12
Syncer = Callable[[], Text]  # runs one sync, says how it went


class ManagerDesk:
    def __init__(
        self, terminal: Terminal, lock: ManagerLock, syncer: Syncer | None,
        changed: Callable[[], None], opened: Callable[[], None],
    ) -> None:  # fmt: skip
        self.terminal = terminal
        self.lock = lock
        self.syncer = syncer
        self._changed = changed
        self._opened = opened
        self.pin_typed = ""
        self.pin_message: Text | None = None
        self.syncing = False
        self.sync_outcome: Text | None = None

    def start(self) -> None:
        """The PIN pad is shown: say now if it is locked or no PIN is set."""
        self.pin_typed = ""
        self.pin_message = _words(self.lock.state(), typed=False)

    def pin_key(self, key: str) -> bool:
        """A key of the PIN pad; True when the PIN opened the manager screen."""
        if key.isdigit() and len(key) == 1:
            if len(self.pin_typed) < MAX_PIN:
                self.pin_typed += key
            self._changed()
            return False
        if key != "pin.enter" or not self.pin_typed:
            return False
        answer = self.lock.try_pin(self.pin_typed)
        self.pin_typed = ""
        self.pin_message = _words(answer, typed=True)
        if answer.verdict == "open":
            self.sync_outcome = None
            self._opened()
            return True
        self._changed()
        return False

    @property
    def sounds_on(self) -> bool:
        return sounds_on(self.terminal.ledger)

    def toggle_sounds(self) -> None:
        """Sounds on or off, kept across restarts."""
        set_sounds(self.terminal.ledger, not self.sounds_on)
        self._changed()

    def view(self) -> ManagerView:
        return view(self.terminal.status(), self.terminal.recent_redemptions(20), self.sync_outcome)

    def sync_now(self, wait: bool = False) -> None:
        """Sync in the background; the screen shows "Syncing..." and then the outcome."""
        if self.syncing:
            return
        if self.syncer is None:
            self.sync_outcome = Text.of("manager.no_server")
            self._changed()
            return
        self.syncing = True
        self._changed()
        worker = threading.Thread(target=self._sync, name="sync-now", daemon=True)
        worker.start()
        if wait:
            worker.join()

    def _sync(self) -> None:
        assert self.syncer is not None
        try:
            self.sync_outcome = self.syncer()
        except Exception as exc:  # the screen says what failed; the kiosk carries on
            self.sync_outcome = Text.of("manager.sync_failed", error=str(exc))
        finally:
            self.syncing = False
            self._changed()


def _words(answer: PinAnswer, typed: bool) -> Text | None:
    if answer.verdict == "not_set":
        return Text.of("pin.not_set")
    if answer.verdict == "locked":
        return Text.of("pin.locked", minutes=max(1, round(answer.locked_for_s / 60)))
    if answer.verdict == "wrong" and typed:
        return Text.of("pin.wrong", left=answer.tries_left)
    return None
