"""terminal/: a member's balance from 1,000 open lots on the device (issue 27): the lots the
server sent read from a real SQLite file, this device's events since laid on top, and the
expiry schedule, through Terminal.balance as the kiosk and the till ask for it, offline."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.report import Row, print_table
from codes.campaign import Campaign, parse_tiers
from terminal.config import TerminalConfig
from terminal.engine import Terminal
from terminal.ledger import Ledger
from terminal.lots import DAY_S, Lot, expiry_of
from terminal.provision import provision

KEY = bytes(range(32))
CAMPAIGN = Campaign(id="bench", prefix="HV", tiers=parse_tiers("music:*"), issued=10**6)
MEMBER = "+77011234567"
LOTS = 1_000
TARGET_MS = 5.0


def _till(path: Path) -> Terminal:
    provision(path, [(CAMPAIGN, KEY)], device_name="bench",
              config=TerminalConfig(pending_days=14, expiry_months=12))  # fmt: skip
    till = Terminal(path)
    now = time.time()
    # a lot a day or so for 11 months, dated as the server dates them (expiring by the month)
    earned = [now - (LOTS - n) * DAY_S / 3 for n in range(1, LOTS + 1)]
    lots = [
        Lot(n, f"p{n % 3}", at, at + 14 * DAY_S, expiry_of(at, 12), 5 + n % 40)
        for n, at in enumerate(earned, start=1)
    ]
    with till.ledger.write() as conn:
        Ledger.remember_balances(conn, [(MEMBER, sum(x.remaining for x in lots))], 0)
        Ledger.remember_lots(conn, {MEMBER: lots})
    for n in range(10):  # this device's own events since the server's word
        till.accrue(MEMBER, 100 + n, receipt=f"R-{n}")
    return till


def _ms(ask: Callable[[], object], runs: int = 300) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        ask()
        samples.append((time.perf_counter() - t) * 1000)
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        till = _till(Path(tmp) / "till.db")
        shown = till.balance(MEMBER)
        assert shown.expiring and shown.balance and shown.balance > 0, shown
        # the baseline: the old reading, one figure plus a sum of this device's events
        base_p50, _ = _ms(lambda: till.ledger.points_after(MEMBER, 0))
        p50, p99 = _ms(lambda: till.balance(MEMBER))
        till.close()
    print_table(
        "Member lots on the device (terminal, real SQLite file, offline)",
        f"credits minus debits (one SUM over this device's events) {base_p50:.3f} ms",
        [
            Row(f"balance of {LOTS:,} open lots, p50", f"{p50:.2f} ms", f"<= {TARGET_MS:g} ms",
                p50 <= TARGET_MS, f"{p50 / base_p50:.0f}x"),
            Row(f"balance of {LOTS:,} open lots, p99", f"{p99:.2f} ms", "", None,
                f"{p99 / base_p50:.0f}x"),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    run()
