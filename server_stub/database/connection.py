"""Opening the server's database (SQLite file or PostgreSQL) and bringing its schema up to date."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Insert, Table, create_engine, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from codes.common.errors import InstoreError
from server_stub.database.schema import meta

DEFAULT_URL = "sqlite:///instore-data/server.db"
MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(InstoreError):
    """The server's database cannot be opened or used."""


def database_url(text: str) -> str:
    """Accept a URL or a plain file path (taken as SQLite); PostgreSQL goes through psycopg 3."""
    if "://" not in text:
        return f"sqlite:///{text}"
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for PostgreSQL or an in-memory database)."""
    url = database_url(url)
    path = url.split(":///", 1)[1] if url.startswith("sqlite") and ":///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file a URL names when it does not exist yet."""
    path = sqlite_file(url)
    return path if path is not None and not path.exists() else None


def open_engine(url: str) -> Engine:
    url = database_url(url)
    try:
        if url.startswith("sqlite"):
            path = sqlite_file(url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                # it holds every device secret and campaign key: its owner's only
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            engine = create_engine(
                url, pool_use_lifo=True,
                connect_args={"timeout": 30, "check_same_thread": False},
            )  # fmt: skip
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        # JIT compiling pays off for long reports, not for sync's short statements, where its
        # start-up cost was most of a push's time here. No ping before each use: it was one round
        # trip in seven of an online claim. After a database restart the first statement fails,
        # SQLAlchemy drops the whole pool, that request answers 503 and the device retries.
        # Last-in-first-out: a quiet server keeps reusing its one warm connection.
        engine = create_engine(
            url, pool_size=20, max_overflow=10, pool_use_lifo=True,
            connect_args={"options": "-c jit=off"},
        )  # fmt: skip
        # executemany as multi-row INSERTs, not one round trip per row (ten times faster here)
        engine.dialect.use_insertmanyvalues_wo_returning = True
        return engine
    except (ArgumentError, SQLAlchemyError, ImportError) as exc:
        raise DatabaseError("bad_database_url", f"cannot use database {url!r}: {exc}") from None


def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # Transactions are begun by hand below, as BEGIN IMMEDIATE: a writer takes the lock at the
    # start, so two writers queue instead of one failing half-way with "database is locked".
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=FULL")


READ_ONLY = "instore_read_only"  # an execution option: see reader()


def _sqlite_begin(conn: Connection) -> None:
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def reader(engine: Engine) -> Engine:
    """The same engine for reads that must not queue behind writers (on SQLite a plain BEGIN:
    WAL lets readers run beside the one writer). On PostgreSQL reads run outside a transaction:
    under READ COMMITTED each statement sees its own snapshot either way, and a BEGIN and a
    ROLLBACK around a page's one query were two of a code entry's twelve round trips."""
    made: Engine | None = getattr(engine, _READER, None)
    if made is None:  # kept on the engine: making one cost each read a third of its time
        if engine.dialect.name == "sqlite":
            made = engine.execution_options(**{READ_ONLY: True})
        else:
            made = engine.execution_options(**{READ_ONLY: True}, isolation_level="AUTOCOMMIT")
        setattr(engine, _READER, made)
    return made


_READER = "_instore_reader"


class _WriteQueue:
    """One writer at a time on a SQLite file, across threads and server processes.

    SQLite would serialise writers by itself, but a waiting process polls with sleeps of up to
    100 ms; a blocking file lock hands over the moment the writer before it is done.
    """

    def __init__(self, path: str) -> None:
        self.path = f"{path}.write-lock"
        self._threads = threading.Lock()
        self._fd: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


_queues: dict[str, _WriteQueue] = {}
_queues_lock = threading.Lock()


def _queue(engine: Engine) -> _WriteQueue | None:
    """The write queue of the SQLite file an engine opens; None for PostgreSQL, whose row locks
    let unrelated writes run side by side, and for a database in memory."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        return None
    with _queues_lock:
        return _queues.setdefault(os.path.abspath(path), _WriteQueue(os.path.abspath(path)))


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """`engine.begin()`, queued behind other processes writing the same SQLite file."""
    queue = _queue(engine)
    with queue.held() if queue else contextlib.nullcontext(), engine.begin() as conn:
        yield conn


class OneConnection:
    """One pooled connection for all the steps of a request: reads as `reader` makes them, and
    write transactions as `writing` makes them, on the same connection. A code entry read the
    visit, wrote the redemption and read the codes so far on three connections, each checkout
    and return costing it about a tenth of a millisecond.

    Taken at the first use, given back by `release` (before a step that opens connections of
    its own: holding two at once, a busy server's threads could take every connection of the
    pool and wait for ever for a second) or at the end of the `with` block."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None

    @classmethod
    @contextmanager
    def of(cls, db: Engine | OneConnection) -> Iterator[OneConnection]:
        """`db` itself when it is one already (its owner gives it back), else one for the block."""
        if isinstance(db, OneConnection):
            yield db
            return
        with cls(db) as one:
            yield one

    def __enter__(self) -> OneConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    def reading(self) -> Connection:
        """The connection, for reads that must not queue behind writers."""
        if self._conn is None:
            self._conn = reader(self.engine).connect()
        return self._conn

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction on the connection, queued as `writing` queues one. The reads
        before it end first (on SQLite, their snapshot); reads after it see what it wrote."""
        conn = self.reading()
        try:
            conn.commit()  # the reads' transaction: nothing to send on PostgreSQL (autocommit)
            queue = _queue(self.engine)
            with queue.held() if queue else contextlib.nullcontext():
                conn.execution_options(**_write_options(conn))
                with conn.begin():
                    yield conn
            conn.execution_options(**_read_options(conn))
        except BaseException:
            self.release()  # the pool resets its options; a broken connection is not reused
            raise


def _write_options(conn: Connection) -> dict[str, object]:
    if is_sqlite(conn):
        return {READ_ONLY: False}  # BEGIN IMMEDIATE (_sqlite_begin)
    return {READ_ONLY: False, "isolation_level": conn.default_isolation_level}


def _read_options(conn: Connection) -> dict[str, object]:
    if is_sqlite(conn):
        return {READ_ONLY: True}
    return {READ_ONLY: True, "isolation_level": "AUTOCOMMIT"}


def is_sqlite(conn: Connection | Engine) -> bool:
    return conn.dialect.name == "sqlite"


def insert_ignore(conn: Connection | Engine, table: Table) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING in the connection's dialect."""
    dialect = sqlite if is_sqlite(conn) else postgresql
    return dialect.insert(table).on_conflict_do_nothing()  # type: ignore[no-any-return]


def _alembic_config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


@contextmanager
def _alembic_quiet() -> Iterator[None]:
    """Alembic's INFO lines ("Context impl SQLiteImpl.", each step's docstring) are for whoever
    writes migrations; a store manager starting the server sees the summary we print instead.
    Its warnings still show."""
    logger = logging.getLogger("alembic")
    level = logger.level
    logger.setLevel(max(logging.WARNING, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        logger.setLevel(level)


def pending_migrations(engine: Engine) -> bool:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with _alembic_quiet(), engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() != head


@dataclass(frozen=True)
class Migrated:
    """What `migrate` did: the revision the database was at (None: it had no tables) and now."""

    before: str | None
    after: str

    def summary(self) -> str:
        if self.before is None:
            return f"created the tables at revision {self.after}"
        if self.before == self.after:
            return f"already at revision {self.after}"
        return f"upgraded from revision {self.before} to {self.after}"


def migrate(engine: Engine) -> Migrated:
    """Bring the schema up to date (a no-op when it is); make the admin token on first run.

    A database at a revision these steps do not know was written by a newer instore: it is
    refused before anything is written, since no step here knows what its tables hold.
    """
    scripts = ScriptDirectory(str(MIGRATIONS))
    head = scripts.get_current_head()
    assert head is not None  # the steps ship with the code
    before: str | None = None
    try:
        with _alembic_quiet(), engine.begin() as conn:
            before = MigrationContext.configure(conn).get_current_revision()
            if before is not None and before not in {s.revision for s in scripts.walk_revisions()}:
                raise DatabaseError(
                    "database_too_new",
                    f"this database is at revision {before}, which this instore does not know"
                    f" (it knows up to {head}): a newer instore wrote it. Run that version or a"
                    " newer one against it; nothing was changed.",
                )
            command.upgrade(_alembic_config(conn), "head")
            if (
                conn.execute(select(meta.c.value).where(meta.c.key == "admin_token")).first()
                is None
            ):
                conn.execute(
                    meta.insert().values(key="admin_token", value=secrets.token_urlsafe(24))
                )
    except OperationalError as exc:
        raise DatabaseError(
            "database_unavailable", f"cannot open the database: {exc.orig}"
        ) from None
    except SQLAlchemyError as exc:
        # every step runs in the one transaction above: a failed step leaves none of them behind
        raise DatabaseError(
            "migration_failed",
            f"cannot upgrade the database (at revision {before or 'none'}):"
            f" {getattr(exc, 'orig', None) or exc}; it was left as it was",
        ) from None
    return Migrated(before, head)


def admin_token(conn: Connection) -> str:
    return str(conn.execute(select(meta.c.value).where(meta.c.key == "admin_token")).scalar_one())
