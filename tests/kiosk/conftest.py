"""A kiosk's ledger, and its flow with clocks the test turns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from kiosk.flow import Flow
from kiosk.settings import KioskSettings
from tests.terminal.conftest import FakeServer, Store, StoreFactory, make_store

__all__ = ["FakeServer", "StoreFactory", "make_store"]


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
