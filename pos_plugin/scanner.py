"""Keyboard-wedge scanners: the gun types the code and Enter, like a very fast cashier.

A gun held over a code often reads it twice; the same code within the repeat window is one scan.
A different code, or the same one after the window, counts again (two identical packs are two).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class RepeatFilter:
    """`accept(line)` is the code to act on, or None for an empty line or a repeated read."""

    def __init__(self, window_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._last: tuple[str, float] | None = None

    def accept(self, line: str) -> str | None:
        code = line.strip()
        if not code:
            return None
        now = self._clock()
        repeated = self._last is not None and self._last[0] == code
        recent = self._last is not None and now - self._last[1] < self.window_s
        self._last = (code, now)  # a gun held over the code keeps it one scan
        return None if repeated and recent else code
