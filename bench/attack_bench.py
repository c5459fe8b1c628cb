"""server_stub/ under attack: a till's sync, an online claim and /v1/health while someone
presents bad credentials, beside the same figures on the quiet server.

The server runs as `instore server` (one worker, as a store's server starts) on loopback. The
attack comes from a process of its own (bench/attacker.py): every second a wave of 160 bad
credentials, 80 at a time from one address, for as long as the measuring lasts. Before issue 24 the throttle slept in the server's thread pool: 160 wrong
admin tokens made health take up to 14.7 s and a sync 6.2 s, and online claims, given 0.8 s,
fell back to offline rules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import requests

from bench.report import Row, print_table
from bench.sync_bench import POSTGRES, Setup, _drop_postgres, _fresh_postgres
from server_stub.accounts import users
from sync.client import SyncClient, SyncError
from sync.cycle import client_for, run_cycle
from sync.protocol import ClaimRequest
from terminal.chain import uuid7
from terminal.engine import Terminal
from terminal.ledger import Ledger
from tests.live import server_process

SAMPLES = 60  # of each figure, per phase (p95 is the third slowest)
CLAIM_TIMEOUT_S = 0.8  # a till's online claim (sync/claimer.py): past it, offline rules
CLAIMERS = 8  # a till may claim 60 a minute (ServerSettings); the claims rotate over these
# The target is the admin-token attack's (issue 24): those answers cost the server no check.
# Wrong passwords are reported beside it: up to 10 a name are real argon2 checks (~50 ms of a
# core each, in low-priority threads), so their first second shows at the slowest percentiles.
ATTACKS = {"token": "wrong admin tokens", "password": "wrong dashboard passwords"}
JUDGED = {"token"}
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Phase:
    sync: list[float]  # ms
    claim: list[float]
    health: list[float]
    late_claims: int  # past CLAIM_TIMEOUT_S


class Store:
    """A server with a till that redeems and syncs, and tills that claim online."""

    def __init__(self, setup: Setup, url: str) -> None:
        self.setup, self.url = setup, url
        path = setup.device(url, "till")
        self.terminal, self.ledger = Terminal(path), Ledger(path)
        self.client = client_for(self.ledger)
        self.claimers: list[tuple[Ledger, SyncClient]] = []
        for i in range(CLAIMERS):
            ledger = Ledger(setup.device(url, f"claimer-{i}"))
            self.claimers.append((ledger, client_for(ledger)))
        self.serials: Iterator[int] = count()
        self.health = requests.Session()

    def measure(self, samples: int) -> Phase:
        sync, claim, health, late = [], [], [], 0
        for i in range(samples):
            health.append(_ms(lambda: self.health.get(f"{self.url}/v1/health", timeout=30)))
            self.terminal.redeem(self.setup.cipher.encode(next(self.serials)))
            sync.append(_ms(lambda: run_cycle(self.ledger, self.client)))
            serial = next(self.serials)
            request = ClaimRequest(event_id=uuid7(), campaign="bench", serial=serial,
                                   code=self.setup.cipher.encode(serial))  # fmt: skip
            client = self.claimers[i % CLAIMERS][1]
            try:
                claim.append(_ms(lambda: client.claim(request, CLAIM_TIMEOUT_S)))  # noqa: B023
            except SyncError as failed:
                if not failed.unreachable:  # refused, not late: the bench is wrong, not the server
                    raise
                claim.append(CLAIM_TIMEOUT_S * 1000)  # the till would use its offline rules
                late += 1
        return Phase(sync, claim, health, late)

    def close(self) -> None:
        self.terminal.close()
        self.ledger.close()
        for ledger, _ in self.claimers:
            ledger.close()


def _ms(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return (time.perf_counter() - began) * 1000


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def attacked(store: Store, mode: str) -> tuple[Phase, dict[str, int]]:
    """The figures while `bench.attacker` sends bad credentials; and its answers by status."""
    attacker = subprocess.Popen(
        ["nice", "-n", "19", sys.executable, "-m", "bench.attacker", mode, store.url], cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert attacker.stdout is not None and attacker.stdout.readline() == "attacking\n"
    time.sleep(0.2)  # its first 80 in flight
    phase = store.measure(SAMPLES)
    out, _ = attacker.communicate("", timeout=120)
    said = json.loads(out.splitlines()[-1])
    return phase, {"slowest_ms": round(said["slowest_s"] * 1000), **said["answers"]}


def measure(db: str, folder: Path) -> tuple[Phase, dict[str, tuple[Phase, dict[str, int]]], Phase]:
    setup = Setup(db, folder, 10_000)
    users.create_user(setup.engine, "ann", "correct horse battery", "admin")  # whom they guess
    with server_process(db) as url:
        store = Store(setup, url)
        store.measure(5)  # warm: connections, caches
        quiet = store.measure(SAMPLES)
        loud = {mode: attacked(store, mode) for mode in ATTACKS}
        again = store.measure(SAMPLES)
        store.close()
    setup.engine.dispose()
    return quiet, loud, again


def _rows(name: str, quiet: Phase, loud: dict[str, tuple[Phase, dict[str, int]]],
          again: Phase) -> list[Row]:  # fmt: skip
    rows = []
    figures: list[tuple[str, Callable[[Phase], list[float]]]] = [
        ("a till's sync", lambda p: p.sync), ("an online claim", lambda p: p.claim),
        ("/v1/health", lambda p: p.health),
    ]  # fmt: skip
    for figure, pick in figures:
        q50, q95 = _p(pick(quiet), 0.5), _p(pick(quiet), 0.95)
        a50, a95 = _p(pick(again), 0.5), _p(pick(again), 0.95)
        rows.append(Row(f"{figure}, {name}, quiet, p50 / p95 (ms)", f"{q50:.1f} / {q95:.1f}", "-",
                        None, f"quiet again after: {a50:.1f} / {a95:.1f} (the noise)"))  # fmt: skip
        # within noise: no worse than half again the quiet figure, and 5 ms
        top50, top95 = max(q50, a50) * 1.5 + 5, max(q95, a95) * 1.5 + 5
        for mode, (phase, answers) in loud.items():
            p50, p95 = _p(pick(phase), 0.5), _p(pick(phase), 0.95)
            got = {k: n for k, n in answers.items() if k != "slowest_ms"}
            sent = sum(got.values())
            said = ", ".join(f"{n:,} got {status}" for status, n in sorted(got.items()))
            judged = mode in JUDGED
            rows.append(Row(
                f"  while {ATTACKS[mode]} come 80 at a time", f"{p50:.1f} / {p95:.1f}",
                f"<= {top50:.0f} / {top95:.0f}" if judged else "-",
                (p50 <= top50 and p95 <= top95) if judged else None,
                f"{p50 / max(q50, 0.01):.2f} / {p95 / max(q95, 0.01):.2f} of quiet; {sent:,} sent"
                f" ({said}; the slowest in {answers['slowest_ms']:,} ms)",
            ))  # fmt: skip
    late = {mode: phase.late_claims for mode, (phase, _) in loud.items()}
    rows.append(Row(
        f"online claims past their 0.8 s under attack, {name}", str(sum(late.values())), "0",
        sum(late.values()) == 0, f"of {SAMPLES * len(loud)}; a late claim means offline rules",
    ))  # fmt: skip
    return rows


def run() -> None:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sqlite"
        folder.mkdir()
        rows += _rows("SQLite", *measure(f"sqlite:///{folder / 'server.db'}", folder))
        pg = _fresh_postgres()
        if pg is not None:
            folder = Path(tmp) / "pg"
            folder.mkdir()
            rows += _rows("PostgreSQL", *measure(pg, folder))
            _drop_postgres(pg)
    print_table(
        "server_stub/ under attack: bad credentials from one address, 80 at a time",
        f"the same figures on the quiet server, same run ({os.cpu_count()} cores; PostgreSQL"
        f" at {POSTGRES.rsplit('@', 1)[-1]})",
        rows,
    )


if __name__ == "__main__":
    run()
