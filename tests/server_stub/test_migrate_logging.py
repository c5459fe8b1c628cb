"""Bringing the schema up to date says nothing at INFO: alembic's "Context impl SQLiteImpl." and
each step's docstring are not for a store manager starting the server. Its warnings still show."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from server_stub.database.connection import migrate, open_engine, pending_migrations


def test_migrating_logs_no_alembic_info_but_keeps_its_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade = command.upgrade

    def warning_too(*args: Any, **kwargs: Any) -> None:
        logging.getLogger("alembic.runtime.migration").warning("a step's warning")
        upgrade(*args, **kwargs)

    monkeypatch.setattr("alembic.command.upgrade", warning_too)
    engine = open_engine(f"sqlite:///{tmp_path / 'server.db'}")
    caplog.set_level(logging.INFO)
    try:
        assert pending_migrations(engine)
        migrate(engine)
        assert not pending_migrations(engine)
    finally:
        engine.dispose()
    from_alembic = [r for r in caplog.records if r.name.startswith("alembic")]
    assert [(r.levelname, r.getMessage()) for r in from_alembic] == [
        ("WARNING", "a step's warning")
    ]
    assert logging.getLogger("alembic").level == logging.NOTSET  # as it was before
