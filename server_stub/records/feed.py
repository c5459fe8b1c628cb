"""The pull feed: what devices learn from each other through the server, read by cursor.

Every change a device must hear of is one row: a code redeemed (for every other device), a code
released by a void, a notice about one device's event, a member's balance (for the stores where
the member was seen). A device pulls rows after its cursor, so nothing is missed or sent twice.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection, select

from server_stub.database.schema import feed, member_stores


def redeemed(conn: Connection, origin: str, keys: list[tuple[str, int]], now: float) -> None:
    """Codes taken by `origin`; one row for a whole batch (a push of 500 adds one feed row)."""
    _codes(conn, "redeemed", origin, keys, now)


def released(conn: Connection, origin: str, keys: list[tuple[str, int]], now: float) -> None:
    """Codes free again (their redemption was voided)."""
    _codes(conn, "released", origin, keys, now)


def _codes(
    conn: Connection, kind: str, origin: str, keys: list[tuple[str, int]], now: float
) -> None:
    if keys:
        conn.execute(feed.insert(), codes_row(kind, origin, keys, now))


def codes_row(kind: str, origin: str, keys: list[tuple[str, int]], now: float) -> dict[str, Any]:
    """The feed's row for codes taken (`redeemed`) or free again (`released`)."""
    return {"kind": kind, "origin_device": origin, "data": json.dumps(keys), "created": now}


def notice(
    conn: Connection, device_id: str, event_id: str, verdict: str, reason: str,
    conflict_id: int | None,
) -> None:  # fmt: skip
    notices(conn, device_id, [(event_id, verdict, reason, conflict_id)])


def notices(
    conn: Connection, device_id: str, items: list[tuple[str, str, str, int | None]]
) -> None:
    """Later verdicts for one device's events: (event_id, verdict, reason, conflict_id)."""
    conn.execute(
        feed.insert(),
        [{"kind": "notice", "target_device": device_id, "created": time.time(),
          "data": json.dumps({"event_id": e, "verdict": v, "reason": r, "conflict_id": c})}
         for e, v, r, c in items],
    )  # fmt: skip


def balances(
    conn: Connection, origin: str, new: dict[str, int], now: float,
    lots: dict[str, list[dict[str, Any]]] | None = None,
) -> None:  # fmt: skip
    """Tell every store where each member was seen (the origin too: it learns the true total),
    with the member's open lots when given (the wire's WireLot fields)."""
    stores = conn.execute(
        select(member_stores.c.member, member_stores.c.store_id).where(
            member_stores.c.member.in_(sorted(new))
        )
    )
    conn.execute(
        feed.insert(),
        [{"kind": "balance", "target_store": r.store_id, "data": json.dumps([r.member, new[r.member]] + ([lots.get(r.member, [])] if lots is not None else [])),
          "created": now} for r in stores],
    )  # fmt: skip
