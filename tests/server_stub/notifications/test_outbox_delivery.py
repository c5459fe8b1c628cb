"""Messages that are never lost nor doubled, against a real mail server on loopback: the mail
server down for 30 s and back, `instore worker` killed with kill -9 in the middle of a batch
and started again (SQLite and PostgreSQL), and two workers sharing PostgreSQL's outbox.

Each email is counted by its Message-ID, which comes from its outbox key: "once" means one
Message-ID per change. A worker killed after the mail server took a message and before it was
marked sends that one message again, with the same Message-ID (docs/notifications.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from server_stub.database.connection import migrate, open_engine
from server_stub.database.schema import outbox
from server_stub.notifications.email import Email, SmtpSender, message_id, parse_server
from server_stub.notifications.worker import Worker
from tests.server_stub.notifications.mailbox import Mailbox
from tests.server_stub.notifications.outbox_rows import queue

ROOT = Path(__file__).resolve().parents[3]
SENDER = "prizes@example.com"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def server_engine(server_url: str) -> Iterator[Engine]:
    """A migrated server database, SQLite or this run's PostgreSQL."""
    engine = open_engine(server_url)
    migrate(engine)
    yield engine
    engine.dispose()


def ids_of(keys: list[str]) -> set[str]:
    return {message_id(k, "example.com") for k in keys}


def states(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(conn.execute(select(outbox.c.state)).scalars())


def test_the_mail_server_down_for_30_s_then_back_every_message_arrives_exactly_once(
    engine: Engine, mailbox: Mailbox
) -> None:
    written = queue(engine, 60, "email")
    went_down: list[float] = []

    def going_down() -> str | None:  # after 25 messages, between two: it says so and stops
        if len(mailbox.received) >= 25 and not went_down:
            went_down.append(time.monotonic())
            threading.Thread(target=mailbox.stop).start()
            return "421 4.3.2 shutting down"
        return None

    mailbox.on_mail = going_down
    worker = Worker(engine, SmtpSender(*parse_server(mailbox.address), SENDER, timeout_s=5),
                    None, poll_s=0.2)  # fmt: skip
    running = worker.start()
    try:
        _until(lambda: bool(went_down), 30)
        more = queue(engine, 20, "email", first=60)  # news that comes while it is down
        time.sleep(max(0.0, went_down[0] + 30 - time.monotonic()))
        assert len(mailbox.message_ids()) == 25 and states(engine)["pending"] == 55
        mailbox.on_mail = None
        mailbox.start()
        back = time.monotonic()
        mailbox.wait_for(80, timeout_s=90)
        took = time.monotonic() - back
    finally:
        worker.stop.set()
        running.join(15)
    arrived = mailbox.message_ids()
    assert set(arrived) == ids_of(written + more)
    assert set(arrived.values()) == {1}  # none twice
    assert took <= 60, f"the last message left {took:.0f} s after the mail server came back"
    assert states(engine) == {"sent": 80}


@pytest.mark.parametrize("server_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)  # fmt: skip
def test_instore_worker_killed_with_kill_9_mid_batch_loses_nothing_and_repeats_one_message_alike(
    server_engine: Engine, server_url: str, mailbox: Mailbox, tmp_path: Path
) -> None:
    written = queue(server_engine, 120, "email")
    mailbox.delay_s = 0.005  # a batch takes a while: the kill lands inside it
    worker: list[subprocess.Popen[bytes]] = []
    killed: list[str] = []

    def kill_it(got: object) -> None:
        # the 40th message is in: the worker dies before the mail server says 250
        if len(mailbox.received) == 40 and not killed:
            killed.append(mailbox.received[-1].message_id)
            os.kill(worker[0].pid, signal.SIGKILL)

    mailbox.on_message = kill_it
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "instore_cli", "worker", "--db", server_url,
               "--smtp", mailbox.address, "--mail-from", SENDER]  # fmt: skip
    with log.open("ab") as out:
        worker.append(subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=out))
        assert worker[0].wait(60) == -signal.SIGKILL, log.read_text()
        assert killed and len(mailbox.message_ids()) == 40
        again = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=out)
    try:
        mailbox.wait_for(120, timeout_s=60)
    finally:
        again.send_signal(signal.SIGTERM)  # stops cleanly, after the message in hand
        assert again.wait(30) == 0, log.read_text()
    arrived = mailbox.message_ids()
    assert set(arrived) == ids_of(written)  # none lost
    assert arrived[killed[0]] == 2  # the one in flight, sent again as the same message
    assert sum(arrived.values()) == 121
    assert states(server_engine) == {"sent": 120}
    assert "instore worker sending the outbox" in log.read_text()
    assert "outbox worker stopped" in log.read_text()


@pytest.mark.postgres
@pytest.mark.parametrize("server_url", ["postgres"], indirect=True)
def test_two_workers_on_postgresql_never_send_the_same_message(
    server_engine: Engine, mailbox: Mailbox
) -> None:
    written = queue(server_engine, 300, "email")
    mailbox.delay_s = 0.002
    counted: list[Counter[str]] = [Counter(), Counter()]

    class Counting(SmtpSender):
        def __init__(self, which: int) -> None:
            super().__init__(*parse_server(mailbox.address), SENDER, timeout_s=5)
            self.which = which

        def send(self, message: Email) -> None:
            super().send(message)
            counted[self.which][message.key] += 1

    workers = [Worker(server_engine, Counting(i), None, batch=50, poll_s=0.1) for i in (0, 1)]
    threads = [w.start() for w in workers]
    try:
        mailbox.wait_for(300, timeout_s=60)
    finally:
        for w in workers:
            w.stop.set()
        for t in threads:
            t.join(15)
    assert set(mailbox.message_ids()) == ids_of(written)
    assert set(mailbox.message_ids().values()) == {1}
    assert all(counted), "each worker took some of the messages"
    assert not set(counted[0]) & set(counted[1])
    assert states(server_engine) == {"sent": 300}


def _until(condition: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
