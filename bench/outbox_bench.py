"""notifications/: the outbox's worker emptying a full outbox of claim emails into a mail server
on loopback (aiosmtpd in a process of its own), as `instore server` runs it: each message taken
(FOR UPDATE SKIP LOCKED on PostgreSQL), sent and marked before the next, 200 to an SMTP
connection. Against smtplib alone sending the same emails over one connection with no
database, measured in the same run against the same server."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

from bench.report import Row, print_table
from bench.sync_bench import POSTGRES, _drop_postgres, _fresh_postgres
from server_stub.database.connection import migrate, open_engine, writing
from server_stub.database.schema import outbox
from server_stub.notifications.email import Email, SmtpSender, build
from server_stub.notifications.worker import Worker
from server_stub.prizes.outbox import render, status_link

EMAILS = 2000
TARGET = 200.0  # emails a second
SENDER = "Prizes <prizes@example.com>"
_SERVER = """
import signal, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()
"""


def _mail_server() -> tuple[subprocess.Popen[str], int]:
    with socket.socket() as s:  # a free port on loopback
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(port)], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    return server, port


def _emails() -> list[Email]:
    """Claim-received emails in Russian, each to its own winner, as the prize office writes."""
    made = []
    for i in range(EMAILS):
        number = f"CL-{i:08d}"
        values = {"number": number, "link": status_link("https://play.example.com", number)}
        texts = render("ru", "claim_received", values)
        made.append(Email(f"claim|{number}|received|email", f"winner{i}@example.com",
                          texts["subject"], texts["email"], "ru"))  # fmt: skip
    return made


def _fill(engine: Engine, emails: list[Email]) -> None:
    now = time.time()
    with writing(engine) as conn:
        conn.execute(outbox.delete())
        conn.execute(outbox.insert(), [
            {"key": e.key, "channel": "email", "to": e.to, "kind": "claim_received",
             "claim": e.key.split("|")[1], "lang": "ru", "subject": e.subject, "body": e.body,
             "state": "pending", "attempts": 0, "next_at": now + i * 1e-6, "created": now}
            for i, e in enumerate(emails)
        ])  # fmt: skip


def worker_rate(db: str, port: int, emails: list[Email]) -> float:
    """Emails a second the worker sends, the outbox full at the start."""
    engine = open_engine(db)
    migrate(engine)
    _fill(engine, emails)
    worker = Worker(engine, SmtpSender("127.0.0.1", port, SENDER), None)
    began = time.perf_counter()
    while worker.send_due().handled:
        pass
    took = time.perf_counter() - began
    worker.close()
    with engine.connect() as conn:
        sent = conn.execute(select(func.count()).where(outbox.c.state == "sent")).scalar_one()
    engine.dispose()
    assert sent == len(emails), sent
    return len(emails) / took


def smtplib_rate(port: int, emails: list[Email]) -> float:
    """The baseline: the same emails, built the same way, over one connection, no database."""
    smtp = smtplib.SMTP("127.0.0.1", port)
    smtp.ehlo()
    began = time.perf_counter()
    for e in emails:
        smtp.sendmail("prizes@example.com", [e.to], build(e, SENDER))
    took = time.perf_counter() - began
    smtp.quit()
    return len(emails) / took


def run() -> None:
    load = os.getloadavg()[0]
    emails = _emails()
    server, port = _mail_server()
    rows: list[Row] = []
    try:
        baseline = smtplib_rate(port, emails)
        with tempfile.TemporaryDirectory() as tmp:
            sqlite = worker_rate(f"sqlite:///{Path(tmp) / 'server.db'}", port, emails)
        rows.append(Row(f"emails sent from a full outbox of {EMAILS:,}, SQLite (emails/s)",
                        f"{sqlite:,.0f}", f">= {TARGET:.0f}/s", sqlite >= TARGET,
                        f"{sqlite / baseline:.2f} of smtplib alone"))  # fmt: skip
        db = _fresh_postgres()
        if db is None:
            rows.append(Row("  PostgreSQL", "not measured", "-", None, "no INSTORE_TEST_POSTGRES"))
        else:
            try:
                pg = worker_rate(db, port, emails)
            finally:
                _drop_postgres(db)
            rows.append(Row(f"emails sent from a full outbox of {EMAILS:,}, PostgreSQL (emails/s)",
                            f"{pg:,.0f}", f">= {TARGET:.0f}/s", pg >= TARGET,
                            f"{pg / baseline:.2f} of smtplib alone"))  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)
    print_table(
        "notifications/ outbox worker (email to aiosmtpd on loopback, a process of its own)",
        f"smtplib sending the same {EMAILS:,} emails over one connection, no database:"
        f" {baseline:,.0f} emails/s ({os.cpu_count()} cores shared with the mail server and"
        f" PostgreSQL at {POSTGRES.rsplit('@', 1)[-1]}; load average {load:.1f} before the run)",
        rows,
    )


if __name__ == "__main__":
    run()
