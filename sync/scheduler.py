"""Background sync: every N seconds (with jitter), soon after a local operation, and on reconnect.

apscheduler runs the cycle in one worker thread; a job never overlaps itself, and the ledger's
sync lock keeps other processes out too. While the server is away the next try comes sooner than
the usual interval, so a store that comes back online catches up within seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from sync.client import SyncClient
from sync.cycle import CycleReport, run_cycle
from terminal.ledger import Ledger


@dataclass(frozen=True)
class ScheduleSettings:
    interval_s: float = 30.0
    jitter_s: float = 5.0
    retry_s: float = 10.0  # while offline: try this often, to notice the network is back
    after_operation_s: float = 1.0  # a local operation while online: push this soon


class SyncScheduler:
    """Keeps one ledger in sync in the background; `poke()` after a local operation."""

    def __init__(
        self, ledger: Ledger, client: SyncClient, settings: ScheduleSettings | None = None,
        on_cycle: Callable[[CycleReport], None] | None = None,
    ) -> None:  # fmt: skip
        self.ledger = ledger
        self.client = client
        self.settings = settings or ScheduleSettings()
        self.on_cycle = on_cycle
        self.last: CycleReport | None = None
        self.cycles = 0
        self._done = threading.Event()
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._job = self._scheduler.add_job(
            self._cycle, "interval", seconds=self.settings.interval_s,
            jitter=self.settings.jitter_s, next_run_time=datetime.now(), id="sync",
        )  # fmt: skip

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        """Finish the cycle under way, if any, and stop."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def poke(self, delay_s: float | None = None) -> None:
        """Sync soon: after a local operation, or when the network is known to be back.

        A one-off job beside the interval job: the pool has one thread, so the two never overlap.
        """
        delay = self.settings.after_operation_s if delay_s is None else delay_s
        if self._scheduler.running:
            self._scheduler.add_job(
                self._cycle, "date", run_date=datetime.now() + timedelta(seconds=delay),
                id="sync-soon", replace_existing=True,
            )  # fmt: skip

    def wait_for_cycle(self, timeout: float) -> bool:
        """For tests and the foreground runner: True once a cycle finished since the last call."""
        done = self._done.wait(timeout)
        self._done.clear()
        return done

    def _cycle(self) -> None:
        report = run_cycle(self.ledger, self.client)
        self.last = report
        self.cycles += 1
        if not report.ok and not report.skipped:
            self.poke(
                min(self.settings.retry_s, self.settings.interval_s)
            )  # offline: look again soon
        if self.on_cycle is not None:
            self.on_cycle(report)
        self._done.set()
