"""Forms and pages beside the dashboard's menu pages (see dashboard/web.py)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from sqlalchemy import Engine

from server_stub.accounts import sessions
from server_stub.settings import ServerSettings


def mount(
    app: FastAPI, engine: Engine, signed_in: Callable[[Request], sessions.Session | None],
    settings: ServerSettings | None = None,
) -> None:  # fmt: skip
    return None
