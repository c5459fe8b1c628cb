"""docs/cli.md is every command's --help as the commands print it now."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_command_reference_is_current() -> None:
    done = subprocess.run(
        [sys.executable, "instore_cli.py", "--help-pages"], cwd=ROOT, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == done.stdout, "docs/cli.md is out of date: run `make docs`"
    for command in ("instore kiosk", "instore terminal redeem", "instore admin device revoke"):
        assert f"## `{command}`" in written
