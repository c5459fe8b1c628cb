"""Where a benchmark's CPU went: the server's processes, the database's, and the load generator.

On this machine all three share the same cores, so a throughput figure is capped by their sum;
CPU seconds per event say which part to make cheaper, and vary less than the machine's speed.
Read from /proc (Linux); elsewhere every figure is zero.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Split:
    """CPU seconds of each part over one measurement."""

    server: float  # this process's child processes: `instore server` and its workers
    database: float  # the database's own processes (PostgreSQL backends; none for SQLite)
    generator: float  # this process: the load generator's threads

    def per_event_us(self, events: int) -> Split:
        return Split(
            *(seconds / events * 1e6 for seconds in (self.server, self.database, self.generator))
        )

    @property
    def total(self) -> float:
        return self.server + self.database + self.generator


class CpuMeter:
    """`start()`, run the load, `stop()`; `database_pids` names the database's processes."""

    def __init__(self, database_pids: Callable[[], list[int]] = list) -> None:
        self.database_pids = database_pids
        self._before: dict[int, float] = {}
        self._mine = 0.0

    def start(self) -> None:
        self._before = {pid: _seconds(pid) for pid in self._pids()}
        self._mine = _own_seconds()

    def stop(self) -> Split:
        server = sum(_seconds(p) - self._before.get(p, 0.0) for p in _descendants(os.getpid()))
        database = sum(_seconds(p) - self._before.get(p, 0.0) for p in self.database_pids())
        return Split(server, database, _own_seconds() - self._mine)

    def _pids(self) -> list[int]:
        return [*_descendants(os.getpid()), *self.database_pids()]


def _own_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _stat(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _seconds(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICKS if fields else 0.0


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else []:
        if entry.name.isdigit() and (fields := _stat(entry.name)):
            children[int(fields[1])].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        kids = children[todo.pop()]
        found += kids
        todo += kids
    return found
