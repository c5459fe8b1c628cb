"""The import contract that keeps Kivy in app.py, runner.py and screens/ names every other module."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = "In kiosk, only app, runner and screens import Kivy"


def test_the_contract_names_every_kiosk_module_but_the_windows() -> None:
    """A module added to kiosk/ is held to the contract as soon as it exists."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == CONTRACT]
    # kiosk/__init__.py is not named: "kiosk" would mean the whole package, screens included
    modules = {p.stem for p in (ROOT / "kiosk").glob("*.py")} - {"__init__", "app", "runner"}
    assert set(contract["source_modules"]) == {f"kiosk.{m}" for m in modules}
