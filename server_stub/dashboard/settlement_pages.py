"""The settlement page as data: what the coalition's partners owe each other for a month
(loyalty.settlement). Admins and campaign managers see every partner and may narrow to one; a
partner's people see their own partner's line and the pairs it is a side of, whatever the link
asks for. Everyone else is refused.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from server_stub.accounts.users import Viewer
from server_stub.database.connection import reader
from server_stub.errors import ApiError
from server_stub.loyalty import settlement


def may_see_settlement(viewer: Viewer) -> None:
    if not viewer.sees_settlement:
        raise ApiError(
            403, "not_allowed", "Only admins, campaign managers and partners see the settlement."
        )


def last_month(now: float) -> str:
    """The month before `now`'s (UTC): the one a settlement is usually run for."""
    today = datetime.fromtimestamp(now, UTC)
    index = today.year * 12 + today.month - 2
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def settlement_page(
    engine: Engine, viewer: Viewer, params: Mapping[str, str], now: float | None = None
) -> dict[str, Any]:
    """A month's settlement (`period`, YYYY-MM; last month when absent or not a month), narrowed
    to what the viewer may see, and for those who see every partner to `partner` when given."""
    may_see_settlement(viewer)
    now = time.time() if now is None else now
    asked = (params.get("period") or "").strip()[:7]
    try:
        month = settlement.period(asked)
    except ApiError:
        asked, month = "", settlement.period(last_month(now))
    with reader(engine).connect() as conn:
        result = settlement.settle(conn, month)
    chosen = (params.get("partner") or "").strip()[:64]
    if not viewer.sees_every_partner:
        result, chosen = result.narrowed(viewer.partners), ""  # the link cannot widen it
    elif chosen:
        result = result.narrowed({chosen})
    shown = result.as_dict()
    return {
        "viewer": {"username": viewer.username, "role": viewer.role.value},
        "period": shown["period"],
        "asked": asked,
        "partner": chosen,
        "every_partner": viewer.sees_every_partner,
        "own": sorted(viewer.partners),
        "partners": shown["partners"],
        "pairs": [p for p in shown["pairs"] if not p["own"]],
        "own_spends": [p for p in shown["pairs"] if p["own"]],
        "unpriced": shown["unpriced"],
        "as_of": now,
    }
