"""One sync cycle for one ledger: push everything pending, then pull everything new.

Only one cycle runs per ledger at a time, across processes too (a lock file beside the ledger):
a kiosk's scheduler and a manager's `instore sync now` never push the same events at once.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync import outbox, protocol
from sync.client import SyncClient, SyncError
from sync.transport import HttpTransport, Transport
from terminal.ledger import Ledger, LedgerError, now_iso


@dataclass
class CycleReport:
    ok: bool
    pushed: dict[str, int] = field(default_factory=dict)  # verdict -> events
    pulled: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    error_code: str | None = None
    skipped: bool = False  # another process was syncing this ledger
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def client_for(ledger: Ledger, transport: Transport | None = None) -> SyncClient:
    device = ledger.device()
    if not device.server_url and transport is None:
        raise SyncError(
            "not_enrolled",
            f"{ledger.path} was not enrolled with a server; run 'instore terminal init --server URL --token TOKEN'",
        )
    return SyncClient(
        transport or HttpTransport(device.server_url), device.device_id, device.secret
    )


@contextmanager
def sync_lock(ledger_path: Path) -> Iterator[bool]:
    """True while this process holds the ledger's sync lock; False when another one has it."""
    fd = os.open(f"{ledger_path}.sync-lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing drops the lock


def run_cycle(ledger: Ledger, client: SyncClient, batch: int = protocol.MAX_BATCH) -> CycleReport:
    began = time.perf_counter()
    with sync_lock(ledger.path) as mine:
        if not mine:
            return CycleReport(ok=True, skipped=True)
        report = CycleReport(ok=True)
        try:
            _push_all(ledger, client, batch, report)
            _pull_all(ledger, client, report)
        except SyncError as exc:
            report.ok, report.error, report.error_code = False, exc.message, exc.code
        _record(ledger, report)
    report.seconds = round(time.perf_counter() - began, 3)
    return report


def _push_all(ledger: Ledger, client: SyncClient, batch: int, report: CycleReport) -> None:
    """Push every pending event, a batch at a time, in seq order.

    While the server works on one batch, this thread settles the previous answer and reads the
    next batch: a long catch-up after an outage takes the server's time, not the sum of both.
    One batch is in flight at a time, so the server still sees a device's events in order.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="push") as sender:
        events = outbox.outgoing(ledger, batch)
        flying = sender.submit(client.push, events) if events else None
        while flying is not None:
            sent = events
            more = len(sent) == batch
            events = outbox.outgoing(ledger, batch, after_seq=sent[-1]["seq"]) if more else []
            answer = flying.result()  # a failure stops here, before anything else is sent
            flying = sender.submit(client.push, events) if events else None
            mine = {e["event_id"] for e in sent}
            verdicts = [v for v in answer.verdicts if v.event_id in mine]
            if not verdicts:  # nothing settled: stop rather than send the same batch forever
                raise SyncError("bad_answer", "the server settled none of the events sent")
            for verdict, n in outbox.apply_verdicts(ledger, verdicts).items():
                report.pushed[verdict] = report.pushed.get(verdict, 0) + n


def _pull_all(ledger: Ledger, client: SyncClient, report: CycleReport) -> None:
    waiting, age = ledger.pending_summary()
    while True:
        answer = client.pull(
            int(ledger.setting("cursor", 0)), int(ledger.setting("config_version", 0)),
            pending=waiting, oldest_pending_s=age,
        )  # fmt: skip
        for what, n in outbox.apply_pull(ledger, answer).items():
            report.pulled[what] = report.pulled.get(what, 0) + n
        if not answer.more:
            return


def _record(ledger: Ledger, report: CycleReport) -> None:
    """What the status screen shows: online since when, or offline since when and why."""
    online = report.ok or not _is_outage(report.error_code)
    was_online = bool(ledger.setting("online", False))
    now = now_iso()
    try:
        with ledger.write() as conn:
            Ledger.put_setting(conn, "online", online)
            if online and not was_online:
                Ledger.put_setting(conn, "online_since", now)
            if not online and (was_online or ledger.setting("offline_since") is None):
                Ledger.put_setting(conn, "offline_since", now)
            Ledger.put_setting(
                conn,
                "last_sync_error",
                None if report.ok else f"{report.error_code}: {report.error}",
            )
            if report.ok:
                Ledger.put_setting(conn, "last_sync", now)
    except LedgerError:  # bookkeeping must never turn a finished sync into a failure
        pass


def _is_outage(code: str | None) -> bool:
    return code in ("unreachable", "server_error", "bad_answer")
