"""`instore kiosk` refuses what it cannot use with one clear line, and sets the manager PIN."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kiosk.manager_lock import ManagerLock
from tests.kiosk.conftest import StoreFactory


def _kiosk(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "instore_cli", "kiosk", *args], capture_output=True, text=True,
        input=stdin, timeout=60,
    )  # fmt: skip


def test_bad_settings_are_one_line_and_exit_2(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store(name="cli")
    for args, words in (
        (["--country", "ZZ"], "give a two-letter country code"),
        (["--size", "10x10"], "give WIDTHxHEIGHT"),
        (["--frames", str(tmp_path / "none")], "no such folder"),
        (["--camera", str(tmp_path / "none.avi")], "no such video file"),
    ):
        done = _kiosk("--db", str(store.path), *args)
        assert done.returncode == 2 and words in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_the_manager_pin_is_set_from_standard_input(make_store: StoreFactory) -> None:
    store = make_store(name="pin-cli")
    short = _kiosk("--db", str(store.path), "--set-pin", stdin="12\n")
    assert short.returncode == 2 and "4 or more digits" in short.stderr
    done = _kiosk("--db", str(store.path), "--set-pin", stdin="2468\n")
    assert done.returncode == 0 and "manager PIN set" in done.stdout
    assert ManagerLock(store.open().ledger).try_pin("2468").verdict == "open"
