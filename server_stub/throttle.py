"""Slowing down whoever keeps presenting wrong tokens (admin or enrollment), and saying so."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

LOG = logging.getLogger("instore.server.security")

FREE_TRIES = 5  # wrong tokens a source may present in the window before it waits
WINDOW_S = 600.0
MAX_WAIT_S = 5.0


class Throttle:
    """Per source address: after FREE_TRIES failures in WINDOW_S, each further answer waits
    longer (doubling, up to MAX_WAIT_S), so guessing a token takes years, not minutes."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._sleep = sleep

    def failed(self, source: str, what: str) -> float:
        """Note a wrong token from `source`; wait as long as it has earned. Returns the wait."""
        now = time.monotonic()
        with self._lock:
            seen = self._failures[source]
            seen.append(now)
            while seen and seen[0] < now - WINDOW_S:
                seen.popleft()
            extra = len(seen) - FREE_TRIES
        wait = min(MAX_WAIT_S, 0.25 * 2 ** (extra - 1)) if extra > 0 else 0.0
        LOG.warning(
            "wrong %s from %s (%d in %d min)", what, source or "-", len(seen), WINDOW_S // 60
        )
        if wait:
            self._sleep(wait)
        return wait
