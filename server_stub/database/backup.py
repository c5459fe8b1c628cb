"""Backing up and restoring the server's SQLite database (`instore admin backup|restore`).

A backup is SQLite's online backup API run while the server keeps writing: in WAL mode a reader
never blocks the writer, so the copy is one read snapshot, taken in one step. (Copying a few pages
at a time would let the server write in between, but SQLite restarts a backup from the first
page whenever another process changes the source, so under steady ingest it would never finish.)
The copy goes to a hidden file beside the destination and is renamed into place at the end: a
half-written backup never carries the backup's name. It is the owner's only (0600), as the
database is: it holds every device secret and campaign key.

A restore checks the file first (an instore database of a revision this code knows, passing
`PRAGMA integrity_check`), refuses a database a server has open, keeps the database it replaces
as FILE.before-restore, and swaps the new one in with a rename.

PostgreSQL has its own tools (pg_dump, base backups with WAL archiving): docs/operations.md.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory

from codes.common.cli import counted
from server_stub.database.connection import MIGRATIONS, DatabaseError, database_url, sqlite_file

SQLITE_MAGIC = b"SQLite format 3\x00"
COUNTED = ("devices", "events", "claims", "conflicts", "members")  # what a summary names
KEPT_SUFFIX = ".before-restore"
# another instore command may hold the database for a moment; a server holds it all the time
LOCK_WAIT_S = 3.0

_POSTGRES_BACKUP = (
    "this server's database is PostgreSQL: back it up with PostgreSQL's own tools: pg_dump -Fc"
    " for a copy, and base backups with WAL archiving for point-in-time recovery (docs/"
    "operations.md, 'Backups'). instore admin backup copies the SQLite database only"
)
_POSTGRES_RESTORE = (
    "this server's database is PostgreSQL: restore it with PostgreSQL's own tools: pg_restore"
    " from a pg_dump -Fc file, or a base backup and its archived WAL for point-in-time recovery"
    " (docs/operations.md, 'Backups'). instore admin restore writes a SQLite database only"
)


@dataclass(frozen=True)
class Saved:
    """A backup written: where, how big, at which schema revision, and what it holds."""

    path: str
    bytes: int
    revision: str | None
    rows: dict[str, int]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"saved the server's database to {self.path}: {_size(self.bytes)}, revision"
            f" {self.revision or 'none'}, {_rows(self.rows)} (in {self.seconds:.1f} s). It holds"
            " every device secret and campaign key: keep it where only you can read it, on"
            " another disk or machine"
        )


@dataclass(frozen=True)
class Restored:
    """A restore done: the database now at `path`, from `source`; `kept` what it replaced."""

    path: str
    source: str
    kept: str | None
    bytes: int
    revision: str
    head: str
    rows: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        text = (
            f"restored {self.path} from {self.source}: {_size(self.bytes)}, revision"
            f" {self.revision}, {_rows(self.rows)}"
        )
        if self.kept:
            text += f"; the database it replaced is kept as {self.kept}"
        if self.revision != self.head:
            text += (
                f". It is older than this instore (revision {self.head}): the server upgrades"
                " it when it starts"
            )
        return text + ". Start the server when ready"


def backup(url: str, to: Path, force: bool = False) -> Saved:
    """Copy the database `url` names to `to` while a server may be writing to it."""
    started = time.monotonic()
    source = _sqlite_path(url, _POSTGRES_BACKUP)
    if not source.exists():
        raise DatabaseError("no_database", f"there is no server database at {source}")
    if to.is_dir():
        raise DatabaseError("backup_is_folder", f"{to} is a folder: name the backup's file")
    if to.exists() and to.resolve() == source.resolve():
        raise DatabaseError("backup_is_database", "the backup cannot be the database itself")
    if to.exists() and not force:
        raise DatabaseError("backup_exists", f"{to} already exists; to replace it, add --force")
    to.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial_beside(to)
    try:
        src = sqlite3.connect(source, timeout=30, isolation_level=None)
        try:
            dst = sqlite3.connect(partial, isolation_level=None)
            try:
                src.backup(dst, pages=-1)  # one snapshot, one step: see the module's docstring
                # a plain file that opens anywhere, with no -wal beside it to carry along
                dst.execute("PRAGMA journal_mode=DELETE")
                revision, rows = _contents(dst)
            finally:
                dst.close()
        finally:
            src.close()
        _fsync(partial)
        _install(partial, to, replace=force)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError("backup_failed", f"cannot back up {source}: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Saved(str(to), to.stat().st_size, revision, rows, round(time.monotonic() - started, 3))


def restore(url: str, source: Path, force: bool = False) -> Restored:
    """Put the backup `source` in place of the database `url` names (the server stopped)."""
    target = _sqlite_path(url, _POSTGRES_RESTORE)
    if not source.is_file():
        raise DatabaseError("no_backup", f"there is no backup file at {source}")
    with source.open("rb") as f:
        if f.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise DatabaseError("not_a_database", f"{source} is not a database backup")
    if target.exists() and target.resolve() == source.resolve():
        raise DatabaseError("backup_is_database", "the backup is the database itself")
    kept = target.with_name(target.name + KEPT_SUFFIX)
    if target.exists():
        if not force:
            raise DatabaseError(
                "database_exists",
                f"there is already a database at {target}; to replace it with the backup (it is"
                f" kept as {kept}), stop the server and add --force",
            )
        if kept.exists():
            raise DatabaseError(
                "kept_exists",
                f"{kept} (what an earlier restore replaced) is in the way: move it somewhere safe"
                " or delete it, then run the restore again",
            )
    elif Path(f"{target}-wal").exists():
        # SQLite would apply this leftover log of another database to the restored file
        raise DatabaseError(
            "leftover_wal",
            f"{target}-wal is left from a database no longer there: move it away first",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial_beside(target)
    try:
        shutil.copyfile(source, partial)  # into the 0600 file mkstemp made: the mode stays
        revision, rows = _checked(partial, source)
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert head is not None  # the steps ship with the code
        _fsync(partial)
        if target.exists():
            _quiet(target)
            _keep(target, kept)
            _install(partial, target, replace=True)
        else:
            _install(partial, target, replace=False)
    finally:
        partial.unlink(missing_ok=True)
    return Restored(
        str(target), str(source), str(kept) if kept.exists() else None, target.stat().st_size,
        revision, head, rows,
    )  # fmt: skip


def _sqlite_path(url: str, postgres_words: str) -> Path:
    path = sqlite_file(url)
    if path is not None:
        return path
    if database_url(url).startswith("postgresql"):
        raise DatabaseError("use_postgres_tools", postgres_words)
    raise DatabaseError("no_database_file", f"{url} is not a database file")


def _partial_beside(path: Path) -> Path:
    """A new, empty, owner-only file in the destination's folder (a rename stays on one disk)."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(fd)
    return Path(name)


def _contents(conn: sqlite3.Connection) -> tuple[str | None, dict[str, int]]:
    """The schema revision and the row counts a summary names, of the tables present."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    revision = None
    if "alembic_version" in tables:
        found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = str(found[0]) if found else None
    rows = {
        t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
        for t in COUNTED
        if t in tables
    }
    return revision, rows


def _checked(path: Path, source: Path) -> tuple[str, dict[str, int]]:
    """The revision and counts of a backup once it is known whole and an instore database this
    code can run."""
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise DatabaseError(
                    "backup_damaged",
                    f"{source} is damaged ({'; '.join(problems[:3])}): restore another backup",
                )
            revision, rows = _contents(conn)
            has_meta = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
            ).fetchone()
            conn.execute("PRAGMA journal_mode=DELETE")  # nothing left in a -wal beside it
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        # its first bytes said SQLite: what follows is broken
        raise DatabaseError(
            "backup_damaged", f"{source} is damaged ({exc}): restore another backup"
        ) from None
    if revision is None or not has_meta:
        raise DatabaseError("not_instore", f"{source} is a database, but not an instore server's")
    known = {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
    if revision not in known:
        raise DatabaseError(
            "database_too_new",
            f"{source} is at revision {revision}, which this instore does not know: a newer"
            " instore wrote it. Restore it with that version or a newer one; nothing was changed",
        )
    return revision, rows


def _quiet(target: Path) -> None:
    """Refuse a database a server (or any program) has open; fold its log into the file.

    Every connection to a WAL database holds a shared lock on it for as long as it is open, and
    a server keeps its connections open from its first request to its last, so an exclusive
    lock is granted only when nothing has the file open. Holding it, closing folds the -wal into
    the file and deletes it, so the file kept as FILE.before-restore is whole by itself.
    """
    try:
        conn = sqlite3.connect(target, timeout=LOCK_WAIT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseError("database_unavailable", f"cannot open {target}: {exc}") from None
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseError(
                "database_in_use",
                f"{target} is in use (a server, or another instore command, has it open): stop"
                " the server, then run the restore again; nothing was changed",
            ) from None
        raise DatabaseError("database_unavailable", f"cannot open {target}: {exc}") from None
    except sqlite3.DatabaseError:
        pass  # not a database at all: nothing can be running on it, and --force replaces it
    finally:
        conn.close()
    wal = Path(f"{target}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise DatabaseError(
            "database_in_use",
            f"{target} was opened again during the restore: stop the server, then run the"
            " restore again; nothing was changed",
        )


def _keep(target: Path, kept: Path) -> None:
    """The replaced database under FILE.before-restore: a second name for the same file, so
    FILE is never missing; a copy where the disk has no hard links."""
    try:
        os.link(target, kept)
    except FileExistsError:
        raise DatabaseError("kept_exists", f"{kept} is in the way: move it away first") from None
    except OSError:
        shutil.copy2(target, kept)


def _install(partial: Path, to: Path, replace: bool) -> None:
    """Give the finished file its name in one step (a new name never replaces a file that
    appeared meanwhile unless `replace`), then make the rename itself durable."""
    if replace:
        os.replace(partial, to)
    else:
        try:
            os.link(partial, to)
        except FileExistsError:
            raise DatabaseError(
                "file_exists", f"{to} appeared meanwhile; to replace it, add --force"
            ) from None
    folder = os.open(to.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _fsync(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def _size(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    shown, unit = n / 1024, "KB"
    for bigger in ("MB", "GB"):
        if shown >= 1024:
            shown, unit = shown / 1024, bigger
    return f"{shown:,.1f} {unit}"


def _rows(rows: dict[str, int]) -> str:
    return ", ".join(counted(n, table[:-1]) for table, n in rows.items()) or "no tables"
