"""What each dashboard page shows, as plain data: one function a page, tested without HTTP.

The page's template only lays out what its function returns, and the same function answers
`?format=json`. Every query is narrowed to what the viewer may see (users.Viewer): a store
manager's numbers count their stores only, a campaign manager's their campaigns only.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, select, true

from server_stub.accounts.users import Viewer
from server_stub.dashboard.campaign_names import campaign_names
from server_stub.database.schema import (
    WEB_STORE,
    alerts,
    balances,
    conflicts,
    devices,
    member_stores,
    stores,
)
from server_stub.database.schema import event_counts as ec
from server_stub.prizes import voucher_pools, vouchers
from server_stub.records import maker_checker, reports
from server_stub.records.conflicts import ACTIONS, KINDS, count_open
from server_stub.records.event_counts import REDEMPTION

CONFLICT_KINDS = KINDS
CONFLICTS_PAGE = 100  # newest first; a link leads to the older ones


def _day_start(now: float) -> float:
    moment = datetime.fromtimestamp(now, UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _stores_clause(viewer: Viewer, column: Any) -> ColumnElement[bool]:
    return true() if viewer.sees_every_store else column.in_(viewer.stores)


def _campaigns_clause(viewer: Viewer, column: Any) -> ColumnElement[bool]:
    return true() if viewer.sees_every_campaign else column.in_(viewer.campaigns)


def _counted(viewer: Viewer) -> ColumnElement[bool]:
    """The redemptions (event_counts) the viewer may see."""
    where: ColumnElement[bool] = ec.c.kind == REDEMPTION
    if not viewer.sees_every_store:
        where = and_(where, ec.c.store_id.in_(viewer.stores))
    if not viewer.sees_every_campaign:
        where = and_(where, ec.c.campaign.in_(viewer.campaigns))
    return where


def overview(engine: Engine, viewer: Viewer, now: float | None = None) -> dict[str, Any]:
    """The numbers come from the counts ingest keeps (event_counts: redemptions by the hour
    they arrived), never from a scan of the events."""
    now = time.time() if now is None else now
    day, hour = int(_day_start(now) // 3600), int(now // 3600)
    seen = _counted(viewer)
    total = func.coalesce(func.sum(ec.c.count), 0)
    with engine.connect() as conn:

        def count(first: int, last: int) -> int:
            query = select(total).where(seen, ec.c.hour >= first, ec.c.hour <= last)
            return int(conn.execute(query).scalar_one())

        by_tier = [
            {"tier": r.tier or "-", "redemptions": int(r.n)}
            for r in conn.execute(
                select(ec.c.tier, total.label("n")).where(seen, ec.c.hour >= day)
                .group_by(ec.c.tier).order_by(total.desc())
            ) if r.n
        ]  # fmt: skip
        top_stores = [
            {"store": r.name or r.store_id, "store_id": r.store_id, "redemptions": int(r.n)}
            for r in conn.execute(
                select(ec.c.store_id, stores.c.name, total.label("n"))
                .join(stores, stores.c.id == ec.c.store_id, isouter=True)
                .where(seen, ec.c.hour >= day)
                .group_by(ec.c.store_id, stores.c.name)
                .order_by(total.desc()).limit(5)
            ) if r.n
        ]  # fmt: skip
        first = hour - 7 * 24 + 1
        hourly = {
            int(r.hour): int(r.n)
            for r in conn.execute(
                select(ec.c.hour, total.label("n")).where(seen, ec.c.hour >= first)
                .group_by(ec.c.hour)
            )
        }  # fmt: skip
        campaign_rows = reports.cost_against_budget(
            conn, None if viewer.sees_every_campaign else viewer.campaigns,
            None if viewer.sees_every_store else viewer.stores,
        )  # fmt: skip
        open_conflicts = count_open(
            conn, None if viewer.sees_every_store else viewer.stores,
            None if viewer.sees_every_campaign else viewer.campaigns,
        )  # fmt: skip
        silent = conn.execute(
            select(func.count()).select_from(devices)
            .join(stores, stores.c.id == devices.c.store_id)
            .where(
                devices.c.revoked_at.is_(None), devices.c.enrolled_at.is_not(None),
                func.coalesce(devices.c.last_seen, 0) < now - stores.c.silent_after_s,
                _stores_clause(viewer, devices.c.store_id), devices.c.store_id != WEB_STORE,
            )
        ).scalar_one()  # fmt: skip
        members = select(member_stores.c.member).where(
            _stores_clause(viewer, member_stores.c.store_id)
        )
        points = (
            conn.execute(
                select(func.coalesce(func.sum(balances.c.balance), 0)).where(
                    balances.c.member.in_(members)
                )
            ).scalar_one()
            if viewer.sees_every_campaign
            else None
        )  # points belong to no campaign
        this_hour, same_hour_yesterday = count(hour, hour), count(hour - 24, hour - 24)
        today = count(day, hour)
    return {
        "viewer": {"username": viewer.username, "role": viewer.role.value},
        "tiles": {
            "redemptions_today": today,
            "redemptions_this_hour": this_hour,
            "same_hour_yesterday": same_hour_yesterday,
            "open_conflicts": int(open_conflicts),
            "devices_silent": int(silent),
            "points_outstanding": None if points is None else int(points),
        },
        "by_tier": by_tier,
        "campaigns": campaign_rows,
        "campaign_names": campaign_names(engine, viewer),
        "pools": prize_pools(engine, viewer),
        "top_stores": top_stores,
        "hourly": [
            {
                "hour": datetime.fromtimestamp(h * 3600, UTC).isoformat(timespec="minutes"),
                "redemptions": hourly.get(h, 0),
            }
            for h in range(first, first + 7 * 24)
        ],
        "as_of": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
        "as_of_text": when_text(now),  # what the page says, and its script puts back
    }


def prize_pools(engine: Engine, viewer: Viewer) -> list[dict[str, Any]]:
    """Each voucher pool of the viewer's campaigns: free, held by devices, given, and whether it
    runs low (the alert `voucher_pool_low` was raised) or is empty."""
    counted = vouchers.pool_counts(engine)
    with engine.connect() as conn:
        known = voucher_pools.pools(conn)
    return [
        {**pool, "state": known[key].state_at(pool["free"]) if key in known else "ok"}
        for pool in counted
        if viewer.sees_every_campaign or pool["campaign"] in viewer.campaigns
        for key in [(pool["campaign"], pool["tier"])]
    ]


def stores_and_devices(engine: Engine, viewer: Viewer, now: float | None = None) -> dict[str, Any]:
    """Every device of the stores the viewer may see: last contact, chain, conflicts, alerts."""
    now = time.time() if now is None else now
    with engine.connect() as conn:
        conflict_counts = {
            r.loser_device: int(r.n)
            for r in conn.execute(
                select(conflicts.c.loser_device, func.count().label("n"))
                .where(conflicts.c.state == "open", _campaigns_clause(viewer, conflicts.c.campaign))
                .group_by(conflicts.c.loser_device)
            )
        }  # fmt: skip
        alert_counts = {
            r.device_id: int(r.n)
            for r in conn.execute(
                select(alerts.c.device_id, func.count().label("n"))
                .where(alerts.c.created >= now - 86400).group_by(alerts.c.device_id)
            )
        }  # fmt: skip
        # the shopper's web is a store nobody runs and a device that never syncs: not listed here
        store_rows = conn.execute(
            select(stores).where(_stores_clause(viewer, stores.c.id), stores.c.id != WEB_STORE)
            .order_by(stores.c.id)
        ).all()  # fmt: skip
        device_rows = conn.execute(
            select(devices).where(_stores_clause(viewer, devices.c.store_id),
                                  devices.c.store_id != WEB_STORE)
            .order_by(devices.c.store_id, devices.c.name)
        ).all()  # fmt: skip
    out = []
    for s in store_rows:
        listed = []
        for d in (d for d in device_rows if d.store_id == s.id):
            silent_for = None if d.last_seen is None else now - d.last_seen
            listed.append({
                "id": d.id, "name": d.name,
                "state": "revoked" if d.revoked_at else "enrolled" if d.enrolled_at else "waiting",
                "last_seen": _when(d.last_seen), "silent_s": silent_for,
                "silent": d.revoked_at is None and d.enrolled_at is not None
                and (silent_for is None or silent_for > s.silent_after_s),
                "chain_ok": bool(d.chain_ok), "events": int(d.max_seq),
                "pending": d.reported_pending, "oldest_pending_s": d.reported_oldest_s,
                "open_conflicts": conflict_counts.get(d.id, 0),
                "alerts_today": alert_counts.get(d.id, 0),
            })  # fmt: skip
        out.append({"id": s.id, "name": s.name, "devices": listed,
                    "silent_after_s": s.silent_after_s})  # fmt: skip
    return {"viewer": {"username": viewer.username, "role": viewer.role.value}, "stores": out}


def _when(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def ago(seconds: float | None) -> str:
    """'never', '40 s ago', '3 min ago', '2 h ago', '5 days ago': for the templates."""
    if seconds is None:
        return "never"
    span = timedelta(seconds=max(0, int(seconds)))
    if span.total_seconds() < 120:
        return f"{int(span.total_seconds())} s ago"
    if span.total_seconds() < 7200:
        return f"{int(span.total_seconds() // 60)} min ago"
    if span.days < 2:
        return f"{int(span.total_seconds() // 3600)} h ago"
    return f"{span.days} days ago"


def conflicts_page(
    engine: Engine, viewer: Viewer, params: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Conflicts the viewer may see (open ones unless asked otherwise, of a kind and a store
    when asked), both sides each, with any resolution awaiting a second person; and what the
    viewer may do about each."""
    params = params or {}
    state = params.get("state") if params.get("state") in ("open", "resolved") else "open"
    kind = params.get("kind") if params.get("kind") in CONFLICT_KINDS else None
    store = (params.get("store") or "").strip()[:64] or None
    before = params.get("before", "")
    older_than = int(before) if before.isdigit() and len(before) < 12 else None
    found = maker_checker.visible_conflicts(
        engine, viewer, state, kind, store, limit=CONFLICTS_PAGE, before=older_than
    )
    for c in found:
        pending = c["pending"]
        c["may_decide"] = bool(
            pending and viewer.may_approve and pending["proposed_by"] != viewer.username
        )
        c["may_propose"] = pending is None and c["state"] == "open"  # every role may propose
    return {"viewer": {"username": viewer.username, "role": viewer.role.value},
            "conflicts": found, "actions": ACTIONS, "state": state, "kind": kind or "",
            "store": store or "", "kinds": CONFLICT_KINDS,
            "older": found[-1]["id"] if len(found) == CONFLICTS_PAGE else None,
            "two_people": list(maker_checker.TWO_PEOPLE)}  # fmt: skip


def when_text(moment: float | None) -> str:
    """A server time as staff read it ("6 Dec 2026, 15:08 UTC"), for the templates."""
    if not moment:
        return "-"
    at = datetime.fromtimestamp(moment, UTC)
    return f"{at.day} {at:%b %Y, %H:%M} UTC"


def device_time_text(local_time: str | None) -> str:
    """A device's own clock reading (ISO, with its offset) as staff read it: "6 Dec 2026, 20:38
    (UTC+05:30)"; "-" for none, and as written when it is no time at all."""
    if not local_time:
        return "-"
    try:
        at = datetime.fromisoformat(local_time)
    except ValueError:
        return local_time
    offset = at.strftime("%z")
    zone = f" (UTC{offset[:3]}:{offset[3:]})" if offset else ""
    return f"{at.day} {at:%b %Y, %H:%M}{zone}"


def reports_page(engine: Engine, viewer: Viewer, params: Mapping[str, str]) -> dict[str, Any]:
    """One server report, grouped and narrowed to a date range, with its chart's bars: the
    viewer's stores and campaigns only. Anything not understood falls back to the default."""
    what = params.get("what", "redemptions")
    what = what if what in reports.REPORTS else "redemptions"
    by = params.get("by", "day")
    by = by if by in reports.GROUPS else "day"
    since, until = _day(params.get("since")), _day(params.get("until"))
    result = reports.report(
        engine, what, by, since, until,
        stores=None if viewer.sees_every_store else viewer.stores,
        campaigns_=None if viewer.sees_every_campaign else viewer.campaigns,
        with_budget=False,  # the overview shows each campaign's cost against its budget
    )  # fmt: skip
    measure = "earned" if what == "points" else "count"
    top = max((float(r.get(measure) or 0) for r in result["rows"]), default=0.0)
    bars = [
        {"key": r["key"] or "-", "value": r.get(measure) or 0,
         "share": (float(r.get(measure) or 0) / top) if top else 0.0}
        for r in result["rows"][:60]
    ]  # fmt: skip
    if not (viewer.sees_every_store and viewer.sees_every_campaign):
        result.pop("open", None)  # the chain's open count is not a store's or a campaign's
    return {
        "viewer": {"username": viewer.username, "role": viewer.role.value},
        "what": what, "by": by, "since": since or "", "until": until or "",
        "reports": reports.REPORTS, "groups": reports.GROUPS, "measure": measure,
        "result": result, "bars": bars,
    }  # fmt: skip


def _day(text: str | None) -> str | None:
    """A day as 2026-12-01, or None for anything else."""
    if not text:
        return None
    try:
        return datetime.strptime(text.strip()[:10], "%Y-%m-%d").date().isoformat()
    except ValueError:
        return None
