"""`instore server`: run the central server (FastAPI on uvicorn)."""

from __future__ import annotations

import argparse
import os

from codes.common.cli import counted, whole_number
from server_stub.database.connection import DEFAULT_URL, migrate, open_engine


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the central server: devices enroll, push their events and pull what other devices"
        " did. The database schema is brought up to date on start."
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
    parser.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server_stub.app import (
        DATABASE_VARIABLE,
        LOG_LEVEL_VARIABLE,
        configure_logging,
        create_app,
        tune_garbage_collector,
    )

    configure_logging(args.log_level)
    engine = open_engine(args.db)
    migrate(engine)
    print(
        f"instore server on http://{args.host}:{args.port} ({counted(args.workers, 'worker')}, database"
        f" {engine.url.render_as_string(hide_password=True)}); API described at"
        f" http://{args.host}:{args.port}/openapi.json; Ctrl-C stops it",
        flush=True,
    )
    if args.workers == 1:
        app = create_app(engine)
        tune_garbage_collector()
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", log_config=None)
        return 0
    engine.dispose()
    os.environ[DATABASE_VARIABLE] = args.db
    os.environ[LOG_LEVEL_VARIABLE] = args.log_level
    uvicorn.run(
        "server_stub.app:app_from_environment", factory=True, workers=args.workers,
        host=args.host, port=args.port, log_level="warning",
    )  # fmt: skip
    return 0
