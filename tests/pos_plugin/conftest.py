"""A till over a provisioned ledger, and pictures of codes to scan at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from pos_plugin.checkout import Till
from pos_plugin.settings import PosSettings
from terminal.config import TerminalConfig
from tests.terminal.conftest import FakeServer, Store, StoreFactory, make_store

__all__ = ["FakeServer", "Store", "make_store"]  # make_store: the fixture, shared with terminal

TillFactory = Callable[..., tuple[Till, Store]]


@pytest.fixture
def make_till(make_store: StoreFactory) -> Iterator[TillFactory]:
    tills: list[Till] = []

    def make(
        config: TerminalConfig | None = None, claimer: object = None, **settings: object
    ) -> tuple[Till, Store]:
        store = make_store(config, name=f"till{len(tills) + 1}")
        till = Till(store.open(claimer), PosSettings(**settings))  # type: ignore[arg-type]
        tills.append(till)
        return till, store

    yield make
