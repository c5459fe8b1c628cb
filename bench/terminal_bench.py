"""terminal/: redeem latency, status with a million pending, the redeemed set at ten million."""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench.report import Row, print_table
from codes.campaign import Campaign, parse_tiers
from codes.campaign_cipher import CampaignCipher
from terminal.config import Limit, TerminalConfig, TierRule
from terminal.engine import Terminal
from terminal.ledger_sync import SyncLedger
from terminal.provision import provision

KEY = bytes(range(32))
CAMPAIGN = Campaign(id="bench", prefix="HV", tiers=parse_tiers("gold:10,music:*"), issued=10**8)
# every limit scope switched on at a busy store's values, so each redeem pays for its look-ups
CONFIG = TerminalConfig(
    limits=(
        Limit("cashier_day", 5_000),
        Limit("terminal_hour", 5_000, hard=False),
        Limit("member_day", 20),
    ),
    tier_rules=(TierRule("music", offline_count=10**6),),
)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def raw_insert_ms(path: Path, count: int = 2000) -> tuple[float, float]:
    """One row per transaction, WAL + synchronous=FULL: the floor for any durable write."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    times = []
    for i in range(count):
        t = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (v) VALUES (?)", (f"row {i}",))
        conn.execute("COMMIT")
        times.append((time.perf_counter() - t) * 1000)
    conn.close()
    return _percentiles(times)


def redeem_ms(path: Path, count: int = 2000) -> tuple[float, float]:
    provision(path, [(CAMPAIGN, KEY)], device_name="bench", config=CONFIG)
    cipher = CampaignCipher(CAMPAIGN, KEY)
    codes = [cipher.encode(s) for s in range(count)]
    terminal = Terminal(path)
    times: list[float] = []
    for code in codes:
        t = time.perf_counter()
        member = f"m{len(times) % 500}"
        result = terminal.redeem(code, actor="bench", context={"member": member})
        times.append((time.perf_counter() - t) * 1000)
        assert result.ok
    terminal.close()
    return _percentiles(times)


def status_ms(path: Path, pending: int = 1_000_000) -> float:
    provision(path, [(CAMPAIGN, KEY)], device_name="bench")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    now = time.time()
    conn.executemany(
        "INSERT INTO events (event_id, kind, payload, local_time, prev_hash, hash, mac, created)"
        " VALUES (?, 'redeem', '{}', '', '', '', '', ?)",
        ((f"e{i}", now - i) for i in range(pending)),
    )
    conn.execute("COMMIT")
    conn.close()
    terminal = Terminal(path)
    times = []
    for _ in range(20):
        t = time.perf_counter()
        status = terminal.status()
        times.append((time.perf_counter() - t) * 1000)
    assert status["pending"] == pending
    terminal.close()
    return statistics.median(times)


def redeemed_set(path: Path, size: int = 10_000_000, probes: int = 50_000) -> tuple[float, float]:
    """(median µs per membership look-up, bytes on disk per million codes)."""
    provision(path, [(CAMPAIGN, KEY)], device_name="bench")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row  # the ledger's own writer reads campaigns by column name
    conn.execute("PRAGMA journal_mode=WAL")
    before = os.path.getsize(path)
    conn.execute("BEGIN")
    step = 1_000_000
    for start in range(0, size, step):
        # the ledger's own writer, as a pull would fill the set: its columns are the ledger's
        SyncLedger.add_redeemed(
            conn, ((CAMPAIGN.id, s * 3) for s in range(start, min(start + step, size)))
        )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    per_million = (os.path.getsize(path) - before) / (size / 1e6)
    lookup = conn.cursor()
    asked = [(i * 7919) % (size * 3) for i in range(probes)]
    t = time.perf_counter()
    hits = 0
    for serial in asked:
        hits += (
            lookup.execute(
                "SELECT 1 FROM redeemed WHERE campaign_no = 1 AND serial = ?", (serial,)
            ).fetchone()
            is not None
        )
    per_lookup = (time.perf_counter() - t) / len(asked) * 1e6
    conn.close()
    return per_lookup, per_million


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        raw50, raw99 = raw_insert_ms(work / "raw.db")
        p50, p99 = redeem_ms(work / "redeem.db")
        status = status_ms(work / "status.db")
        lookup_us, per_million = redeemed_set(work / "set.db")
    rows = [
        Row("redeem (check + limits + durable commit): p50", f"{p50:.2f} ms", "<= 2 ms", p50 <= 2,
            f"{p50 / raw50:.1f}x a raw insert"),
        Row("redeem: p99", f"{p99:.2f} ms", "<= 10 ms", p99 <= 10, f"{p99 / raw99:.1f}x a raw insert"),
        Row("status() with 1,000,000 pending events", f"{status:.1f} ms", "<= 50 ms", status <= 50,
            f"{status / raw50:.1f}x a raw insert"),
        Row("redeemed-set membership, 10,000,000 codes", f"{lookup_us:.1f} us", "<= 10 us",
            lookup_us <= 10, f"{lookup_us / 1000 / raw50:.4f}x a raw insert"),
        Row("redeemed set on disk", f"{per_million / 1e6:.1f} MB/M codes", "report", None, ""),
    ]  # fmt: skip
    print_table(
        "terminal/",
        f"raw single-row insert, WAL + synchronous=FULL: p50 {raw50:.2f} ms, p99 {raw99:.2f} ms",
        rows,
    )
