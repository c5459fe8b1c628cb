"""The dashboard's page of prizes to ship, as data: per campaign how many claims are approved (to
ship), dispatched and delivered, the shipping partner's file to download, and the import of the
file it sends back (`prizes.dispatch`). Logistics and admins only: the file holds every winner's
name, address and phone. The routes are dispatch_web's; the template only lays this out.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from server_stub.accounts.users import Role, Viewer
from server_stub.dashboard.campaign_names import campaign_names
from server_stub.errors import ApiError
from server_stub.prizes import dispatch, tracking_file

SHIPPERS = frozenset({Role.ADMIN, Role.LOGISTICS})
# a file refused whole is said on the page, beside the form to send a better one
REFUSED_FILE = frozenset({"bad_tracking_file", "too_large", "no_file"})


def may_dispatch(viewer: Viewer) -> bool:
    return viewer.role in SHIPPERS


def _shippers_only(viewer: Viewer) -> None:
    if not may_dispatch(viewer):
        raise ApiError(403, "logistics_only", "Only logistics and admins ship prizes.")


def dispatch_page(
    engine: Engine, viewer: Viewer, query: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Each campaign's claims to ship, on their way and delivered, and what the import takes."""
    _shippers_only(viewer)
    return {
        "viewer": {"username": viewer.username, "role": viewer.role.value},
        "campaigns": dispatch.counts(engine),
        "campaign_names": campaign_names(engine, viewer),
        "columns": list(tracking_file.COLUMNS),
        "export_columns": list(dispatch.EXPORT_COLUMNS),
        "max_rows": tracking_file.MAX_ROWS,
        "max_mb": tracking_file.MAX_BYTES // (1024 * 1024),
        "as_of": time.time(),
    }


def export_file(engine: Engine, viewer: Viewer, query: Mapping[str, str]) -> dispatch.Export:
    """The download: `?campaign=` and `which=` `to_ship` (the default) or `in_transit`."""
    _shippers_only(viewer)
    return dispatch.export(engine, query.get("campaign", ""), query.get("which", "to_ship"))


def import_page(engine: Engine, viewer: Viewer, data: bytes | None) -> dict[str, Any]:
    """The page after an upload: the import's result (applied rows, bad rows by line) above
    the counts it changed. `data` None: the form came without a file. A file refused whole
    raises (codes in REFUSED_FILE), and nothing has moved."""
    _shippers_only(viewer)
    if not data:
        raise ApiError(422, "no_file", "Choose the shipping partner's CSV file, then Import.")
    result = dispatch.import_tracking(engine, data, viewer.username)
    return dispatch_page(engine, viewer) | {"result": result}
