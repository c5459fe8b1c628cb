"""`instore admin` run in-process on a migrated SQLite database, as a store manager types it:
the exit code, what it printed and what it said wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from instore_cli import main as instore

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def admin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    instore(["admin", "--db", db, "migrate"])
    capsys.readouterr()

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = instore(["admin", "--db", db, *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run
