"""The dashboard's page of the verification queue (issue 26: the prize office): a server function the template lays out and
?format=json answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from server_stub.accounts.users import Viewer


def queue_page(engine: Engine, viewer: Viewer, query: Mapping[str, str]) -> dict[str, Any]:
    return {}
