"""play/: shoppers entering codes at /play/ on PostgreSQL, the server as `instore server
--workers 2` in its own process (issue 25's target: 300 codes/s sustained, with a p95 server
time of 100 ms or less).

A campaign with a claim prize, a voucher prize (its pool loaded) and a sticker, and SHOPPERS
phones signed in: OVER_HTTP of them as a phone does (the page, the number, the one-time password
read from the file SMS gateway's folder), each from an address of its own in X-Forwarded-For,
the server trusting loopback as its proxy (one address may ask for 20 passwords an hour); the
others through the engine (visits.confirm), their cookie and CSRF token set as the page would.
CLIENTS threads, each with its share of the shoppers, post distinct valid codes with each
shopper's cookie and the CSRF token of its last page:

- paced, the target's run: a code due every 1/300 s for PACED_S seconds, whether or not the last
  was answered, as many shoppers' phones send them, each shopper entering a few (about 7, so a
  page lists a few). Its figures: the codes answered per second, and the p95 of the server's
  time for them;
- back to back: CLIENTS shoppers, one a client, each sending its next code when its last is
  answered, their lists growing to about 50 (the page's longest): the most the server takes
  in, and how long CLIENTS requests at once queue; then the page of those shoppers.

The server time is the server's own: the line it logs per request (request_layers.RequestTimer,
the same time /metrics' histogram sees, whose buckets are too coarse for a p95). The baseline is
GET /v1/health from the same clients in the same run (the bare HTTP path). The machine's cores
are shared by the clients, the server and PostgreSQL (and whatever else runs): the CPU each
code entry cost them says what cores of their own would take. (PostgreSQL's share counts the
backends still open at the end: one the pool closed during a phase takes its share with it.)
"""

from __future__ import annotations

import csv
import os
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.cpu_time import CpuMeter, Split
from bench.play_shopper import Shopper
from bench.report import Row, print_table
from bench.sync_bench import POSTGRES, _backends, _drop_postgres, _fresh_postgres
from codes import campaign as campaign_file
from codes.campaign import Tier
from server_stub.catalog import campaign_setup
from server_stub.database.connection import migrate, open_engine
from server_stub.database.schema import WEB_DEVICE
from server_stub.play import visits
from server_stub.play.pages import SHOWN_CODES
from server_stub.prizes import vouchers
from tests.live import ServerProcess

TIERS = (
    Tier("gold", 1, 500.0, "Gold coin", every=100, kind="claim", claim_days=30),
    Tier("music", 10, 5.0, "Music subscription, 3 months", every=100),  # the voucher prize
    Tier("sticker", None, 0.0, "Sticker"),
)
ISSUED = 20_000  # the paced run takes 4,500; the fastest run takes what it can in SATURATED_S
VOUCHERS = 3_000  # the music tier is a tenth of ISSUED: the pool never runs dry
SHOPPERS = 640  # about 7 codes each in the paced run, as a campaign's many shoppers enter a few
OVER_HTTP = 64  # of them signed in as a phone does; the others through the engine (visits.confirm)
CLIENTS = 32  # threads, each with its share of the shoppers
TARGET_RATE = 300  # codes/s
TARGET_P95_MS = 100.0
PACED_S = 15.0
SATURATED_S = 8.0
BASELINE_S = 4.0
_LOGGED = re.compile(r" INFO (GET|POST) (\S+) (\d{3}) ([\d.]+) ms ")


def _phone(i: int) -> str:
    return f"+9198{i:04d}4321"  # a number prefix of its own each: no pumping limit is reached


def _setup(db: str, folder: Path) -> list[str]:
    """The campaign, its issued codes and the voucher pool; the codes as printed, in order."""
    made = campaign_file.create(folder / "c.toml", "bench", "HV", TIERS, capacity=10**6)
    engine = open_engine(db)
    migrate(engine)
    campaign_setup.add_campaign(engine, made.campaign, made.key, plan_seed=made.plan_seed)
    campaign_setup.mint_codes(engine, "bench", ISSUED, folder / "codes.csv")
    pool = folder / "vouchers.csv"
    pool.write_text("voucher\n" + "".join(f"MUSIC-{i:06d}-BENCH\n" for i in range(VOUCHERS)))
    vouchers.load(engine, "bench", "music", pool)
    engine.dispose()
    with (folder / "codes.csv").open(newline="") as f:
        return [row["code"] for row in csv.DictReader(f)]


@dataclass
class Phase:
    """What one phase's clients saw, and the server's logged times for its requests."""

    done: int = 0
    failed: list[str] = field(default_factory=list)
    client_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    late: int = 0  # paced: sent more than 100 ms after due (the clients were all waiting)
    won: int = 0
    vouchers: int = 0
    cpu: Split = field(default_factory=lambda: Split(0.0, 0.0, 0.0))  # CPU seconds
    server_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    def cpu_ms(self) -> Split:
        """CPU milliseconds per request: the server, PostgreSQL, these clients."""
        cpu = self.cpu
        return Split(*(s / self.done * 1000 for s in (cpu.server, cpu.database, cpu.generator)))


One = Callable[["Shopper", Phase], str | None]  # "" right, else what was wrong; None: no more


def _crowd(shoppers: list[Shopper], one: One, seconds: float, rate: float | None,
           meter: CpuMeter) -> Phase:  # fmt: skip
    """CLIENTS threads, each taking its share of the shoppers in turn, for `seconds`: with `rate`, a
    request due every 1/rate s (a client sends it when due, or at once when late); without,
    each client's next as soon as its last is answered. Nothing is sent after `seconds`."""
    phase, lock, turns = Phase(), threading.Lock(), iter(range(10**9))
    began = time.perf_counter() + 0.05

    def client(mine: list[Shopper]) -> None:
        for turn in range(10**9):
            with lock:
                n = next(turns)
            now = time.perf_counter()
            due = began + n / rate if rate else now
            if due >= began + seconds or now >= began + seconds:  # behind: what was done counts
                return
            time.sleep(max(0.0, due - time.perf_counter()))
            sent = time.perf_counter()
            wrong = one(mine[turn % len(mine)], phase)
            if wrong is None:
                return
            with lock:
                phase.done += 1
                phase.client_ms.append((time.perf_counter() - sent) * 1000)
                phase.late += sent - due > 0.1
                if wrong:
                    phase.failed.append(wrong)

    threads = [
        threading.Thread(target=client, args=(shoppers[i::CLIENTS],)) for i in range(CLIENTS)
    ]
    meter.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.seconds = time.perf_counter() - began
    phase.cpu = meter.stop()
    return phase


def _enter(codes: Iterator[str]) -> One:
    lock = threading.Lock()

    def one(shopper: Shopper, phase: Phase) -> str | None:
        with lock:
            code = next(codes, None)
        if code is None:
            return None
        answer = shopper.post(code=code)
        if answer.status != 200 or 'class="result win"' not in answer.text:
            return f"{code}: {answer.status} {answer.text[:300]!r}"
        shopper.entered += 1
        with lock:
            phase.won += 1
            phase.vouchers += 'class="voucher"' in answer.text
        return ""

    return one


def _fetch(path: str, must: str) -> One:
    def one(shopper: Shopper, phase: Phase) -> str | None:
        answer = shopper.get(path)
        ok = answer.status == 200 and must in answer.text
        return "" if ok else f"{path}: {answer.status} {answer.text[:300]!r}"

    return one


def _server_ms(log: Path, start: int, method: str, path: str) -> list[float]:
    """Milliseconds the server logged for each such request from an offset of its log on."""
    with log.open("rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    return [
        float(m.group(4))
        for m in _LOGGED.finditer(text)
        if m.group(1) == method and m.group(2) == path
    ]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


@dataclass(frozen=True)
class Measured:
    health: Phase
    paced: Phase
    fastest: Phase
    page: Phase
    listed: float  # codes the heavy shoppers' pages listed, on average, at the end
    recorded: int  # the web's redemptions in the database afterwards


def _sign_in(shoppers: list[Shopper], db: str, sms: Path) -> None:
    """The first OVER_HTTP as a phone does, at once; the others through the engine."""
    signing = [threading.Thread(target=s.sign_in, args=(sms,)) for s in shoppers[:OVER_HTTP]]
    for thread in signing:
        thread.start()
    for thread in signing:
        thread.join()
    assert all('name="code"' in s.page for s in shoppers[:OVER_HTTP]), "a sign-in failed"
    engine = open_engine(db)
    for shopper in shoppers[OVER_HTTP:]:
        shopper.signed_in(visits.confirm(engine, visits.start(engine), shopper.phone))
    engine.dispose()


def measure(db: str, folder: Path) -> Measured:
    codes = iter(_setup(db, folder))
    sms = folder / "sms"
    sms.mkdir()
    server = ServerProcess(
        db, workers=2, args=["--sms-gateway", f"file://{sms}", "--trusted-proxy", "127.0.0.1",
                             "--documents-dir", str(folder / "documents")],
    )  # fmt: skip
    server.start()
    meter = CpuMeter(_backends(db))
    try:
        shoppers = [
            Shopper(server.port, _phone(i), f"10.9.{i // 250}.{i % 250 + 1}")
            for i in range(SHOPPERS)
        ]
        _sign_in(shoppers, db, sms)
        heavy = shoppers[:CLIENTS]  # one a client: their lists grow to about 50

        def phase(who: list[Shopper], one: One, seconds: float, rate: float | None,
                  method: str, path: str) -> Phase:  # fmt: skip
            start = server.log.stat().st_size
            got = _crowd(who, one, seconds, rate, meter)
            time.sleep(0.2)  # the last lines written
            got.server_ms = _server_ms(server.log, start, method, path)
            return got

        health = phase(heavy, _fetch("/v1/health", '"ok"'), BASELINE_S, None, "GET", "/v1/health")
        paced = phase(shoppers, _enter(codes), PACED_S, TARGET_RATE, "POST", "/play/")
        fastest = phase(heavy, _enter(codes), SATURATED_S, None, "POST", "/play/")
        page = phase(heavy, _fetch("/play/", 'name="code"'), BASELINE_S, None, "GET", "/play/")
    finally:
        server.stop()
        server.log.unlink(missing_ok=True)
    with psycopg.connect(db) as conn:
        row = conn.execute(
            "SELECT count(*) FROM events WHERE device_id = %s AND kind = 'redeem'", (WEB_DEVICE,)
        ).fetchone()
    listed = statistics.mean(min(s.entered, SHOWN_CODES) for s in heavy)
    return Measured(health, paced, fastest, page, listed, int(row[0]) if row else 0)


def _times(phase: Phase) -> str:
    return (
        f"server p50 / p95 {statistics.median(phase.server_ms):.1f} / {_p95(phase.server_ms):.1f}"
        f" ms, client p95 {_p95(phase.client_ms):.1f} ms"
    )


def _cpu(phase: Phase) -> str:
    ms = phase.cpu_ms()
    return (
        f"{ms.total:.2f} ms (server {ms.server:.2f} + PostgreSQL {ms.database:.2f} + clients"
        f" {ms.generator:.2f})"
    )


def _rows(got: Measured) -> list[Row]:
    paced, fastest, health = got.paced, got.fastest, got.health
    p95 = _p95(paced.server_ms)
    cores = os.cpu_count() or 1
    return [
        Row(f"codes entered at /play/, one due every 1/{TARGET_RATE} s for {PACED_S:.0f} s by"
            f" {SHOPPERS} shoppers (codes/s)", f"{paced.rate:,.0f}", f">= {TARGET_RATE}",
            paced.rate >= TARGET_RATE * 0.98 and paced.late == 0,
            f"{paced.done:,} codes, each a win recorded ({paced.vouchers:,} with a voucher);"
            f" {paced.late:,} sent over 100 ms late for want of a free client"),
        Row("  server time per code entry, p95 (ms)", f"{p95:.1f}", f"<= {TARGET_P95_MS:.0f}",
            p95 <= TARGET_P95_MS,
            f"{p95 / _p95(health.server_ms):.1f}x /v1/health's p95; p50"
            f" {statistics.median(paced.server_ms):.1f} ms, client p95 {_p95(paced.client_ms):.1f} ms"),
        Row("  CPU per code entry, all processes (ms)", f"{paced.cpu_ms().total:.2f}", "-", None,
            f"{_cpu(paced)}, PostgreSQL's only its backends open at the end; at that, {cores}"
            f" cores of their own would be full at about {cores * 1000 / paced.cpu_ms().total:,.0f}"
            f" codes/s; /v1/health's {_cpu(health)}"),
        Row(f"codes entered by {CLIENTS} shoppers back to back, lists growing to"
            f" {got.listed:.0f} (codes/s)", f"{fastest.rate:,.0f}", "-", None,
            f"{fastest.rate / health.rate:.2f} of /v1/health's requests/s; {_times(fastest)};"
            f" CPU {_cpu(fastest)}"),
        Row(f"  GET /play/ of those shoppers, {got.listed:.0f} codes listed (pages/s)",
            f"{got.page.rate:,.0f}", "-", None,
            f"{got.page.rate / health.rate:.2f} of /v1/health's requests/s; {_times(got.page)}"),
    ]  # fmt: skip


def run() -> None:
    load = os.getloadavg()[0]
    db = _fresh_postgres()
    if db is None:
        print("\nplay/: no PostgreSQL at INSTORE_TEST_POSTGRES, not measured")
        return
    try:
        with tempfile.TemporaryDirectory() as tmp:
            got = measure(db, Path(tmp))
    finally:
        _drop_postgres(db)
    phases = (got.health, got.paced, got.fastest, got.page)
    failed = [wrong for phase in phases for wrong in phase.failed]
    assert not failed, failed[:3]
    entered = got.paced.done + got.fastest.done
    assert got.recorded == entered == got.paced.won + got.fastest.won, (got.recorded, entered)
    print_table(
        f"play/ code entry (PostgreSQL, instore server --workers 2; {SHOPPERS} shoppers, {OVER_HTTP}"
        " of them signed in over HTTP with a one-time password, the others through the engine)",
        f"GET /v1/health from the same {CLIENTS} clients as fast as answered: {got.health.rate:,.0f}"
        f" requests/s, {_times(got.health)} ({os.cpu_count()} cores shared by the clients, the"
        f" server and PostgreSQL at {POSTGRES.rsplit('@', 1)[-1]}; load average {load:.1f} before"
        " the run)",
        _rows(got),
    )


if __name__ == "__main__":
    run()
