"""A central server and enrolled devices for tests: real databases, the server in-process.

`World` gives a migrated server database (SQLite file or PostgreSQL), a campaign with printed
codes, stores, and devices enrolled through the real protocol over an in-process transport.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from codes import campaign as campaign_file
from codes.campaign import Campaign, Tier, parse_tiers
from codes.campaign_cipher import CampaignCipher
from server_stub.catalog import campaign_setup, enrollment, store_setup
from server_stub.database.connection import migrate, open_engine
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
        tiers: tuple[Tier, ...] | None = None,
    ) -> World:  # fmt: skip
        """`tiers`: the campaign's, with values where a test counts costs (none by default)."""
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
        folder: Path | None = None,
    ) -> Device:  # fmt: skip
        made = enrollment.enroll_device(self.engine, store, name)
        path = (folder or self.tmp) / f"{made['device_id']}.db"
        enroll(path, "http://in-process", made["token"], transport or self.transport)
        ledger = Ledger(path)
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
    """A migrated, empty server database: a SQLite file, or this run's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


@pytest.fixture
def world(server_url: str, tmp_path: Path) -> Iterator[World]:
    engine = open_engine(server_url)
    migrate(engine)
    w = World(engine, server_url, tmp_path)
    yield w
    w.close()
