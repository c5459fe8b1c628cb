"""What an event counts as, in one place, and the counts ingest keeps of it (the tables
`event_counts` and, for what shoppers agreed to share, `shared_counts`; described in schema.py)
for the overview, the reports and each campaign's cost.

A **redemption** is a code won: the accepted claim of a code, one per code. The later side of a
double redemption is not a second redemption; while it stands (its verdict is `conflict`) it is a
**double redemption**, a prize handed out a second time, counted and costed under that name.
A redemption undone on its till (an accepted void) counts as neither, and a resolution that
changes a verdict moves the event from one count to the other (`recount`). Points events (their
verdict accepted or conflict, moving points) count as **points**, but for a spend that overdrew
a balance: it consumed no lot, so it spent nothing (the points report's "spent" is what the lots
gave, lot_uses). A points event in conflict counts as its conflict's kind, read from its reason:
an **overdraft**, a **limit_exceeded** (its points stand) or an **unconfirmed_spend** (a spend
above the code threshold without the member's code; its points stand); events stored before
conflicts had kinds were moved by migration 0020. The conflicts report is the double
redemptions and these.

The tables are append-only: each push adds one row per group, a void or a resolution adds rows
with negative counts, and readers sum. Pushes never update a row, so they never wait for each
other over one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from server_stub.database.schema import event_counts, events, shared_counts

REDEMPTION = "redemption"
DOUBLE_REDEMPTION = "double_redemption"
OVERDRAFT = "overdraft"
LIMIT_EXCEEDED = "limit_exceeded"
UNCONFIRMED_SPEND = "unconfirmed_spend"
POINTS = "points"
KINDS = (REDEMPTION, DOUBLE_REDEMPTION, OVERDRAFT, LIMIT_EXCEEDED, UNCONFIRMED_SPEND, POINTS)
# what the conflicts report counts
CONFLICT_KINDS = (DOUBLE_REDEMPTION, OVERDRAFT, LIMIT_EXCEEDED, UNCONFIRMED_SPEND)
_POINTS_CONFLICTS = (OVERDRAFT, LIMIT_EXCEEDED, UNCONFIRMED_SPEND)

DEMOGRAPHICS = ("age_band", "gender", "city")
_POINT_KINDS = ("accrue", "checkin", "spend", "void", "spin")
_STANDING = ("accepted", "conflict")  # verdicts whose reward or points left the store
_TEXT = 64  # a demographic value is cut to this; shoppers type them
_NOTHING = ("", "", "")


def counts_as(kind: str, verdict: str, points: int, reason: str = "") -> tuple[str, ...]:
    """The counts an event with this kind, verdict, points and reason (`overdraft: ...`, which
    names a conflict's kind) belongs to: the one definition."""
    found: list[str] = []
    named = reason.partition(":")[0]
    conflict = named if named in _POINTS_CONFLICTS else OVERDRAFT
    if kind == "redeem":
        if verdict == "accepted":
            found.append(REDEMPTION)
        elif verdict == "conflict":
            found.append(DOUBLE_REDEMPTION)
    elif verdict == "conflict" and kind != "spin":  # a double spin is no overdraft
        found.append(conflict)
    overdrawn = verdict == "conflict" and conflict == OVERDRAFT and kind == "spend"
    if kind in _POINT_KINDS and points != 0 and verdict in _STANDING and not overdrawn:
        found.append(POINTS)
    return tuple(found)


class Group(NamedTuple):
    """Everything a count is kept by. Missing text is "" (a tier a points event lacks)."""

    hour: int  # Unix time // 3600 of arrival: the overview's live hours
    day: str  # the device's local day, 2026-12-01: the reports' days
    local_hour: str  # the device's local hour, "00" to "23"
    campaign: str
    tier: str
    store_id: str
    device_id: str
    cashier: str


class Counted(NamedTuple):
    """One event's part in one count, and what its shopper agreed to share (age band, gender,
    city; "" for each one left out)."""

    group: Group
    kind: str
    value: float
    points: int
    shared: tuple[str, str, str]


def shared(context: Any) -> tuple[str, str, str]:
    """(age_band, gender, city) as the shopper agreed to share them (`consent` true), else ""."""
    if not isinstance(context, dict) or context.get("consent") is not True:
        return "", "", ""
    found = []
    for name in DEMOGRAPHICS:
        value = context.get(name)
        found.append(value.replace("\x00", "")[:_TEXT] if isinstance(value, str) else "")
    return found[0], found[1], found[2]


def of_event(
    row: Mapping[Any, Any], verdict: str, payload: Any, reason: str | None = None
) -> list[Counted]:
    """What one event counts as. `row` has the events table's columns; `payload` its payload
    read (a dict), or None where the event has no context to share; `reason` its reason where
    `row` has none yet (an event of the push being stored)."""
    reason = str(row.get("reason") or "") if reason is None else reason
    kinds = counts_as(row["kind"], verdict, int(row["points"] or 0), reason)
    if not kinds:
        return []
    context = payload.get("context") if isinstance(payload, dict) else None
    local = str(row["local_time"])
    group = Group(
        int(row["received"] // 3600), local[:10], local[11:13], row["campaign"] or "",
        row["tier"] or "", row["store_id"], row["device_id"], row["actor"] or "",
    )  # fmt: skip
    value, points, given = float(row["value"] or 0), int(row["points"] or 0), shared(context)
    return [Counted(group, kind, value, points, given) for kind in kinds]


def add(conn: Connection, counted: Iterable[Counted], sign: int = 1) -> None:
    """Add a row per group and kind (sign 1), or take them back (sign -1)."""
    counts, shared_rows = rows(counted, sign)
    if counts:
        conn.execute(event_counts.insert(), counts)
    if shared_rows:
        conn.execute(shared_counts.insert(), shared_rows)


def rows(
    counted: Iterable[Counted], sign: int = 1
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows `add` writes: event_counts' and shared_counts'."""
    sums: dict[tuple[Group, str], list[Any]] = defaultdict(lambda: [0, 0.0, 0, 0])
    given: dict[tuple[str, ...], list[Any]] = defaultdict(lambda: [0, 0.0, 0, 0])
    for c in counted:
        totals = [sums[(c.group, c.kind)]]
        if c.shared != _NOTHING:
            g = c.group
            totals.append(given[(g.day, c.kind, g.campaign, g.store_id, *c.shared)])
        for total in totals:
            total[0] += sign
            total[1] += sign * c.value
            total[2 if c.points > 0 else 3] += sign * abs(c.points)
    names = ("day", "kind", "campaign", "store_id", *DEMOGRAPHICS)
    return [
        {**group._asdict(), "kind": kind, "count": n, "value": v, "earned": e, "spent": s}
        for (group, kind), (n, v, e, s) in sums.items()
    ], [
        {**dict(zip(names, key, strict=True)), "count": n, "value": v, "earned": e, "spent": s}
        for key, (n, v, e, s) in given.items()
    ]  # fmt: skip


def of_stored(conn: Connection, event_ids: list[str]) -> list[Counted]:
    """What stored events count as now, by their present verdicts."""
    if not event_ids:
        return []
    found: list[Counted] = []
    for row in conn.execute(select(events).where(events.c.event_id.in_(event_ids))):
        found += of_event(row._mapping, row.verdict, _context_payload(row.payload))
    return found


def _context_payload(text: str) -> Any:
    """The payload read only where it may hold something shared (most hold nothing)."""
    return json.loads(text) if '"consent"' in text else None


def recount(conn: Connection, event_id: str, verdict: str) -> None:
    """A resolution is changing a stored event's verdict: move it between the counts. An event
    its till voided counts nothing already, whatever its verdict."""
    row = conn.execute(select(events).where(events.c.event_id == event_id)).first()
    if row is None or row.verdict == verdict or voided(conn, row.device_id, event_id):
        return
    payload = _context_payload(row.payload)
    add(conn, of_event(row._mapping, row.verdict, payload), sign=-1)
    add(conn, of_event(row._mapping, verdict, payload))


def voided(conn: Connection, device_id: str, event_id: str) -> bool:
    """Whether the event's own till voided it (a void may only name its own device's events)."""
    query = select(events.c.event_id).where(
        events.c.kind == "void", events.c.verdict == "accepted",
        events.c.device_id == device_id, events.c.target == event_id,
    ).limit(1)  # fmt: skip
    return conn.execute(query).first() is not None
