"""The settlement page as data: what the coalition's partners owe each other for a month
(loyalty.settlement). Admins and campaign managers see every partner and may narrow to one; a
partner's people see their own partner's line and the pairs it is a side of, whatever the link
asks for. Everyone else is refused.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from server_stub.accounts.users import Viewer
from server_stub.dashboard.pages import when_text
from server_stub.database.connection import reader
from server_stub.errors import ApiError
from server_stub.loyalty import settlement


def may_see_settlement(viewer: Viewer) -> None:
    if not viewer.sees_settlement:
        raise ApiError(
            403, "not_allowed", "Only admins, campaign managers and partners see the settlement."
        )


MONTHS_LINKED = 6  # earlier months a page links to; others are a month field away

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")  # fmt: skip


def this_month(now: float) -> str:
    """`now`'s month (UTC), YYYY-MM."""
    return _month_name(_month_index(now))


def month_words(name: str) -> str:
    """'2026-11' as people say it: 'November 2026'."""
    year, month = name.split("-")
    return f"{MONTH_NAMES[int(month) - 1]} {int(year)}"


def _month_index(now: float) -> int:
    today = datetime.fromtimestamp(now, UTC)
    return today.year * 12 + today.month - 1


def _month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def settlement_page(
    engine: Engine, viewer: Viewer, params: Mapping[str, str], now: float | None = None
) -> dict[str, Any]:
    """A month's settlement (`period`, YYYY-MM; this month so far when absent or not a month),
    narrowed to what the viewer may see, and for those who see every partner to `partner` when
    given. A month not over yet is counted up to `now` (`to_date`); `months` links this month
    and the earlier ones."""
    may_see_settlement(viewer)
    now = time.time() if now is None else now
    asked = (params.get("period") or "").strip()[:7]
    try:
        month = settlement.period(asked)
    except ApiError:
        asked, month = "", settlement.period(this_month(now))
    to_date = month.end > now  # this month (or one to come): its figures so far
    if to_date:
        month = replace(month, end=max(month.start, now))
    with reader(engine).connect() as conn:
        result = settlement.settle(conn, month)
    names = {line.partner: line.name or line.partner for line in result.partners}
    chosen = (params.get("partner") or "").strip()[:64]
    if not viewer.sees_every_partner:
        result, chosen = result.narrowed(viewer.partners), ""  # the link cannot widen it
    elif chosen:
        result = result.narrowed({chosen})
    shown = result.as_dict()
    pairs = [
        p | {"issuer_name": names.get(p["issuer"], p["issuer"]),
             "redeemer_name": names.get(p["redeemer"], p["redeemer"]) if p["redeemer"] else ""}
        for p in shown["pairs"]
    ]  # fmt: skip
    current = _month_index(now)
    return {
        "viewer": {"username": viewer.username, "role": viewer.role.value},
        "period": shown["period"],
        "period_words": month_words(shown["period"]),
        "to_date": to_date,
        "until_words": when_text(now) if to_date else "",
        "months": [
            {
                "period": _month_name(i),
                "words": month_words(_month_name(i)),
                "shown": _month_name(i) == shown["period"],
            }
            for i in range(current, current - MONTHS_LINKED - 1, -1)
        ],
        "asked": asked,
        "partner": chosen,
        "every_partner": viewer.sees_every_partner,
        "own": sorted(viewer.partners),
        "own_names": [names.get(p, p) for p in sorted(viewer.partners)],
        "partners": shown["partners"],
        "pairs": [p for p in pairs if not p["own"]],
        "own_spends": [p for p in pairs if p["own"]],
        "unpriced": shown["unpriced"],
        "as_of": now,
    }
