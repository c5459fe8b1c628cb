"""Accepted redemptions by the hour they arrived, per store, campaign and tier (the table is
described in schema.py): added to by each push, corrected when a resolution changes a verdict,
read by the dashboard's overview."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import Connection

from server_stub.database.schema import redemption_hours


class Counted(NamedTuple):
    received: float
    store_id: str
    campaign: str
    tier: str | None
    value: float


def add(conn: Connection, redemptions: Iterable[Counted], sign: int = 1) -> None:
    """Count accepted redemptions (sign 1), or take back ones no longer accepted (sign -1)."""
    groups: dict[tuple[int, str, str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for r in redemptions:
        group = groups[(int(r.received // 3600), r.store_id, r.campaign, r.tier or "")]
        group[0] += sign
        group[1] += sign * r.value
    if groups:
        conn.execute(redemption_hours.insert(), [
            {"hour": h, "store_id": s, "campaign": c, "tier": t, "count": int(n), "value": v}
            for (h, s, c, t), (n, v) in groups.items()
        ])  # fmt: skip
