"""Power cuts and shared ledgers: what was shown as done is never lost or doubled.

Real processes, real SIGKILLs, one real SQLite file.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from terminal.config import TerminalConfig, TierRule
from terminal.ledger import Ledger
from tests.terminal.conftest import Store, StoreFactory

KILLS = 20


def _redeemer(store: Store, codes_file: Path, actor: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "instore_cli", "terminal", "redeem", "--db", str(store.path),
         "--from", str(codes_file), "--actor", actor, "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def _confirmed(lines: list[str]) -> set[int]:
    serials = set()
    for line in lines:
        try:
            data = json.loads(line)
        except ValueError:
            continue  # the kill can cut the last line short: it was never shown as done
        if data["status"] in ("accepted_offline", "accepted_online"):
            serials.add(int(data["serial"]))
    return serials


def test_sigkill_at_random_points_loses_nothing_confirmed(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    rng = random.Random(7)
    codes_file = tmp_path / "codes.txt"
    shown: set[int] = set()
    for round_no in range(KILLS):
        # each run rescans some codes already redeemed, as a queue at a till does
        serials = rng.sample(range(1000), 120)
        codes_file.write_text("\n".join(store.code(s) for s in serials) + "\n")
        proc = _redeemer(store, codes_file, actor=f"run{round_no}")
        first = ""
        if round_no % 5:  # most rounds: once it answers (start-up time varies with load)...
            first = proc.stdout.readline()  # type: ignore[union-attr]
        time.sleep(rng.uniform(0, 0.4))  # ...then at any point; every fifth, during start-up too
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        shown |= _confirmed([first, *out.splitlines()])

        raw = sqlite3.connect(store.path)
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        raw.close()
    ledger = Ledger(store.path)
    try:
        redeemed = [r["serial"] for r in ledger.read(
            "SELECT json_extract(payload, '$.serial') AS serial FROM events WHERE kind = 'redeem'"
        )]  # fmt: skip
        assert len(redeemed) == len(set(redeemed)), "a code was accepted twice"
        assert shown <= set(redeemed), "a redemption shown as done was lost"
        assert ledger.verify_chain() is None
        assert shown, "no run got far enough to confirm anything: the test proved nothing"
    finally:
        ledger.close()


def test_two_processes_on_one_ledger_never_double_accept(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    # every prize of the 300 may be taken offline here: this test is about two processes
    lifted = tuple(TierRule(t, offline_count=1000) for t in ("gold", "silver"))
    store = make_store(TerminalConfig(tier_rules=lifted))
    codes = [store.code(s) for s in range(300)]
    (tmp_path / "a.txt").write_text("\n".join(codes) + "\n")
    (tmp_path / "b.txt").write_text("\n".join(reversed(codes)) + "\n")
    kiosk = _redeemer(store, tmp_path / "a.txt", "kiosk")
    till = _redeemer(store, tmp_path / "b.txt", "till")
    a_out, _ = kiosk.communicate(timeout=120)
    b_out, _ = till.communicate(timeout=120)
    a, b = _confirmed(a_out.splitlines()), _confirmed(b_out.splitlines())
    assert a.isdisjoint(b) and a | b == set(range(300))
    statuses = [json.loads(line)["status"] for line in (a_out + b_out).splitlines()]
    assert statuses.count("already_redeemed_here") == 300
    assert "not_saved" not in statuses
    ledger = Ledger(store.path)
    try:
        assert ledger.verify_chain() is None
        assert ledger.one("SELECT COUNT(*) AS n FROM events")["n"] == 300  # type: ignore[index]
    finally:
        ledger.close()
