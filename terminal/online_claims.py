"""Asking the server before confirming, when sync can reach it: a short timeout, and any failure
means the offline rules decide instead. The engine does no network I/O itself; sync hands it a
`Claimer`."""

from __future__ import annotations

import concurrent.futures
import contextlib
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ClaimRequest:
    event_id: str
    device_id: str
    campaign: str
    serial: int
    code: str


@dataclass(frozen=True)
class Taken:
    """The server's "no": another device holds the code; where, as far as the server said."""

    device: str = ""  # its name
    store: str = ""  # its store's id

    def __bool__(self) -> bool:
        return False  # a claim lost, as the plain False a claimer may answer


class ClaimRefused(Exception):
    """The server looked at the code and refused it (forged, not issued): not an outage, so
    the offline rules must not accept it instead."""


class Claimer(Protocol):
    """The server, as sync reaches it. Raise on any failure; the engine then goes offline."""

    def claim(self, request: ClaimRequest, timeout: float) -> bool | Taken:
        """True: this device now owns the code. False or Taken: it was redeemed elsewhere."""
        ...

    def release(self, request: ClaimRequest, timeout: float) -> None:
        """Give back a claim this device won but could not save."""
        ...

    def balance(self, member: str, timeout: float) -> int:
        """The member's balance at the server."""
        ...


class OnlineClaims:
    """The claimer, if any, behind a timeout (a stuck server must not hold up a till)."""

    def __init__(self, claimer: Claimer | None) -> None:
        self.claimer = claimer
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    def claim(self, request: ClaimRequest, timeout: float) -> bool | Taken | None:
        """True, or False/Taken (lost) from the server, or None when it cannot answer in time.
        Raises ClaimRefused when the server refuses the code itself."""
        if self.claimer is None:
            return None
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="claim")
        future = self._pool.submit(self.claimer.claim, request, timeout)
        try:
            answer = future.result(timeout=timeout)
            return answer if isinstance(answer, Taken) else bool(answer)
        except ClaimRefused:
            raise
        except Exception:  # any other failure of the server means: offline rules
            if not future.done():
                # a stuck call must not queue the next one behind it
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            return None

    def release(self, request: ClaimRequest, timeout: float) -> None:
        # unanswered, the claim stays at the server with no event behind it: revoking the device
        # frees it
        if self.claimer is not None:
            with contextlib.suppress(Exception):
                self.claimer.release(request, timeout)

    def balance(self, member: str, timeout: float) -> int | None:
        """The server's balance for the member, or None when it cannot say."""
        if self.claimer is None:
            return None
        try:
            return int(self.claimer.balance(member, timeout))
        except Exception:  # offline: the caller falls back to what it knows
            return None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
