"""Conflicts for the helpdesk: both sides named, filtered, resolved with an audit trail."""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from typing import Any, Literal, get_args

from sqlalchemy import Connection, Engine, func, or_, select, update

from server_stub.database.schema import claims, conflict_audit, conflicts, devices, events, stores
from server_stub.errors import ApiError, not_found
from server_stub.records import event_counts, feed

Action = Literal["accept_loss", "recover", "void_winner"]
ACTIONS: dict[str, str] = {
    "accept_loss": "the brand bears the cost; both redemptions stand",
    "recover": "the reward was taken back from the later shopper",
    "void_winner": "the first redemption was wrong; the later one takes the code",
}


# every kind a conflict may be, for the CLI's, the dashboard's and the admin API's filters
Kind = Literal[
    "double_redemption", "overdraft", "review", "limit_exceeded", "unconfirmed_spend",
    "double_spin",
]  # fmt: skip
KINDS: tuple[str, ...] = get_args(Kind)
_EVENT_FIELDS = {"seq": "seq", "kind": "kind", "cashier": "actor", "local_time": "local_time",
                 "server_time": "received", "verdict": "verdict", "payload": "payload"}  # fmt: skip


def _side_columns(side: str, event_id: Any, device_id: Any) -> tuple[list[Any], list[Any]]:
    """(columns, outer joins) that bring one side's device, store and event into the row."""
    e, d, s = events.alias(f"{side}_e"), devices.alias(f"{side}_d"), stores.alias(f"{side}_s")
    columns = [
        d.c.name.label(f"{side}_device_name"), d.c.store_id.label(f"{side}_store_id"),
        s.c.name.label(f"{side}_store_name"),
        *(e.c[column].label(f"{side}_{name}") for name, column in _EVENT_FIELDS.items()),
    ]  # fmt: skip
    joins = [(d, d.c.id == device_id), (s, s.c.id == d.c.store_id), (e, e.c.event_id == event_id)]
    return columns, joins


# What a viewer is told of a side in a store they do not look after: where and when, never who
# served whom (the cashier) or what the shopper gave (the payload: demographics, member).
_OTHER_STORE_FIELDS = ("seq", "kind", "local_time", "server_time", "verdict")


def _side(
    row: Any, side: str, event_id: str | None, device_id: str | None,
    details_for: Collection[str] | None,
) -> dict[str, Any]:  # fmt: skip
    found: dict[str, Any] = {"event_id": event_id, "device_id": device_id}
    m = row._mapping
    if m[f"{side}_device_name"] is not None:
        found |= {k: m[f"{side}_{k}"] for k in ("device_name", "store_id", "store_name")}
    if m[f"{side}_seq"] is not None:
        ours = details_for is None or found.get("store_id") in details_for
        names = _EVENT_FIELDS if ours else _OTHER_STORE_FIELDS
        found |= {name: m[f"{side}_{name}"] for name in names}
        if ours:
            found["payload"] = json.loads(found["payload"])
    return found


def list_conflicts(
    engine: Engine, state: str | None = None, kind: str | None = None, store: str | None = None,
    limit: int = 1000, within_stores: Collection[str] | None = None,
    within_campaigns: Collection[str] | None = None, conflict_id: int | None = None,
    before: int | None = None, details_for: Collection[str] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Newest first, each with both sides: devices, stores, cashiers, local and server times.
    `before`: only conflicts numbered below it (the next page of older ones).

    `details_for`: stores whose sides come with their cashier and payload; a side elsewhere
    shows only its store, device and times (None: every side in full).
    `store`: a side is in this store. `within_stores`, `within_campaigns`: only conflicts with a
    side in one of these stores, of one of these campaigns (a dashboard viewer's scope).
    One query: each side's device, store and event come in by outer joins.
    """
    first_cols, first_joins = _side_columns(
        "first", conflicts.c.winner_event, conflicts.c.winner_device
    )
    second_cols, second_joins = _side_columns(
        "second", conflicts.c.loser_event, conflicts.c.loser_device
    )
    source: Any = conflicts
    for table, on in (*first_joins, *second_joins):
        source = source.outerjoin(table, on)
    query = (
        select(conflicts, *first_cols, *second_cols).select_from(source)
        .order_by(conflicts.c.id.desc()).limit(limit)
    )  # fmt: skip
    if state:
        query = query.where(conflicts.c.state == state)
    if kind:
        query = query.where(conflicts.c.kind == kind)
    if store:
        query = query.where(or_(first_cols[1] == store, second_cols[1] == store))
    if within_stores is not None:
        wanted = list(within_stores)
        query = query.where(or_(first_cols[1].in_(wanted), second_cols[1].in_(wanted)))
    if within_campaigns is not None:
        query = query.where(conflicts.c.campaign.in_(list(within_campaigns)))
    if conflict_id is not None:
        query = query.where(conflicts.c.id == conflict_id)
    if before is not None:
        query = query.where(conflicts.c.id < before)
    out = []
    with engine.connect() as conn:
        for c in conn.execute(query):
            winner = _side(c, "first", c.winner_event, c.winner_device, details_for)
            loser = _side(c, "second", c.loser_event, c.loser_device, details_for)
            out.append({
                "id": c.id, "kind": c.kind, "state": c.state, "campaign": c.campaign,
                "serial": c.serial, "code": c.code, "reward": c.reward,
                # the member is the later event's shopper: theirs to see where that side is
                "member": c.member if details_for is None or loser.get("store_id") in details_for
                else None,
                "value": c.value, "points": c.points, "created": c.created,
                "first": winner, "second": loser,
                "devices": [winner.get("device_id"), loser.get("device_id")],
                "device_names": [winner.get("device_name"), loser.get("device_name")],
                "resolution": None if c.state == "open" else {
                    "action": c.action, "by": c.resolved_by, "note": c.note, "at": c.resolved_at,
                },
            })  # fmt: skip
    return out


def count_open(
    conn: Connection, within_stores: Collection[str] | None = None,
    within_campaigns: Collection[str] | None = None,
) -> int:  # fmt: skip
    """Open conflicts with a side in one of `within_stores` (either side: a store manager's
    store may have won or lost), of one of `within_campaigns`; None for all."""
    query = select(func.count()).select_from(conflicts).where(conflicts.c.state == "open")
    if within_stores is not None:
        ours = select(devices.c.id).where(devices.c.store_id.in_(list(within_stores)))
        query = query.where(
            or_(conflicts.c.winner_device.in_(ours), conflicts.c.loser_device.in_(ours))
        )
    if within_campaigns is not None:
        query = query.where(conflicts.c.campaign.in_(list(within_campaigns)))
    return int(conn.execute(query).scalar_one())


REVIEW_WINDOW_S = 24 * 3600  # a revoked device's events this recent are looked at again
REVIEW_MAX = 100
_REVIEWED_KINDS = ("redeem", "accrue", "checkin", "spend")


def flag_for_review(conn: Connection, device_id: str, now: float) -> int:
    """Put a revoked device's last accepted events (a day's, at most 100) on the conflicts list
    as `review`, so a person decides whether each stands (accept_loss) or is taken back
    (recover). Returns how many."""
    recent = conn.execute(
        select(events).where(events.c.device_id == device_id)
        .order_by(events.c.seq.desc()).limit(REVIEW_MAX * 4)
    ).fetchall()  # fmt: skip
    flagged = [
        e for e in recent
        if e.verdict == "accepted" and e.kind in _REVIEWED_KINDS
        and e.received >= now - REVIEW_WINDOW_S
    ][:REVIEW_MAX]  # fmt: skip
    if flagged:
        conn.execute(conflicts.insert(), [{
            "kind": "review", "campaign": e.campaign, "serial": e.serial,
            "code": json.loads(e.payload).get("code") if e.kind == "redeem" else None,
            "member": e.member, "winner_event": None, "winner_device": None,
            "loser_event": e.event_id, "loser_device": device_id,
            "reward": e.tier or "", "value": e.value, "points": e.points, "created": now,
        } for e in flagged])  # fmt: skip
    return len(flagged)


def resolve(engine: Engine, conflict_id: int, action: str, by: str, note: str) -> dict[str, Any]:
    """Close a conflict; what was done, by whom, when and why goes into the audit trail."""
    if action not in ACTIONS:
        raise ApiError(422, "bad_action", f"action must be one of {', '.join(ACTIONS)}")
    if not by.strip() or not note.strip():
        raise ApiError(422, "bad_request", "say who resolves it (--by) and why (--note)")
    now = time.time()
    with engine.begin() as conn:
        c = conn.execute(select(conflicts).where(conflicts.c.id == conflict_id)).first()
        if c is None:
            raise not_found(f"conflict {conflict_id}")
        if c.state != "open":
            raise ApiError(
                409,
                "already_resolved",
                f"conflict {conflict_id} was resolved ({c.action}) by {c.resolved_by}",
            )
        if action == "void_winner":
            if c.kind != "double_redemption" or c.winner_event is None:
                raise ApiError(422, "bad_action", "void_winner applies to double redemptions only")
            _pass_code_to_loser(conn, c, now)
        elif action == "recover":
            _set_verdict(
                conn, c.loser_device, c.loser_event, "rejected", f"recovered: {note}", c.id
            )
        conn.execute(
            update(conflicts)
            .where(conflicts.c.id == conflict_id)
            .values(state="resolved", action=action, resolved_by=by, note=note, resolved_at=now)
        )
        conn.execute(
            conflict_audit.insert().values(
                conflict_id=conflict_id, action=action, by=by, note=note, at=now
            )
        )
    return {
        "id": conflict_id,
        "state": "resolved",
        "action": action,
        "by": by,
        "note": note,
        "at": now,
    }


def _pass_code_to_loser(conn: Connection, c: Any, now: float) -> None:
    conn.execute(
        update(claims).where(claims.c.campaign == c.campaign, claims.c.serial == c.serial)
        .values(event_id=c.loser_event, device_id=c.loser_device)
    )  # fmt: skip
    _set_verdict(
        conn,
        c.winner_device,
        c.winner_event,
        "rejected",
        "voided by the helpdesk in favour of the other redemption",
        c.id,
    )
    _set_verdict(
        conn, c.loser_device, c.loser_event, "accepted", "the other redemption was voided", c.id
    )


def _set_verdict(
    conn: Connection, device_id: str, event_id: str, verdict: str, reason: str, conflict_id: int
) -> None:
    event_counts.recount(conn, event_id, verdict)
    conn.execute(
        update(events).where(events.c.event_id == event_id).values(verdict=verdict, reason=reason)
    )
    feed.notice(conn, device_id, event_id, verdict, reason, conflict_id)
