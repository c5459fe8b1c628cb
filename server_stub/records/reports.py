"""Reports for campaign managers: redemptions, conflicts and points, grouped as asked.

Read from the counts ingest keeps (event_counts, which also says what counts as what), never from
the events: a report costs as much as the hours and groups it covers, however many events they
hold. Redemptions are codes won, one per code; the prizes handed out a second time at double
redemptions stand beside them under their own name. Times are the device's local time, the hour
a shopper stood at the counter.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, Connection, Engine, Table, func, or_, select

from server_stub.database.schema import campaigns, conflicts, devices, stores
from server_stub.database.schema import event_counts as ec
from server_stub.database.schema import shared_counts as sc
from server_stub.errors import ApiError
from server_stub.records.csv_cells import guarded
from server_stub.records.event_counts import (
    CONFLICT_KINDS,
    DEMOGRAPHICS,
    DOUBLE_REDEMPTION,
    POINTS,
    REDEMPTION,
)

ReportName = Literal["redemptions", "conflicts", "points"]
GroupName = Literal[
    "day", "hour", "tier", "store", "device", "cashier", "campaign", "age_band", "gender", "city"
]
REPORTS: tuple[str, ...] = get_args(ReportName)
GROUPS: tuple[str, ...] = get_args(GroupName)
NOT_GIVEN = "not given"  # a shopper who did not agree to share it


def _group_column(by: str) -> ColumnElement[Any]:
    return {
        "day": ec.c.day, "hour": ec.c.local_hour, "tier": ec.c.tier, "store": ec.c.store_id,
        "device": ec.c.device_id, "cashier": ec.c.cashier, "campaign": ec.c.campaign,
    }[by]  # fmt: skip


def _summed(table: Table, column: str, kind: str | None = None) -> ColumnElement[Any]:
    total = func.sum(table.c[column])
    return func.coalesce(total if kind is None else total.filter(table.c.kind == kind), 0)


def _measures(what: str, t: Table) -> tuple[list[str], list[Any], ColumnElement[bool]]:
    """(the kinds read, the measures, which groups have something to show) from a counts
    table (event_counts or shared_counts)."""
    if what == "redemptions":
        count, doubles = _summed(t, "count", REDEMPTION), _summed(t, "count", DOUBLE_REDEMPTION)
        return [REDEMPTION, DOUBLE_REDEMPTION], [
            count.label("count"), _summed(t, "value", REDEMPTION).label("value"),
            doubles.label("double_redemptions"),
            _summed(t, "value", DOUBLE_REDEMPTION).label("double_redemption_cost"),
        ], or_(count != 0, doubles != 0)  # fmt: skip
    count = _summed(t, "count")
    if what == "points":
        measures = [_summed(t, "earned").label("earned"), _summed(t, "spent").label("spent")]
        return [POINTS], [count.label("count"), *measures], count != 0
    by_kind = [_summed(t, "count", kind).label(kind) for kind in CONFLICT_KINDS]
    return (
        list(CONFLICT_KINDS),
        [count.label("count"), *by_kind, _summed(t, "value").label("value")],
        (count != 0),
    )


def report(
    engine: Engine, what: str, by: str, since: str | None = None, until: str | None = None,
    stores: Collection[str] | None = None, campaigns_: Collection[str] | None = None,
    with_budget: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """`since`, `until`: days (2026-12-01) of the device's local time, both included.
    `stores`, `campaigns_`: only these (a dashboard viewer's scope); None for all.
    `with_budget`: add each campaign's reward cost against its budget."""
    if what not in REPORTS:
        raise ApiError(422, "bad_report", f"report must be one of {', '.join(REPORTS)}")
    if by not in GROUPS:
        raise ApiError(422, "bad_group", f"--by must be one of {', '.join(GROUPS)}")

    def narrowed(t: Table) -> tuple[list[Any], ColumnElement[bool], list[ColumnElement[bool]]]:
        kinds, measures, showing = _measures(what, t)
        where: list[ColumnElement[bool]] = [t.c.kind.in_(kinds)]
        if since:
            where.append(t.c.day >= since)
        if until:
            where.append(t.c.day <= until)
        if stores is not None:
            where.append(t.c.store_id.in_(list(stores)))
        if campaigns_ is not None:
            where.append(t.c.campaign.in_(list(campaigns_)))
        return measures, showing, where

    with engine.connect() as conn:
        if by in DEMOGRAPHICS:
            rows = _demographic(conn, what, by, narrowed)
        else:
            measures, showing, where = narrowed(ec)
            key = _group_column(by).label("key")
            query = select(key, *measures).where(*where).group_by(key).having(showing)
            rows = [_plain(dict(r._mapping)) for r in conn.execute(query.order_by(key))]
        result: dict[str, Any] = {"report": what, "by": by, "rows": rows}
        if what == "redemptions" and with_budget:
            result["budget"] = cost_against_budget(conn)
        if what == "conflicts":
            result["open"] = conn.execute(
                select(func.count()).where(conflicts.c.state == "open")
            ).scalar_one()
        if by == "device":
            names = dict(conn.execute(select(devices.c.id, devices.c.name)).all())
            for row in rows:
                row["name"] = names.get(row["key"], "")
    return result


def store_names(engine: Engine) -> dict[str, str]:
    """Every store's name by its id: how a report grouped by store names its rows for people."""
    with engine.connect() as conn:
        return {str(r.id): str(r.name) for r in conn.execute(select(stores.c.id, stores.c.name))}


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    row["key"] = "" if row["key"] is None else str(row["key"])
    for name, value in row.items():  # PostgreSQL sums come back as Decimal
        if isinstance(value, Decimal):
            row[name] = int(value) if value == value.to_integral_value() else float(value)
    return row


def _demographic(
    conn: Connection, what: str, by: str,
    narrowed: Callable[[Table], tuple[list[Any], ColumnElement[bool], list[ColumnElement[bool]]]],
) -> list[dict[str, Any]]:  # fmt: skip
    """Grouped by what shoppers agreed to share (shared_counts); everyone else, the whole count
    (event_counts) less those, is one group: "not given". Points count net, as `value`."""
    measures, showing, where = narrowed(sc)
    key = sc.c[by].label("key")
    query = select(key, *measures).where(*where, key != "").group_by(key).having(showing)
    rows = [_plain(dict(r._mapping)) for r in conn.execute(query)]
    measures, _, where = narrowed(ec)
    whole = _plain(
        {"key": NOT_GIVEN, **conn.execute(select(*measures).where(*where)).one()._mapping}
    )
    for row in rows:
        for name in row:
            if name != "key":
                whole[name] -= row[name]
    if any(whole[name] for name in ("count", "double_redemptions") if name in whole):
        rows.append(whole)
    if what == "points":
        rows = [{"key": r["key"], "count": r["count"], "value": r["earned"] - r["spent"]}
                for r in rows]  # fmt: skip
    return sorted(rows, key=lambda r: str(r["key"]))


def cost_against_budget(
    conn: Connection, campaigns_: Collection[str] | None = None,
    stores: Collection[str] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Each campaign's redemptions and their reward cost, the prizes given a second time at
    double redemptions and theirs, and both against its budget. `campaigns_`, `stores`: only
    these (a viewer's scope); None for all."""
    where: list[ColumnElement[bool]] = [ec.c.kind.in_((REDEMPTION, DOUBLE_REDEMPTION))]
    if stores is not None:
        where.append(ec.c.store_id.in_(list(stores)))
    spent = {
        r.campaign: r
        for r in conn.execute(
            select(
                ec.c.campaign, _summed(ec, "count", REDEMPTION).label("n"),
                _summed(ec, "value", REDEMPTION).label("cost"),
                _summed(ec, "count", DOUBLE_REDEMPTION).label("doubles"),
                _summed(ec, "value", DOUBLE_REDEMPTION).label("double_cost"),
            ).where(*where).group_by(ec.c.campaign)
        )
    }  # fmt: skip
    out = []
    listed = select(campaigns.c.id, campaigns.c.issued, campaigns.c.budget).order_by(campaigns.c.id)
    if campaigns_ is not None:
        listed = listed.where(campaigns.c.id.in_(list(campaigns_)))
    for c in conn.execute(listed):
        s = spent.get(c.id)
        redeemed, cost = (int(s.n), float(s.cost)) if s else (0, 0.0)
        doubles, double_cost = (int(s.doubles), float(s.double_cost)) if s else (0, 0.0)
        out.append({
            "campaign": c.id, "issued": int(c.issued), "redeemed": redeemed,
            "rate": (redeemed / int(c.issued)) if c.issued else 0.0,
            "cost": cost, "double_redemptions": doubles, "double_redemption_cost": double_cost,
            "budget": c.budget,
            "used": None if not c.budget else round((cost + double_cost) / c.budget, 4),
        })  # fmt: skip
    return out


def to_csv_rows(result: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The header and rows, every text cell kept from running as a formula (csv_cells)."""
    rows = result["rows"]
    header = list(rows[0]) if rows else ["key", "count"]
    named = [column_name(result, h) for h in header]  # "store", not "key", for a spreadsheet
    return [guarded(h) for h in named], [[guarded(r.get(h, "")) for h in header] for r in rows]


def column_name(result: dict[str, Any], column: str) -> str:
    """A column as people read it: the grouping's own name (store, day, cashier) for `key`."""
    return str(result.get("by") or "key") if column == "key" else column
