"""The manager screen's PIN: kept hashed in the ledger, 5 wrong tries lock it for 5 minutes.

The lock lives in the ledger too (wall-clock time), so pulling the plug does not lift it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from terminal.ledger import Ledger

PIN_KEY = "kiosk_pin"
LOCK_KEY = "kiosk_pin_lock"
_ROUNDS = 200_000  # a stolen ledger's PIN hash costs a guesser real time per try
MIN_PIN = 4

Verdict = Literal["open", "wrong", "locked", "not_set"]


@dataclass(frozen=True)
class PinAnswer:
    verdict: Verdict
    tries_left: int = 0
    locked_for_s: float = 0.0


def _hash(pin: str, salt: bytes) -> str:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _ROUNDS).hex()


def set_pin(ledger: Ledger, pin: str) -> None:
    pin = pin.strip()
    if not (pin.isdigit() and len(pin) >= MIN_PIN):
        raise ValueError(f"a manager PIN is {MIN_PIN} or more digits")
    salt = secrets.token_bytes(16)
    with ledger.write() as conn:
        Ledger.put_setting(conn, PIN_KEY, {"salt": salt.hex(), "hash": _hash(pin, salt)})
        Ledger.put_setting(conn, LOCK_KEY, {"failures": 0, "until": 0})


class ManagerLock:
    def __init__(
        self, ledger: Ledger, attempts: int = 5, lock_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.ledger = ledger
        self.attempts = attempts
        self.lock_s = lock_s
        self.clock = clock

    def _lock(self) -> dict[str, float]:
        stored = self.ledger.setting(LOCK_KEY) or {}
        return {
            "failures": float(stored.get("failures", 0)),
            "until": float(stored.get("until", 0)),
        }

    def state(self) -> PinAnswer:
        """Locked or not, before a PIN is typed."""
        if self.ledger.setting(PIN_KEY) is None:
            return PinAnswer("not_set")
        lock = self._lock()
        left = lock["until"] - self.clock()
        if left > 0:
            return PinAnswer("locked", 0, left)
        return PinAnswer("wrong", self.attempts - int(lock["failures"]))

    def try_pin(self, pin: str) -> PinAnswer:
        stored = self.ledger.setting(PIN_KEY)
        if stored is None:
            return PinAnswer("not_set")
        now, lock = self.clock(), self._lock()
        if lock["until"] > now:
            return PinAnswer("locked", 0, lock["until"] - now)
        if hmac.compare_digest(_hash(pin.strip(), bytes.fromhex(stored["salt"])), stored["hash"]):
            self._save(0, 0)
            return PinAnswer("open")
        failures = int(lock["failures"]) + 1
        if failures >= self.attempts:
            self._save(0, now + self.lock_s)
            return PinAnswer("locked", 0, self.lock_s)
        self._save(failures, 0)
        return PinAnswer("wrong", self.attempts - failures)

    def _save(self, failures: int, until: float) -> None:
        with self.ledger.write() as conn:
            Ledger.put_setting(conn, LOCK_KEY, {"failures": failures, "until": until})
