"""Reports for campaign managers: redemptions, conflicts and points, grouped as asked.

Redemptions count what shoppers were given: accepted redemptions and the later side of each
double redemption (the reward left the store either way). Times are the device's local time,
the hour a shopper stood at the counter.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, Engine, func, select

from server_stub.database.schema import campaigns, conflicts, devices, events
from server_stub.errors import ApiError
from server_stub.records.csv_cells import guarded

ReportName = Literal["redemptions", "conflicts", "points"]
GroupName = Literal[
    "day", "hour", "tier", "store", "device", "cashier", "campaign", "age_band", "gender", "city"
]
REPORTS: tuple[str, ...] = get_args(ReportName)
GROUPS: tuple[str, ...] = get_args(GroupName)
DEMOGRAPHICS = ("age_band", "gender", "city")


def _group_column(by: str) -> ColumnElement[Any]:
    return {
        "day": func.substr(events.c.local_time, 1, 10),
        "hour": func.substr(events.c.local_time, 12, 2),
        "tier": events.c.tier,
        "store": events.c.store_id,
        "device": events.c.device_id,
        "cashier": events.c.actor,
        "campaign": events.c.campaign,
    }[by]


def report(
    engine: Engine, what: str, by: str, since: str | None = None, until: str | None = None,
    stores: Collection[str] | None = None, campaigns_: Collection[str] | None = None,
    with_budget: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """`since`, `until`: days (2026-12-01) of the device's local time, both included.
    `stores`, `campaigns_`: only these (a dashboard viewer's scope); None for all.
    `with_budget`: add each campaign's reward cost against its budget (a second scan)."""
    if what not in REPORTS:
        raise ApiError(422, "bad_report", f"report must be one of {', '.join(REPORTS)}")
    if by not in GROUPS:
        raise ApiError(422, "bad_group", f"--by must be one of {', '.join(GROUPS)}")
    with engine.connect() as conn:
        counted = [
            func.count().label("count"),
            func.coalesce(func.sum(events.c.value), 0).label("value"),
        ]
        if what == "redemptions":
            where = [events.c.kind == "redeem", events.c.verdict.in_(("accepted", "conflict"))]
            measures = counted
        elif what == "points":
            # kind != "redeem" too: the words of the events_points index, so SQLite uses it
            where = [events.c.kind.in_(("accrue", "checkin", "spend", "void")), events.c.points != 0,
                     events.c.verdict.in_(("accepted", "conflict")), events.c.kind != "redeem"]  # fmt: skip
            earned = func.sum(events.c.points).filter(events.c.points > 0)
            spent = -func.sum(events.c.points).filter(events.c.points < 0)
            measures = [
                func.count().label("count"),
                func.coalesce(earned, 0).label("earned"),
                func.coalesce(spent, 0).label("spent"),
            ]
        else:
            where = [events.c.conflict_id.is_not(None), events.c.verdict == "conflict"]
            measures = counted
        day = func.substr(events.c.local_time, 1, 10)
        if since:
            where.append(day >= since)
        if until:
            where.append(day <= until)
        if stores is not None:
            where.append(events.c.store_id.in_(list(stores)))
        if campaigns_ is not None:
            where.append(events.c.campaign.in_(list(campaigns_)))
        if by in DEMOGRAPHICS:
            rows = _demographic(
                conn.execute(
                    select(events.c.payload, events.c.value, events.c.points).where(*where)
                ),
                by,
                what,
            )
        else:
            key = _group_column(by).label("key")
            query = select(key, *measures).where(*where).group_by(key).order_by(key)
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            row["key"] = "" if row["key"] is None else str(row["key"])
            for name, value in row.items():  # PostgreSQL sums come back as Decimal
                if isinstance(value, Decimal):
                    row[name] = int(value) if value == value.to_integral_value() else float(value)
        result: dict[str, Any] = {"report": what, "by": by, "rows": rows}
        if what == "redemptions" and with_budget:
            result["budget"] = _cost_against_budget(conn)
        if what == "conflicts":
            result["open"] = conn.execute(
                select(func.count()).where(conflicts.c.state == "open")
            ).scalar_one()
        if by == "device":
            names = dict(conn.execute(select(devices.c.id, devices.c.name)).all())
            for row in rows:
                row["name"] = names.get(row["key"], "")
    return result


def _demographic(rows: Any, by: str, what: str) -> list[dict[str, Any]]:
    """Grouped by what shoppers agreed to share; those who did not are counted as 'not given'."""
    totals: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "value": 0.0})
    for r in rows:
        context = json.loads(r.payload).get("context") or {}
        shared = context.get("consent") is True and context.get(by)
        bucket = totals[str(context[by]) if shared else "not given"]
        bucket["count"] += 1
        bucket["value"] += r.value if what != "points" else r.points
    return [{"key": k, **v} for k, v in sorted(totals.items())]


def _cost_against_budget(conn: Any) -> list[dict[str, Any]]:
    spent = dict(
        conn.execute(
            select(events.c.campaign, func.coalesce(func.sum(events.c.value), 0))
            .where(events.c.kind == "redeem", events.c.verdict.in_(("accepted", "conflict")))
            .group_by(events.c.campaign)
        ).all()
    )
    out = []
    for row in conn.execute(select(campaigns.c.id, campaigns.c.budget).order_by(campaigns.c.id)):
        cost = float(spent.get(row.id, 0) or 0)
        out.append({
            "campaign": row.id, "cost": cost, "budget": row.budget,
            "used": None if not row.budget else round(cost / row.budget, 4),
        })  # fmt: skip
    return out


def to_csv_rows(result: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The header and rows, every text cell kept from running as a formula (csv_cells)."""
    rows = result["rows"]
    header = list(rows[0]) if rows else ["key", "count"]
    return [guarded(h) for h in header], [[guarded(r.get(h, "")) for h in header] for r in rows]
