"""An `instore admin` group (registered by admin/cli.py)."""

from __future__ import annotations

from typing import Any


def register(groups: Any, command: Any) -> None:
    return None
