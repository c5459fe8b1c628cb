"""A kiosk's ledger, and its flow with clocks the test turns."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from codes import campaign as campaign_file
from codes.campaign import parse_tiers
from codes.campaign_cipher import CampaignCipher
from codes.checker import CodeChecker
from kiosk.flow import Flow
from kiosk.result_view import ResultView
from kiosk.settings import KioskSettings

# Kivy sizes its window once per process, at the first import of it: configure it here, before
# any test module imports a screen (a module importing kiosk.app first gave an 800x600 window)
from tests.kiosk import ui as _configured  # noqa: F401
from tests.terminal.conftest import FakeServer, Store, StoreFactory, make_store, send_slice

__all__ = ["FakeServer", "Store", "StoreFactory", "make_store", "scan", "send_slice"]


@pytest.fixture(autouse=True)
def _no_traceback(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No kiosk test may leave an error or a traceback in the log."""
    caplog.set_level(logging.WARNING)
    yield
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or "Traceback" in r.getMessage()]
    assert not bad, [r.getMessage() for r in bad]


def scan(flow: Flow, text: str) -> ResultView:
    """A code held to the camera, when it is one that goes straight to a result."""
    view = flow.code_seen(text)
    assert view is not None, f"{text} did not reach a result (screen {flow.screen})"
    return view


@dataclass
class Clocks:
    """The flow's monotonic clock and the PIN lock's wall clock, moved by hand."""

    now: float = 1000.0
    wall: float = 1_800_000_000.0

    def tick(self, seconds: float) -> None:
        self.now += seconds
        self.wall += seconds


@dataclass
class Kiosk:
    store: Store
    flow: Flow
    clocks: Clocks

    def redemptions(self) -> int:
        row = self.flow.terminal.ledger.one(
            "SELECT COUNT(*) AS n FROM events WHERE kind = 'redeem'"
        )
        return int(row["n"]) if row else 0


@dataclass(frozen=True)
class Issued:
    """A campaign's cipher and a checker for it, without a ledger (for tests that only read)."""

    cipher: CampaignCipher
    checker: CodeChecker

    def code(self, serial: int) -> str:
        return self.cipher.encode(serial)


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Issued:
    folder = tmp_path_factory.mktemp("entry")
    made = campaign_file.create(
        folder / "c.toml", "ice-2026", "HV", parse_tiers("gold:1/200,music:*"), capacity=2000
    )
    cipher = CampaignCipher.issuer(replace(made.campaign, issued=1000))
    return Issued(cipher, CodeChecker([cipher]))


@pytest.fixture
def kiosk(make_store: StoreFactory) -> Iterator[Kiosk]:
    store = make_store(name="kiosk1")
    clocks = Clocks()
    terminal = store.open()
    flow = Flow(
        terminal, KioskSettings(db=store.path), clock=lambda: clocks.now,
        wall_clock=lambda: clocks.wall,
    )  # fmt: skip
    yield Kiosk(store, flow, clocks)
