"""`instore server`: run the central server (FastAPI on uvicorn)."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import Engine

from codes.common.cli import counted, whole_number
from server_stub.admin.worker_cli import add_mail_options, start_remarks, worker_for
from server_stub.database.connection import DEFAULT_URL, migrate, open_engine
from server_stub.loyalty import expiry
from server_stub.notifications.sms import gateway_for, start_warnings
from server_stub.prizes import retention
from server_stub.prizes.documents import store_for
from server_stub.prizes.outbox import set_public_url
from server_stub.settings import Network, ServerSettings, proxy_network

LOG = logging.getLogger("instore.server")


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the central server: devices enroll, push their events and pull what other devices"
        " did. The database schema is brought up to date on start. Members with a basic phone"
        " reach their points by USSD through a gateway company: give the gateway the address"
        " /ussd/callback?token=TOKEN and start the server with the same token in"
        " $INSTORE_USSD_TOKEN (without it, only this machine is answered there)."
    )
    parser.add_argument(
        "--db",
        default=DEFAULT_URL,
        help=f"database: a SQLite file or postgresql://... (default {DEFAULT_URL})",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only)",
    )
    parser.add_argument("--port", type=whole_number(1), default=8000, help="port (default 8000)")
    parser.add_argument(
        "--workers",
        type=whole_number(1),
        default=1,
        help="server processes sharing the port (default 1); one per CPU core takes in the most"
        " pushes when many devices sync at once",
    )
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="info",
        help="info (default) prints one line per request; warning prints only trouble",
    )
    parser.add_argument(
        "--header-timeout",
        type=whole_number(1),
        default=10,
        metavar="SECONDS",
        help="a client that takes longer than this to send a request's headers is disconnected"
        " (default 10): a few hundred such slow connections would otherwise keep the tills out",
    )
    parser.add_argument(
        "--metrics-token-file",
        metavar="FILE",
        help="/metrics (numbers for Prometheus) answers this machine only; with this file, whose"
        " first line is a token of 16 characters or more, it also answers whoever sends"
        " 'Authorization: Bearer TOKEN'",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        type=_proxy,
        metavar="ADDRESS",
        help="a proxy or load balancer in front of this server, e.g. 10.0.0.5 or 10.0.0.0/24"
        " (repeat for several). Only from these is X-Forwarded-For believed; from anyone else the"
        " connection's own address counts, so nobody can dodge the limit on wrong passwords and"
        " tokens by writing a different address into a header",
    )
    parser.add_argument(
        "--sms-gateway",
        default="",
        type=_gateway,
        metavar="URL",
        help="where text messages to shoppers go (one-time passwords, vouchers):"
        " file:///DIR writes each message as a file DIR/<id>.json for someone to read or pass on"
        " (the demo and tests read the one-time passwords there); http://... or https://..."
        " hands each message to an SMS gateway company's service with the token in"
        " $INSTORE_SMS_TOKEN, the same token its delivery reports to /v1/sms/report must carry."
        " Without it no message is sent, so shoppers cannot sign in at /play/",
    )
    parser.add_argument(
        "--public-url",
        default="",
        type=_public_url,
        metavar="URL",
        help="the address shoppers reach this server at, e.g. https://play.example.com; the links"
        " in QR codes and text messages start with it (default: paths only, for this machine)",
    )
    parser.add_argument(
        "--documents-dir",
        metavar="DIR",
        help="where the documents shoppers send with prize claims are kept (ID cards, invoices):"
        " a folder no web server serves, on a disk that is backed up (default: a folder beside"
        " the SQLite database, server.db.documents beside server.db; ./instore-documents with"
        " PostgreSQL)",
    )
    parser.add_argument(
        "--keep-documents",
        metavar="DAYS",
        type=whole_number(0),
        default=retention.KEEP_DAYS,
        help="delete a claim's documents (ID photos, invoices) this many days after the prize"
        f" was delivered or the claim last rejected; the claim and its history stay (default"
        f" {retention.KEEP_DAYS}; checked every hour; see docs/privacy.md)",
    )
    add_mail_options(parser)
    parser.add_argument(
        "--demo-phone",
        metavar="DIR",
        help="for `instore demo` only: show the texts in DIR/sms and the emails in DIR/mail on"
        " the dashboard's demo phone page (/dashboard/demo-phone), whole, to everyone signed in",
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="do not send the messages to winners (claim news, vouchers) from this server: for"
        " a chain that runs `instore worker` apart. By default one worker sends them from this"
        " server, however many --workers answer requests",
    )
    parser.add_argument(
        "--no-expiry",
        action="store_true",
        help="do not expire loyalty points or text members about points expiring soon from"
        " this server: for a chain that runs `instore admin points expire` on a schedule of its"
        f" own. By default this server does it every {int(expiry.RUN_EVERY_S // 60)} minutes,"
        " however many --workers answer requests",
    )
    parser.set_defaults(run=_serve)


def _proxy(text: str) -> Network:
    try:
        return proxy_network(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _gateway(text: str) -> str:
    try:
        gateway_for(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _public_url(text: str) -> str:
    if not text.strip():
        return ""  # paths only
    parsed = urlparse(text.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an address shoppers can open, e.g. https://play.example.com"
        )
    return text.strip().rstrip("/")


def port_taken(host: str, port: int) -> str:
    """Why the server could not listen at host:port ("" when it can): said before anything
    starts, where uvicorn would say it after the banner and exit 3."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((host, port))
    except PermissionError:
        return f"port {port} needs the administrator's rights"
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return f"port {port} on {host} is taken by another program"
        return f"cannot listen on {host} port {port} ({exc.strerror or exc})"
    return ""


def _serve(args: argparse.Namespace) -> int:
    from server_stub import header_timeout
    from server_stub.app import metrics_token
    from server_stub.request_layers import configure_logging

    configure_logging(args.log_level)
    taken = port_taken(args.host, args.port)
    if taken:
        print(f"instore server: {taken}; start it on another with --port N", file=sys.stderr)
        return 2
    # absolute, so every worker agrees; "" leaves the default to prizes/documents.py
    documents = str(Path(args.documents_dir).resolve()) if args.documents_dir else ""
    settings = ServerSettings(
        trusted_proxies=frozenset(args.trusted_proxy), sms_gateway=args.sms_gateway,
        public_url=args.public_url, documents_dir=documents,
        demo_phone_dir=str(Path(args.demo_phone).resolve()) if args.demo_phone else "",
    )  # fmt: skip
    for words in start_warnings(args.sms_gateway):
        LOG.warning("%s", words)
    token = metrics_token(args.metrics_token_file)  # a bad file is said now, not by each worker
    os.environ[header_timeout.VARIABLE] = str(args.header_timeout)
    engine = open_engine(args.db)
    migrate(engine)
    set_public_url(engine, args.public_url)  # the links in messages to winners start with it
    if not args.public_url:
        LOG.info("no --public-url: the links in messages to winners are paths only")
    # the documents are on this server's disk: the retention job runs here, worker or not
    store = store_for(settings, engine.url.render_as_string(hide_password=False))
    _, purging = retention.start_purging(engine, store, args.keep_documents)
    # one sweep per server, in this process (uvicorn's --workers are other processes): a sweep is
    # idempotent and takes its lots locked, so two servers on one database may both run it
    sweeping = None if args.no_expiry else expiry.start_sweeping(engine)[1]
    if args.no_expiry:
        LOG.info("--no-expiry: points expire when `instore admin points expire` runs")
    try:
        return _serve_with_worker(args, engine, token, settings)
    finally:
        purging.set()  # no run starts once the server has stopped
        if sweeping is not None:
            sweeping.set()


def _serve_with_worker(
    args: argparse.Namespace, engine: Engine, token: str | None, settings: ServerSettings
) -> int:
    if args.no_worker:
        LOG.info("--no-worker: messages to winners wait for `instore worker`")
        return _run_server(args, engine, token, settings)
    # one worker per server, in this process, whatever --workers says: on SQLite there must be
    # only one, and on PostgreSQL one per server is plenty (see notifications/worker.py)
    worker = worker_for(engine, args.smtp, args.mail_from, args.sms_gateway)
    for words in start_remarks(args.smtp, args.mail_from):
        LOG.info("%s", words)
    thread = worker.start()
    # uvicorn hands SIGTERM back once it has shut down: then the worker stops too, after the
    # message in hand, instead of the process ending under it
    signal.signal(signal.SIGTERM, lambda signum, frame: worker.stop.set())
    try:
        return _run_server(args, engine, token, settings)
    finally:
        worker.stop.set()  # the message in hand is finished first
        thread.join(30)


def _run_server(
    args: argparse.Namespace, engine: Engine, token: str | None, settings: ServerSettings
) -> int:
    import uvicorn

    from server_stub import header_timeout
    from server_stub.app import (
        DATABASE_VARIABLE,
        LOG_LEVEL_VARIABLE,
        METRICS_TOKEN_VARIABLE,
        create_app,
        tune_garbage_collector,
        tune_thread_switching,
    )
    from server_stub.device_api.service import SyncService

    print(
        f"instore server on http://{args.host}:{args.port} ({counted(args.workers, 'worker')}, database"
        f" {engine.url.render_as_string(hide_password=True)}); API described at"
        f" http://{args.host}:{args.port}/openapi.json; Ctrl-C stops it",
        flush=True,
    )
    # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from loopback (its
    # default --forwarded-allow-ips), whoever wrote it; --trusted-proxy decides that, in the app
    served = {"host": args.host, "port": args.port, "log_level": "warning", "log_config": None,
              "http": header_timeout.HeaderDeadline, "proxy_headers": False}  # fmt: skip
    if args.workers == 1:
        app = create_app(engine, SyncService(engine, settings), metrics_token=token)
        tune_garbage_collector()
        tune_thread_switching()
        uvicorn.run(app, **served)
        return 0
    engine.dispose()
    os.environ[DATABASE_VARIABLE] = args.db
    os.environ[LOG_LEVEL_VARIABLE] = args.log_level
    os.environ.update(settings.to_environment())
    if args.metrics_token_file:
        os.environ[METRICS_TOKEN_VARIABLE] = os.path.abspath(args.metrics_token_file)
    # Each worker keeps its numbers in files here and /metrics adds up all of them; a folder
    # of this run's own, since numbers left from an earlier run would be added in too.
    folder = tempfile.mkdtemp(prefix="instore-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    try:
        uvicorn.run(
            "server_stub.app:app_from_environment", factory=True, workers=args.workers, **served
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0
