"""A central server and enrolled devices for tests: real databases, the server in-process.

`World` gives a migrated server database (SQLite file or PostgreSQL), a campaign with printed
codes, stores, and devices enrolled through the real protocol over an in-process transport.

The migrations run once per test process, not once per world: a SQLite world starts from a copy
of a migrated file, a PostgreSQL world from a database migrated once and emptied back to the rows
the migrations wrote. Migrating took 0.1-0.3 s (SQLite) and 0.35-0.7 s (PostgreSQL) of every
world on an idle machine, seconds on a busy one; the copy takes 0.01 s, the reset 0.03 s. Each
world still gets an admin token of its own.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, update

from codes import campaign as campaign_file
from codes.campaign import Campaign, Tier, parse_tiers
from codes.campaign_cipher import CampaignCipher
from server_stub.catalog import campaign_setup, enrollment, store_setup
from server_stub.database.connection import migrate, open_engine, sqlite_file
from server_stub.database.loyalty_tables import program
from server_stub.database.schema import meta
from server_stub.device_api.service import SyncService
from sync.client import SyncClient
from sync.cycle import CycleReport, client_for, run_cycle
from sync.enroll import enroll
from sync.transport import Reply, Transport, Unreachable
from terminal.engine import Terminal
from terminal.ledger import Ledger
from terminal.online_claims import Claimer

POSTGRES = os.environ.get("INSTORE_TEST_POSTGRES", "")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class InProcess:
    """The server's request handler as a transport; `down` makes it unreachable."""

    def __init__(self, service: SyncService) -> None:
        self.service = service
        self.down = False
        self.requests = 0
        self.last_answer = b""

    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Reply:
        if self.down:
            raise Unreachable("connection refused")
        self.requests += 1
        status, answer, answer_headers = self.service.handle(method, path, headers, body)
        self.last_answer = answer
        return Reply(status, answer, answer_headers)


def postgres_database() -> Iterator[str]:
    """A database of this test run's own on the PostgreSQL named by INSTORE_TEST_POSTGRES."""
    name = f"instore_test_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def empty_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@dataclass
class Device:
    path: Path
    terminal: Terminal
    ledger: Ledger
    client: SyncClient

    def sync(self) -> CycleReport:
        return run_cycle(self.ledger, self.client)

    def status(self) -> dict[str, object]:
        return self.terminal.status()


@dataclass
class World:
    engine: Engine
    url: str
    tmp: Path
    service: SyncService = field(init=False)
    transport: InProcess = field(init=False)
    campaign: Campaign = field(init=False)
    cipher: CampaignCipher = field(init=False)
    devices: list[Device] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.service = SyncService(self.engine)
        self.transport = InProcess(self.service)

    def setup(
        self, stores: tuple[str, ...] = ("s1", "s2"), issued: int = 1000,
        tiers: tuple[Tier, ...] | None = None, pending_days: int = 0,
    ) -> World:  # fmt: skip
        """`tiers`: the campaign's, with values where a test counts costs (none by default).
        `pending_days`: the program's returns window, none by default, so points just earned
        can be spent as before lots (a test of the window names one)."""
        with self.engine.begin() as conn:
            conn.execute(update(program).values(pending_days=pending_days))
        made = campaign_file.create(
            self.tmp / "campaign.toml", "ice-2026", "HV",
            tiers or parse_tiers("gold:10,silver:100,music:*"), capacity=100_000,
        )  # fmt: skip
        for store in stores:
            store_setup.create_store(self.engine, store, f"Store {store}")
        campaign_setup.add_campaign(self.engine, made.campaign, made.key, 500.0, made.plan_seed)
        campaign_setup.mint_codes(self.engine, made.campaign.id, issued, self.tmp / "codes.csv")
        self.campaign = campaign_file.load(self.tmp / "campaign.toml")
        self.cipher = CampaignCipher.issuer(self.campaign)
        return self

    def code(self, serial: int) -> str:
        return self.cipher.encode(serial)

    def device(
        self, store: str, name: str, transport: Transport | None = None, online: bool = False,
        folder: Path | None = None, claim_timeout: float | None = None,
    ) -> Device:  # fmt: skip
        """`claim_timeout`: how long the till waits for the server's online answer (the server's
        0.8 s by default). A test that asserts what the server answered online gives a generous
        one: on a loaded machine a slow answer would otherwise be taken for none, and the till
        would fall back to its offline rules."""
        made = enrollment.enroll_device(self.engine, store, name)
        path = (folder or self.tmp) / f"{made['device_id']}.db"
        enroll(path, "http://in-process", made["token"], transport or self.transport)
        ledger = Ledger(path)
        if claim_timeout is not None:
            with ledger.write() as conn:
                config = Ledger.setting_in(conn, "config", {})
                Ledger.put_setting(conn, "config", {**config, "claim_timeout": claim_timeout})
        client = client_for(ledger, transport or self.transport)
        claimer: Claimer | None = None
        if online:
            from sync.claimer import ServerClaimer

            claimer = ServerClaimer(client, ledger)
        device = Device(path, Terminal(path, claimer=claimer), ledger, client)
        self.devices.append(device)
        return device

    def close(self) -> None:
        for d in self.devices:
            d.terminal.close()
            d.ledger.close()
        self.engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not POSTGRES:
        pytest.skip("INSTORE_TEST_POSTGRES is not set")
    yield from postgres_database()


@pytest.fixture(params=BACKENDS)
def server_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A server database with no tables yet: a SQLite file, or this run's PostgreSQL database.

    Under `world`, the PostgreSQL one is the worlds' own, which `world` brings back to migrated."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    if "world" in request.fixturenames:
        template: PostgresTemplate = request.getfixturevalue("world_postgres")
        return template.url
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite server database as the migrations leave it, copied for each world."""
    path = tmp_path_factory.mktemp("migrated") / "server.db"
    engine = open_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    with sqlite3.connect(path) as raw:  # everything in the file itself, none in its WAL
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    return path


SEED_SCHEMA = "instore_test_seed"  # the rows the migrations wrote, kept to write them back


@dataclass(frozen=True)
class PostgresTemplate:
    """A PostgreSQL database migrated once; `reset` empties it back to what the migrations left."""

    url: str
    tables: tuple[str, ...]
    seeded: tuple[str, ...]  # tables the migrations wrote rows into
    sequences: tuple[tuple[str, int, bool], ...]  # name, value, is_called after migrating

    @classmethod
    def migrated(cls, url: str) -> PostgresTemplate:
        engine = open_engine(url)
        migrate(engine)
        engine.dispose()
        with psycopg.connect(url, autocommit=True) as conn:
            tables = tuple(r[0] for r in conn.execute(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'"
            ))  # fmt: skip
            seeded = tuple(
                t for t in tables if conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()
            )
            conn.execute(f"CREATE SCHEMA {SEED_SCHEMA}")
            for table in seeded:
                conn.execute(f"CREATE TABLE {SEED_SCHEMA}.{table} AS SELECT * FROM {table}")
            sequences = tuple(
                (name, int(last if last is not None else start), last is not None)
                for name, last, start in conn.execute(
                    "SELECT quote_ident(sequencename), last_value, start_value FROM pg_sequences"
                    " WHERE schemaname = 'public'"
                )
            )  # fmt: skip
        return cls(url, tables, seeded, sequences)

    def reset(self) -> None:
        # DELETE, not TRUNCATE: a test's few thousand rows go in a hundredth of a second, where
        # TRUNCATE makes new files for every table and index (a tenth); replica mode skips the
        # foreign keys' checks, the tables being emptied in no particular order
        restore = ["SET LOCAL session_replication_role = replica"]
        restore += [f"DELETE FROM {t}" for t in self.tables]
        restore += [
            f"INSERT INTO {t} OVERRIDING SYSTEM VALUE SELECT * FROM {SEED_SCHEMA}.{t}"
            for t in self.seeded
        ]
        restore += [
            f"SELECT setval('{name}', {value}, {is_called})"
            for name, value, is_called in self.sequences
        ]
        with psycopg.connect(self.url, autocommit=True) as conn:
            # a connection a test left open (idle, or in a transaction) would hold up the DELETEs
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            conn.execute("BEGIN; " + "; ".join(restore) + "; COMMIT")  # one round trip


@pytest.fixture(scope="session")
def world_postgres() -> Iterator[PostgresTemplate]:
    """The PostgreSQL database of this process's worlds (not postgres_url's, which tests empty)."""
    if not POSTGRES:
        pytest.skip("INSTORE_TEST_POSTGRES is not set")
    for url in postgres_database():
        yield PostgresTemplate.migrated(url)


def migrated_world_database(request: pytest.FixtureRequest, url: str) -> Engine:
    """`url` as the migrations leave a database, its admin token its own."""
    path = sqlite_file(url)
    if path is not None:
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        path.chmod(0o600)  # as open_engine makes a server's file: it holds every secret
    else:
        template: PostgresTemplate = request.getfixturevalue("world_postgres")
        template.reset()
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(
            update(meta).where(meta.c.key == "admin_token").values(value=secrets.token_urlsafe(24))
        )
    return engine


@pytest.fixture
def world(server_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    engine = migrated_world_database(request, server_url)
    w = World(engine, server_url, tmp_path)
    yield w
    w.close()
