"""Point limits again at the server: every accrual, check-in and spend of a push, after the
server has recounted its points and judged its balance (device_api/points.py), is judged against
the limits (loyalty/limits.py) with what every device has sent, not only the one pushing.

- A total reaching a soft limit's lower bound writes an alert naming the device and the cashier
  (alerts.actor), for security staff on the dashboard's Alerts page.
- A total past a soft limit's upper bound or a hard limit makes the event a conflict,
  `limit_exceeded`, with an alert too. Never a rejection: a device only sends what it already
  gave the shopper (its own check let it through, with what it could see offline), so the
  points stand, counted, and security staff decide on the Conflicts page (accept the loss, or
  recover: the event is then rejected and its points taken back).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from server_stub.catalog import point_limits
from server_stub.database.schema import alerts
from server_stub.device_api import point_lots
from server_stub.device_api.push_reading import POINT_KINDS
from server_stub.device_api.push_state import Incoming, Push
from server_stub.device_api.recheck import LATE_WINDOW_S
from server_stub.loyalty import limits
from sync.protocol import CLOCK_WINDOW_S

LIMIT_EXCEEDED = "limit_exceeded"


def check_point_limits(conn: Connection, state: Push) -> None:
    """Judge the push's standing points events; alerts and conflicts as the module says."""
    items = [
        i for i in state.incoming
        if i.event["kind"] in POINT_KINDS and i.verdict in ("accepted", "conflict")
    ]  # fmt: skip
    if not items:
        return
    device = state.device
    rules = point_limits.for_store(conn, device.store_id)
    if not rules:
        return
    partner = point_limits.partner_of(conn, device.store_id)
    tally = limits.Tally(conn, LATE_WINDOW_S, CLOCK_WINDOW_S)
    rows = []
    found: dict[str, int | None] = {}  # a till's member key: the member it names
    for item in items:
        if item.member not in found:
            member = point_lots.find(conn, item.member)
            found[item.member] = None if member is None else member.id
        op = limits.Operation(
            kind=item.event["kind"], points=abs(int(item.row["points"])), member=item.member,
            actor=item.row["actor"] or "", store_id=device.store_id, partner_id=partner,
            device_id=device.id, device_name=device.name, at=_made(item),
            member_id=found[item.member],
        )  # fmt: skip
        for finding in tally.judge(rules, op):
            what = f"{op.kind} {item.event['seq']} ({op.points} points, {op.member})"
            rows.append({
                "device_id": device.id, "actor": op.actor, "created": state.now,
                "kind": "point_limit" if finding.level == "soft" else LIMIT_EXCEEDED,
                "message": f"{device.name}, cashier {op.actor or '-'}: {what}: {finding.sentence()}",
            })  # fmt: skip
            if finding.level == "block" and item.verdict == "accepted":
                item.verdict = "conflict"
                item.reason = f"{LIMIT_EXCEEDED}: {finding.sentence()}"
                state.conflict(item, LIMIT_EXCEEDED, points=item.row["points"])
    if rows:
        conn.execute(alerts.insert(), rows)


def _made(item: Incoming) -> float:
    """When the event was made: its device's clock where believable (as a check-in's day is
    read), else when it arrived."""
    received = float(item.row["received"])
    try:
        made = datetime.fromisoformat(item.event["local_time"]).timestamp()
    except ValueError:
        return received
    if not received - LATE_WINDOW_S <= made <= received + CLOCK_WINDOW_S:
        return received
    return made
