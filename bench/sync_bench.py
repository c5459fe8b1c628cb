"""server_stub/ and sync/: ingest over HTTP, online claims, pull, catch-up, idle cycles.

The server runs as its own process (`instore server`) on loopback, as in a store chain; the
baseline is a raw batched INSERT ... ON CONFLICT DO NOTHING of the same rows, same database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from bench.cpu_time import CpuMeter, Split
from bench.report import Row, print_table
from codes import campaign as campaign_file
from codes.campaign import parse_tiers
from codes.campaign_cipher import CampaignCipher
from server_stub.catalog import campaign_setup, enrollment, store_setup
from server_stub.database.connection import migrate, open_engine
from server_stub.records import feed
from sync import outbox, protocol
from sync.client import SyncClient
from sync.cycle import client_for, run_cycle
from sync.enroll import enroll
from sync.protocol import ClaimRequest
from sync.transport import HttpTransport
from terminal import chain
from terminal.ledger import Ledger
from tests.live import server_process

# a round: long enough that the last push of the last till is a small share of it
INGEST_EVENTS = 40_000
# Pushing at once, as tills coming back after an outage do. Each keeps its connection, and the
# kernel gives a connection to whichever worker accepts first: with 4, one worker often got 3
# and the figure fell by a third. A chain's server has hundreds; 8 evens the split enough.
DEVICES = 8
WORKERS = 2  # `instore server --workers`: one per core of this machine
ROUNDS = 3
PULL_CODES = 100_000
CATCH_UP = 100_000
POSTGRES = os.environ.get("INSTORE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


class Setup:
    """A server database with a campaign of `issued` codes and one store."""

    def __init__(self, db: str, folder: Path, issued: int) -> None:
        self.db, self.folder = db, folder
        made = campaign_file.create(
            folder / "c.toml", "bench", "HV", parse_tiers("gold:10,music:*"), capacity=10**7
        )
        self.engine = open_engine(db)
        migrate(self.engine)
        store_setup.create_store(self.engine, "s1", "Bench store")
        campaign_setup.add_campaign(self.engine, made.campaign, made.key, plan_seed=made.plan_seed)
        self.campaign = made.campaign
        self.cipher = CampaignCipher.issuer(made.campaign)
        campaign_setup.mint_codes(self.engine, "bench", issued, folder / "codes.csv")

    def device(self, url: str, name: str) -> Path:
        token = enrollment.enroll_device(self.engine, "s1", name)["token"]
        path = self.folder / f"{name}.db"
        enroll(path, url, token)
        return path


def fill_ledger(path: Path, cipher: CampaignCipher, serials: range) -> None:
    """Pending redemptions written as the terminal writes them, in one transaction (fast)."""
    ledger = Ledger(path)
    device = ledger.device()
    tiers = [t.name for t in cipher.campaign.tiers]
    with ledger.write() as conn:
        for serial in serials:
            payload = {"code": cipher.encode(serial), "campaign": cipher.campaign.id, "serial": serial,
                       "tier": tiers[cipher.plan.tier_of(serial)], "value": 0.0, "online": False, "context": {}}  # fmt: skip
            ledger.append(conn, device, "redeem", payload, offline=1, tier=payload["tier"])
    ledger.close()


def raw_baseline(db: str, rows: list[tuple[Any, ...]]) -> float:
    """Rows per second of a bare batched INSERT ... ON CONFLICT DO NOTHING, 500 rows a batch."""
    sql = "INSERT INTO bench_raw VALUES ({}) ON CONFLICT DO NOTHING"
    began = time.perf_counter()
    if db.startswith("sqlite"):
        conn = sqlite3.connect(db.split("///", 1)[1], isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("DROP TABLE IF EXISTS bench_raw")
        conn.execute(
            "CREATE TABLE bench_raw (id TEXT PRIMARY KEY, device TEXT, seq INTEGER, payload TEXT)"
        )
        began = time.perf_counter()
        for i in range(0, len(rows), 500):
            conn.execute("BEGIN")
            conn.executemany(sql.format("?, ?, ?, ?"), rows[i : i + 500])
            conn.execute("COMMIT")
        conn.close()
    else:
        with psycopg.connect(db, autocommit=True) as pg:
            pg.execute("DROP TABLE IF EXISTS bench_raw")
            pg.execute(
                "CREATE TABLE bench_raw (id TEXT PRIMARY KEY, device TEXT, seq BIGINT, payload TEXT)"
            )
            began = time.perf_counter()
            for i in range(0, len(rows), 500):
                with pg.transaction(), pg.cursor() as cur:
                    cur.executemany(sql.format("%s, %s, %s, %s"), rows[i : i + 500])
    return len(rows) / (time.perf_counter() - began)


@dataclass(frozen=True)
class Ingested:
    together: float  # events/s, DEVICES pushing at once
    ratio: float  # to the raw INSERT measured right after the same round
    baseline: float  # raw INSERT rows/s
    alone: float  # events/s, one device
    alone_ratio: float
    claim_ms: float  # online claim p50
    cpu: Split  # CPU microseconds per event, DEVICES at once


def ingest(db: str, folder: Path) -> Ingested:
    """The machine is noisy: each round's baseline is measured right after it, and the median
    round is reported."""
    setup = Setup(db, folder, (ROUNDS + 1) * INGEST_EVENTS + 1000)
    share = INGEST_EVENTS // DEVICES
    with server_process(db, workers=WORKERS) as url:

        def tills(count: int, first: int, each: int) -> list[Ledger]:
            made = []
            for k in range(count):
                path = setup.device(url, f"till-{first + k * each}")
                fill_ledger(path, setup.cipher, range(first + k * each, first + (k + 1) * each))
                made.append(Ledger(path))
            return made

        def measured(ledgers: list[Ledger]) -> tuple[float, float, float, Split]:
            work = _load(ledgers)
            meter = CpuMeter(_backends(db))
            meter.start()
            rate = _fire(work)
            cpu = meter.stop().per_event_us(sum(n for _, _, n in work))
            rows = [(e["event_id"] + "x", "d", e["seq"], json.dumps(e["payload"]))
                    for ledger in ledgers for e in _outgoing(ledger)]  # fmt: skip
            base = raw_baseline(db, rows)
            return rate, rate / base, base, cpu

        # claims first, on a quiet server, before the tills' ledgers are written: a till's online
        # redemption, not one while this machine's disk is busy with the load generator's files
        os.sync()  # what earlier benchmarks wrote must not be flushed during these commits
        # six tills, 50 claims each: one till may claim at most 60 a minute (ServerSettings)
        claimers = [Ledger(setup.device(url, f"claimer-{i}")) for i in range(6)]
        clients = [client_for(ledger) for ledger in claimers]
        times = []
        first = (ROUNDS + 1) * INGEST_EVENTS
        for k, serial in enumerate(range(first, first + 300)):
            request = ClaimRequest(
                event_id=chain.uuid7(),
                campaign="bench",
                serial=serial,
                code=setup.cipher.encode(serial),
            )
            t = time.perf_counter()
            clients[k % len(clients)].claim(request, 2.0)
            times.append((time.perf_counter() - t) * 1000)
        for ledger in claimers:
            ledger.close()
        rounds = [tills(DEVICES, r * INGEST_EVENTS, share) for r in range(ROUNDS)]
        single = tills(1, ROUNDS * INGEST_EVENTS, INGEST_EVENTS)
        results = sorted((measured(ledgers) for ledgers in rounds), key=lambda r: r[0])
        together, ratio, base, cpu = results[len(results) // 2]
        alone, alone_ratio, _, _ = measured(single)
        for ledger in [*single, *(ledger for ledgers in rounds for ledger in ledgers)]:
            ledger.close()
    setup.engine.dispose()
    return Ingested(together, ratio, base, alone, alone_ratio, statistics.median(times), cpu)


def _backends(db: str) -> Callable[[], list[int]]:
    """The database's own processes serving `db`: PostgreSQL's backends; SQLite has none."""
    if db.startswith("sqlite"):
        return list

    def pids() -> list[int]:
        with psycopg.connect(db, autocommit=True) as conn:
            query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            return [pid for (pid,) in conn.execute(query) if pid != conn.info.backend_pid]

    return pids


Load = list[tuple[SyncClient, list[bytes], int]]


def _load(ledgers: list[Ledger]) -> Load:
    """Each ledger's outbox as push bodies, encoded and compressed ahead, as a load generator
    does: the server's capacity is measured, not the generator's."""
    work = []
    for ledger in ledgers:
        events = _outgoing(ledger)
        bodies = [
            json.dumps({"events": events[i : i + protocol.MAX_BATCH]}, separators=(",", ":")).encode()
            for i in range(0, len(events), protocol.MAX_BATCH)
        ]  # fmt: skip
        transport = _Precompressed(ledger.device().server_url, bodies)
        work.append((client_for(ledger, transport), bodies, len(events)))
    return work


def _fire(work: Load) -> float:
    """Events/s while every client sends its bodies; signing, sending and checking each signed
    answer are timed."""

    def push_all(client: SyncClient, bodies: list[bytes]) -> None:
        for body in bodies:
            answer = client.push_body(body)
            assert all(v.verdict == "accepted" for v in answer.verdicts), answer.verdicts[0]

    began = time.perf_counter()
    with ThreadPoolExecutor(len(work)) as pool:
        for done in [pool.submit(push_all, client, bodies) for client, bodies, _ in work]:
            done.result()
    return sum(n for _, _, n in work) / (time.perf_counter() - began)


class _Precompressed(HttpTransport):
    """HTTP as a device sends it, with the gzip of each known body made ahead of time."""

    def __init__(self, base_url: str, bodies: list[bytes]) -> None:
        super().__init__(base_url)
        self.packed = {id(body): HttpTransport.compress(self, body) for body in bodies}

    def compress(self, body: bytes) -> bytes:
        return self.packed.get(id(body)) or super().compress(body)


def _outgoing(ledger: Ledger) -> list[dict[str, Any]]:
    return outbox.outgoing(ledger, 10**9)


def pull_and_catch_up(folder: Path) -> tuple[float, float, float, float]:
    """(pull of 100,000 codes s, catch-up of 100,000 events s, idle cycle ms, idle CPU %)."""
    folder = folder / "pull"
    folder.mkdir()
    db = f"sqlite:///{folder / 'pull.db'}"
    setup = Setup(db, folder, CATCH_UP + PULL_CODES)
    with server_process(db) as url:
        reader = setup.device(url, "reader")
        writer = setup.device(url, "writer")
        with setup.engine.begin() as conn:  # 100,000 codes redeemed by another device
            keys = [("bench", s) for s in range(CATCH_UP, CATCH_UP + PULL_CODES)]
            for i in range(0, len(keys), 500):
                feed.redeemed(conn, "someone-else", keys[i : i + 500], time.time())
        ledger = Ledger(reader)
        began = time.perf_counter()
        report = run_cycle(ledger, client_for(ledger))
        pull_s = time.perf_counter() - began
        assert report.pulled.get("redeemed") == PULL_CODES, report
        idle = []
        for _ in range(20):
            t = time.perf_counter()
            run_cycle(ledger, client_for(ledger))
            idle.append((time.perf_counter() - t) * 1000)
        cpu_share = _idle_cpu(ledger)
        ledger.close()
        fill_ledger(writer, setup.cipher, range(CATCH_UP))
        ledger = Ledger(writer)
        began = time.perf_counter()
        report = run_cycle(ledger, client_for(ledger))
        catch_up_s = time.perf_counter() - began
        assert report.ok and report.pushed.get("accepted") == CATCH_UP, report
        ledger.close()
    setup.engine.dispose()
    return pull_s, catch_up_s, statistics.median(idle), cpu_share


def _idle_cpu(ledger: Ledger) -> float:
    from sync.scheduler import ScheduleSettings, SyncScheduler

    scheduler = SyncScheduler(
        ledger, client_for(ledger), ScheduleSettings(interval_s=30, jitter_s=3)
    )
    scheduler.start()
    scheduler.wait_for_cycle(10)
    cpu, wall = time.process_time(), time.monotonic()
    time.sleep(5)
    share = (time.process_time() - cpu) / (time.monotonic() - wall) * 100
    scheduler.stop()
    return share


def _drop_postgres(url: str) -> None:
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def _fresh_postgres() -> str | None:
    try:
        name = f"instore_bench_{os.getpid()}"
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        return POSTGRES.rsplit("/", 1)[0] + "/" + name
    except psycopg.Error:
        return None


def _ingest_rows(name: str, got: Ingested, target: int) -> list[Row]:
    ratio = f"{got.ratio:.2f} of raw INSERT ({got.baseline:,.0f} rows/s"
    if name == "SQLite":  # the raw INSERT runs in this process: no network, no HTTP, one table
        ratio, met = ratio + " in this process); the 0.4 target is PostgreSQL's", True
    else:
        ratio, met = ratio + "); target >= 0.4", got.ratio >= 0.4
    return [
        Row(
            f"ingest over HTTP, {name}, {DEVICES} devices at once (events/s)",
            f"{got.together:,.0f}", f">= {target:,}", got.together >= target and met, ratio,
        ),
        Row("  one device alone (events/s)", f"{got.alone:,.0f}", "-", None,
            f"{got.alone_ratio:.2f} of raw INSERT"),
        _cpu_row(name, got.cpu, target),
        Row(f"online claim over HTTP, {name}, p50 (ms)", f"{got.claim_ms:.2f}", "<= 5",
            got.claim_ms <= 5),
    ]  # fmt: skip


def _cpu_row(name: str, cpu: Split, target: int) -> Row:
    """Server, database and load generator share this machine's cores: the sum per event caps
    the figure, and the largest part is the one to make cheaper."""
    cores = os.cpu_count() or 1
    if name == "SQLite":  # inside the server's processes
        server = f"server with SQLite {cpu.server:.0f}"
    else:
        server = f"server {cpu.server:.0f} + {name} {cpu.database:.0f}"
    parts = f"{server} + load generator {cpu.generator:.0f}"
    return Row(
        "  CPU per event, all processes (µs)", f"{cpu.total:.0f}", "-", None,
        f"{parts}; {target:,}/s on {cores} cores leaves {cores * 1e6 / target:.0f}",
    )  # fmt: skip


def run() -> None:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        got = ingest(f"sqlite:///{folder / 'ingest.db'}", folder)
        print(f"  (ingest on SQLite: {got.together:,.0f} events/s)", flush=True)
        rows += _ingest_rows("SQLite", got, 20_000)
        pg = _fresh_postgres()
        if pg is not None:
            sub = folder / "pg"
            sub.mkdir()
            rows += _ingest_rows("PostgreSQL", ingest(pg, sub), 30_000)
            _drop_postgres(pg)
        pull_s, catch_up_s, idle_ms, cpu = pull_and_catch_up(folder)
        rows.append(Row("pull of 100,000 redeemed codes (s)", f"{pull_s:.2f}", "<= 1", pull_s <= 1))
        rows.append(
            Row(
                "catch-up of 100,000 pending events (s)",
                f"{catch_up_s:.1f}",
                "<= 15",
                catch_up_s <= 15,
            )
        )
        rows.append(
            Row("sync cycle with nothing to move (ms)", f"{idle_ms:.1f}", "<= 20", idle_ms <= 20)
        )
        rows.append(Row("scheduler while idle (% of a core)", f"{cpu:.2f}", "< 1", cpu < 1))
    print_table(
        "server_stub/ and sync/",
        "raw batched INSERT ... ON CONFLICT DO NOTHING, same rows, same database",
        rows,
    )
