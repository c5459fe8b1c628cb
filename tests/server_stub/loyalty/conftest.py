"""The coalition's tests' database: migrated, on SQLite and, when INSTORE_TEST_POSTGRES is set,
on PostgreSQL (a copy of one migration, or the worlds' PostgreSQL database emptied back)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.world import BACKENDS, migrated_world_database


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'server.db'}"
    else:
        url = request.getfixturevalue("world_postgres").url
    made = migrated_world_database(request, url)
    yield made
    made.dispose()
