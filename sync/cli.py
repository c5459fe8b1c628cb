"""`instore sync ...`: this device and the server, from a shell."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path
from types import FrameType

from codes.common.cli import emit
from sync.cycle import CycleReport, client_for, run_cycle
from sync.scheduler import ScheduleSettings, SyncScheduler
from terminal.ledger import Ledger


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="ACTION", required=True)
    now = sub.add_parser(
        "now", help="sync once: send what is pending, fetch what changed",
        description="Send this device's pending events to the server, then fetch codes redeemed"
        " elsewhere, conflict notices, balances and new rules. Exit 0 when the sync completed,"
        " 1 when the server could not be reached (nothing is lost: try again later).",
    )  # fmt: skip
    now.add_argument("--db", required=True, type=Path, help="this device's ledger file")
    now.add_argument("--json", action="store_true", help="answer in JSON")
    now.set_defaults(run=_now)
    run = sub.add_parser(
        "run", help="keep syncing in the foreground until stopped (Ctrl-C)",
        description="Sync every --interval seconds (sooner while the server is away), printing"
        " one line per sync that moved something or failed.",
    )  # fmt: skip
    run.add_argument("--db", required=True, type=Path, help="this device's ledger file")
    run.add_argument(
        "--interval", type=float, default=30.0, help="seconds between syncs (default 30)"
    )
    run.add_argument("--json", action="store_true", help="one JSON line per sync")
    run.set_defaults(run=_run)


def describe(report: CycleReport) -> str:
    """One line a store manager reads: what a sync sent and received, or why it failed."""
    if report.skipped:
        return "another program is syncing this device right now; nothing done"
    if not report.ok:
        return f"sync failed: {report.error} ({report.error_code})"
    sent = ", ".join(f"{n} {v}" for v, n in sorted(report.pushed.items())) or "nothing"
    got = ", ".join(f"{n} {k}" for k, n in sorted(report.pulled.items()) if n) or "nothing new"
    return f"sync done in {report.seconds:.2f} s: sent {sent}; received {got}"


def _now(args: argparse.Namespace) -> int:
    ledger = Ledger(args.db)
    try:
        report = run_cycle(ledger, client_for(ledger))
    finally:
        ledger.close()
    emit(report.to_dict(), args.json, describe(report))
    return 0 if report.ok else 1


def _run(args: argparse.Namespace) -> int:
    ledger = Ledger(args.db)
    stop = threading.Event()

    def show(report: CycleReport) -> None:
        if not report.ok or report.pushed or any(report.pulled.values()):
            print(json.dumps(report.to_dict()) if args.json else describe(report), flush=True)

    def finish(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    scheduler = SyncScheduler(
        ledger,
        client_for(ledger),
        ScheduleSettings(interval_s=args.interval, jitter_s=args.interval / 10),
        show,
    )
    signal.signal(signal.SIGTERM, finish)
    scheduler.start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop()
        ledger.close()
    return 0
