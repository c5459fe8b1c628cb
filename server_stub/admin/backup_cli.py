"""`instore admin backup` and `instore admin restore`: the SQLite database to a file and back
(database/backup.py). They do not open the database as the other admin commands do: a backup
must not upgrade the database it copies, and a restore's database may not exist yet."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from codes.common.cli import emit
from server_stub.database import backup


def register(groups: Any) -> None:
    p = groups.add_parser(
        "backup",
        help="copy the server's database to a file, while the server runs",
        description=(
            "Copy the server's database (the SQLite file --db names) to FILE while the server"
            " keeps running and taking syncs: the copy is the database as it was at one moment,"
            " whole. Run it every night (cron or a systemd timer) and before installing a new"
            " instore, to a file named by the date, and keep the copies on another disk or"
            " machine. The file holds every device secret and campaign key, as the database"
            " does: only you can read it. An existing FILE is not replaced without --force."
            " For a PostgreSQL database use pg_dump (see docs/operations.md, 'Backups')"
        ),
    )
    p.add_argument("--to", required=True, type=Path, metavar="FILE",
                   help="the backup's file, e.g. /backups/instore-2026-12-01.db")  # fmt: skip
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.add_argument("--json", action="store_true", help="answer in JSON")
    p.set_defaults(run=_backup)

    p = groups.add_parser(
        "restore",
        help="put a backup back in place of the server's database (stop the server first)",
        description=(
            "Put a backup made with 'instore admin backup' in place of the server's database"
            " (the SQLite file --db names). Stop the server first: a database a server has open"
            " is refused. The backup is checked before anything changes: it must be an instore"
            " database, whole (SQLite's integrity check), and not from a newer instore. A"
            " database already there is replaced only with --force, and kept beside it as"
            " FILE.before-restore. What devices synced after the backup was taken is not in it:"
            " their next syncs are taken with a gap alert each (see docs/operations.md). For a"
            " PostgreSQL database use pg_restore (see"
            " docs/operations.md, 'Backups')"
        ),
    )
    p.add_argument("--from", required=True, type=Path, metavar="FILE", dest="source",
                   help="the backup's file")  # fmt: skip
    p.add_argument("--force", action="store_true",
                   help="replace the database --db names if there is one (it is kept as"
                   " FILE.before-restore)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="answer in JSON")
    p.set_defaults(run=_restore)


def _backup(args: argparse.Namespace) -> int:
    saved = backup.backup(args.db, args.to, args.force)
    emit(saved.as_dict(), args.json, saved.summary())
    return 0


def _restore(args: argparse.Namespace) -> int:
    done = backup.restore(args.db, args.source, args.force)
    emit(done.as_dict(), args.json, done.summary())
    return 0
