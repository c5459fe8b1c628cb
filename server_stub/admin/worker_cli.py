"""`instore worker`: send the messages to winners apart from the server, for a chain that runs
its web servers without a worker (`instore server --no-worker`) or on machines of their own.
Also what `instore server` shares with it: the options saying where email goes and whom it is
from, and the worker they make."""

from __future__ import annotations

import argparse
import logging
import signal
import socket
from types import FrameType

from sqlalchemy import Engine

from codes.common.errors import InstoreError
from server_stub.database.connection import (
    DEFAULT_URL,
    migrate,
    missing_sqlite_file,
    open_engine,
    pending_migrations,
)
from server_stub.notifications.email import (
    PASSWORD_VARIABLE,
    USER_VARIABLE,
    SmtpSender,
    check_sender,
    parse_server,
)
from server_stub.notifications.sms import TOKEN_VARIABLE, gateway_for
from server_stub.notifications.worker import Worker
from server_stub.request_layers import configure_logging

LOG = logging.getLogger("instore.server.outbox")


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Send the messages to winners that wait in the server's outbox: each prize claim's news"
        " (received, being checked, approved or not, on its way, delivered) by SMS and email, and"
        " the vouchers won on the web by SMS. `instore server` does this itself unless started"
        " with --no-worker; run this instead where the web servers should not. Several may run"
        " on PostgreSQL, each taking messages the others have not; on SQLite one sends and any"
        " other waits. Ctrl-C stops it after the message in hand."
    )
    parser.add_argument(
        "--db", default=DEFAULT_URL,
        help=f"the server's database: a SQLite file or postgresql://... (default {DEFAULT_URL})",
    )  # fmt: skip
    add_mail_options(parser)
    parser.add_argument(
        "--sms-gateway", default="", type=_sms_gateway, metavar="URL",
        help="where text messages go, as for instore server: file:///DIR writes each as a file"
        f" DIR/<id>.json, http(s)://... hands it to an SMS gateway with the token in ${TOKEN_VARIABLE}."
        " Without it text messages wait in the outbox",
    )  # fmt: skip
    parser.add_argument(
        "--log-level", choices=("debug", "info", "warning", "error"), default="info",
        help="info (default) says how many messages each round sent; warning only trouble",
    )  # fmt: skip
    parser.set_defaults(run=_run)


def add_mail_options(parser: argparse.ArgumentParser) -> None:
    """--smtp and --mail-from, for `instore server` and `instore worker` alike."""
    parser.add_argument(
        "--smtp", default="", type=_smtp, metavar="HOST:PORT",
        help="the mail server that takes emails to winners, e.g. mail.example.com:587; encrypted"
        " with STARTTLS whenever it offers it (port 465: TLS from the start), logged in to with"
        f" ${USER_VARIABLE} and ${PASSWORD_VARIABLE} when they are set. Without it emails wait in"
        " the outbox, and go once a server with --smtp sends them",
    )  # fmt: skip
    parser.add_argument(
        "--mail-from", default="", type=_mail_from, metavar="ADDRESS",
        help="whom emails to winners are from, e.g. 'Prize office <prizes@example.com>' (default"
        " noreply@ this machine's name; most mail servers want an address of your own domain)",
    )  # fmt: skip


def _smtp(text: str) -> str:
    if not text.strip():
        return ""  # none: emails wait
    try:
        parse_server(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _mail_from(text: str) -> str:
    if not text.strip():
        return ""  # the default sender
    try:
        return check_sender(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _sms_gateway(text: str) -> str:
    try:
        gateway_for(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    missing = missing_sqlite_file(args.db)
    if missing is not None:  # a typo in --db must not make an empty database and wait on it
        raise InstoreError(
            "no_database",
            f"there is no server database at {missing}; start instore server first, or run:"
            f" instore admin --db {args.db} migrate",
        )
    engine = open_engine(args.db)
    try:
        if pending_migrations(engine):
            migrate(engine)
        worker = worker_for(engine, args.smtp, args.mail_from, args.sms_gateway)

        def stop(signum: int, frame: FrameType | None) -> None:
            worker.stop.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for words in start_remarks(args.smtp, args.mail_from):
            LOG.info("%s", words)
        where = engine.url.render_as_string(hide_password=True)
        print(f"instore worker sending the outbox of {where}; Ctrl-C stops it", flush=True)
        worker.run()
    finally:
        engine.dispose()
    return 0


def default_sender() -> str:
    """Where email comes from without --mail-from: this machine's name (most mail servers want
    an address of the chain's own domain instead)."""
    return f"noreply@{socket.gethostname() or 'localhost'}"


def worker_for(engine: Engine, smtp: str, mail_from: str, sms_gateway: str) -> Worker:
    """The worker `instore server` and `instore worker` run, from their options: `smtp`
    HOST:PORT or "" (emails wait), `mail_from` or "" (default_sender), `sms_gateway` a URL as
    --sms-gateway takes it or "" (SMS wait)."""
    email = SmtpSender(*parse_server(smtp), mail_from or default_sender()) if smtp else None
    return Worker(engine, email, gateway_for(sms_gateway) if sms_gateway else None)


def start_remarks(smtp: str, mail_from: str) -> list[str]:
    """What the person starting a worker should know (said at info level, one line each)."""
    if not smtp:
        return ["no mail server is set (--smtp HOST:PORT): emails to winners wait in the outbox"
                " until one is"]  # fmt: skip
    if not mail_from:
        return [f"no --mail-from: emails to winners go from {default_sender()}"]
    return []
