"""play/otp: a one-time password checked (the newest code read, its try counted in one atomic
statement, its peppered hash compared, the code marked used, all in one durable transaction) and
one sent (four limits counted, the code stored, the text handed over), on a SQLite file; against
a one-row update through the server's own writer, measured in the same run."""

from __future__ import annotations

import contextlib
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, update

from bench.report import Row, print_table
from server_stub.database.connection import migrate, open_engine, writing
from server_stub.database.schema import meta
from server_stub.errors import ApiError
from server_stub.notifications.sms import Sms
from server_stub.phones import otp

CHECKS = 200
SIX = re.compile(r"\d{6}")


class Inbox:
    """A gateway that keeps each text in memory: the bench reads its codes from here."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def send(self, message: Sms) -> None:
        found = SIX.search(message.text)
        assert found is not None
        self.codes[message.to] = found.group()


def _ms(work: Callable[[int], object], count: int) -> list[float]:
    times = []
    for i in range(count):
        began = time.perf_counter()
        work(i)
        times.append((time.perf_counter() - began) * 1000)
    return times


def _p50_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def _phone(i: int) -> str:
    return f"+9198{i:04d}4321"  # a prefix of its own each, so no pumping limit is reached


def measure(engine: Engine) -> dict[str, tuple[float, float]]:
    def one_row(i: int) -> None:
        with writing(engine) as conn:
            conn.execute(update(meta).where(meta.c.key == "admin_token").values(key="admin_token"))

    inbox = Inbox()

    def send(i: int) -> None:
        otp.send_otp(engine, inbox, _phone(i), "play", source=f"10.0.{i // 250}.{i % 250}")

    def check(i: int) -> None:
        otp.check_otp(engine, _phone(i), "play", inbox.codes[_phone(i)])

    def wrong(i: int) -> None:
        with contextlib.suppress(ApiError):
            otp.check_otp(engine, _phone(i), "play", "12345")  # five digits: never right

    return {
        "baseline": _p50_p95(_ms(one_row, CHECKS)),
        "send": _p50_p95(_ms(send, CHECKS)),
        "wrong": _p50_p95(_ms(wrong, CHECKS)),  # one try of each code's five
        "check": _p50_p95(_ms(check, CHECKS)),
    }


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(f"sqlite:///{Path(tmp) / 'server.db'}")
        migrate(engine)
        got = measure(engine)
        engine.dispose()
    base50, base95 = got["baseline"]
    check50, check95 = got["check"]
    wrong50, wrong95 = got["wrong"]
    send50, send95 = got["send"]
    rows = [
        Row(f"one-time password checked ({CHECKS}, right): p95", f"{check95:.2f} ms", "<= 20 ms",
            check95 <= 20, f"{check95 / base95:.1f}x a one-row update (p50 {check50:.2f} ms)"),
        Row("one-time password checked, wrong: p95", f"{wrong95:.2f} ms", "report", None,
            f"{wrong95 / base95:.1f}x a one-row update (p50 {wrong50:.2f} ms)"),
        Row("one-time password sent (limits, store, text): p95", f"{send95:.2f} ms", "report",
            None, f"{send95 / base95:.1f}x a one-row update (p50 {send50:.2f} ms)"),
    ]  # fmt: skip
    print_table(
        "play/ one-time passwords (SQLite file)",
        f"a one-row update through the server's writer, WAL + synchronous=FULL: p50"
        f" {base50:.2f} ms, p95 {base95:.2f} ms",
        rows,
    )


if __name__ == "__main__":
    run()
