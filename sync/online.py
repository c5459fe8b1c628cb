"""A device's engine wired to its server: online-first claims and background sync, in one object.

The till's bridge and the kiosk open their ledger through this. A ledger set up without a server
(development, `init --campaign`) gives a plain offline engine and no sync.

The engine, the claimer and the scheduler each get their own connection to the ledger file: a
claim that times out may still be writing the online/offline line while the engine writes an
event, and SQLite transactions must not interleave on one connection.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sync.claimer import ServerClaimer
from sync.cycle import CycleReport, client_for
from sync.scheduler import ScheduleSettings, SyncScheduler
from sync.transport import Transport
from terminal.engine import Terminal
from terminal.ledger import Ledger


class OnlineDevice:
    """`terminal` answers; `after_operation()` asks for a sync soon; `close()` stops cleanly."""

    def __init__(
        self, path: Path | str, schedule: ScheduleSettings | None = None, background: bool = True,
        transport: Transport | None = None, on_cycle: Callable[[CycleReport], None] | None = None,
    ) -> None:  # fmt: skip
        self._ledgers: list[Ledger] = []
        self._on_cycle = on_cycle
        self._stale = False
        engine_ledger = self._open(path)
        self.scheduler: SyncScheduler | None = None
        self.enrolled = bool(engine_ledger.device().server_url) or transport is not None
        if not self.enrolled:
            self.terminal = Terminal(engine_ledger)
            return
        claim_ledger = self._open(path)
        self.terminal = Terminal(
            engine_ledger, claimer=ServerClaimer(client_for(claim_ledger, transport), claim_ledger)
        )
        if background:
            sync_ledger = self._open(path)
            self.scheduler = SyncScheduler(
                sync_ledger, client_for(sync_ledger, transport), schedule, self._cycled
            )
            self.scheduler.start()

    def _cycled(self, report: CycleReport) -> None:
        if report.pulled.get("config") or report.pulled.get("campaigns"):
            self._stale = True  # read again by the engine's own thread, in refresh()
        if self._on_cycle is not None:
            self._on_cycle(report)

    def refresh(self) -> None:
        """Before an operation: take up rules and campaign keys a sync has just brought."""
        if self._stale:
            self._stale = False
            self.terminal.reload()

    def _open(self, path: Path | str) -> Ledger:
        ledger = Ledger(path)
        self._ledgers.append(ledger)
        return ledger

    def after_operation(self) -> None:
        """Something was recorded: push it soon, so the other tills learn of it."""
        if self.scheduler is not None:
            self.scheduler.poke()

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        self.terminal.close()  # closes the engine's ledger; closing a closed one is harmless
        for ledger in self._ledgers:
            ledger.close()
