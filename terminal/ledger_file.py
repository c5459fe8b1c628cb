"""The ledger file: opening it safely (read-write or read-only) and durable transactions.

WAL with synchronous=FULL: a transaction that returned has reached the disk, so a result shown to a
person survives a crash or a power cut. Write transactions start with BEGIN IMMEDIATE, so two
processes on one ledger (kiosk and manager screen, POS and bridge) queue instead of deadlocking.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from codes.common.errors import InstoreError
from terminal.schema import migrations

BUSY_TIMEOUT_S = 5.0


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class LedgerError(InstoreError):
    """The ledger cannot be read or written; nothing in flight was confirmed."""


def storage_error(exc: sqlite3.Error, path: Path) -> LedgerError:
    """Name a SQLite failure in a store manager's terms."""
    text = str(exc).lower()
    if isinstance(exc, sqlite3.IntegrityError):
        # a unique key refused a second copy: the caller knows which rule that was
        return LedgerError("duplicate", f"already recorded: {exc}")
    if "locked" in text or "busy" in text:
        return LedgerError(
            "ledger_busy", f"the ledger {path} is busy in another program; try again"
        )
    if "readonly" in text or "read-only" in text:
        return LedgerError("ledger_read_only", f"the ledger {path} cannot be written (read-only)")
    if "full" in text:
        return LedgerError("disk_full", f"the disk holding {path} is full; nothing was saved")
    if "not a database" in text or "malformed" in text:
        return LedgerError("ledger_damaged", f"{path} is not a usable ledger: {exc}")
    return LedgerError("ledger_error", f"the ledger {path} could not be used: {exc}")


class LedgerFile:
    """One device's ledger file, opened; `Ledger` adds what is kept in it."""

    def __init__(
        self, path: Path | str, create: bool = False, busy_timeout: float = BUSY_TIMEOUT_S,
        read_only: bool = False,
    ) -> None:  # fmt: skip
        """`read_only`: for commands that only look (check, verify, status), so they work on a
        ledger nobody may write, such as a copy on read-only media taken for an audit."""
        self.path = Path(path)
        if not create and not self.path.exists():
            raise LedgerError(
                "no_ledger", f"no ledger at {self.path}; run 'instore terminal init' first"
            )
        if read_only:
            self._open_read_only(busy_timeout)
            return
        try:
            if create and not self.path.exists():
                # it holds the device secret and campaign keys: readable by its owner only
                # (SQLite gives the -wal and -shm files the same mode)
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileExistsError):  # made by another process just now
                    os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            self.conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=busy_timeout, check_same_thread=False
            )
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.db = Database(self.conn)
            if migrations.pending(self.db):
                with self.write():
                    migrations.apply(self.db)
        except sqlite3.Error as exc:
            writable = os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
            if self.path.exists() and not writable:  # SQLite says only "unable to open"
                raise LedgerError(
                    "ledger_read_only",
                    f"the ledger {self.path} cannot be written (read-only); 'check', 'verify'"
                    " and 'status' still work",
                ) from None
            raise storage_error(exc, self.path) from None

    def _open_read_only(self, busy_timeout: float) -> None:
        uri = f"file:{self.path.resolve().as_posix()}?mode=ro"
        try:
            try:
                self.conn = self._connect(uri, busy_timeout)
            except sqlite3.OperationalError:
                # WAL needs its -shm file beside the ledger; where none can be made the media is
                # read-only, nobody writes the file, and SQLite may read it as immutable
                self.conn = self._connect(uri + "&immutable=1", busy_timeout)
            self.db = Database(self.conn)
            if migrations.pending(self.db):
                raise LedgerError(
                    "ledger_outdated",
                    f"the ledger {self.path} is from an older version; open it once where it"
                    " can be written (any terminal command) to bring it up to date",
                )
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path) from None

    @staticmethod
    def _connect(uri: str, busy_timeout: float) -> sqlite3.Connection:
        conn = sqlite3.connect(
            uri, uri=True, isolation_level=None, timeout=busy_timeout, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # fails here, not later
        return conn

    def close(self) -> None:
        self.conn.close()

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One durable transaction; any SQLite failure becomes a LedgerError, and rolls back."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise storage_error(exc, self.path) from None
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path) from None

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        rows = self.read(sql, params)
        return rows[0] if rows else None
