"""Fixtures the server's tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from server_stub.database.connection import migrate, open_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated server database in a SQLite file of the test's own."""
    made = open_engine(f"sqlite:///{tmp_path / 'server.db'}")
    migrate(made)
    yield made
    made.dispose()
