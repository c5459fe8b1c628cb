"""Administration of devices already enrolled: revoking a lost or stolen till, and clearing the
hold its forged codes put on it once an admin has looked.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, delete, select, update

from server_stub.database.schema import (
    alerts,
    claims,
    devices,
    events,
)
from server_stub.device_api.claim_guard import FORGED, REVIEWED
from server_stub.errors import not_found
from server_stub.prizes import vouchers
from server_stub.records import conflicts, feed


def revoke_device(engine: Engine, device_id: str) -> dict[str, Any]:
    """Stop a device syncing, and free the codes it claimed online whose redemption never
    arrived: a stolen till that squatted on codes must not keep shoppers refused everywhere.
    The vouchers it held to hand out offline are withdrawn: whoever has the till may read
    them, so they are never given to anyone."""
    now = time.time()
    with engine.begin() as conn:
        done = conn.execute(
            update(devices)
            .where(devices.c.id == device_id, devices.c.revoked_at.is_(None))
            .values(revoked_at=now, token_hash=None)
        ).rowcount
        if not done:
            raise not_found(f"active device {device_id}")
        arrived = select(events.c.event_id).where(events.c.event_id == claims.c.event_id)
        freed = conn.execute(
            delete(claims)
            .where(claims.c.device_id == device_id, ~arrived.exists())
            .returning(claims.c.campaign, claims.c.serial)
        )
        orphans = [(r.campaign, int(r.serial)) for r in freed]
        feed.released(conn, device_id, orphans, now)
        flagged = conflicts.flag_for_review(conn, device_id, now)
        withdrawn = vouchers.withdraw(conn, device_id, now)
        conn.execute(alerts.insert().values(
            device_id=device_id, kind="revoked", created=now,
            message=f"revoked; {len(orphans)} online claims without a redemption released,"
            f" {flagged} recent events flagged for review"
            + (f", {withdrawn} vouchers it held withdrawn" if withdrawn else ""),
        ))  # fmt: skip
    return {
        "device_id": device_id, "revoked": True, "claims_released": len(orphans),
        "flagged_for_review": flagged, "vouchers_withdrawn": withdrawn,
    }  # fmt: skip


def review_device(engine: Engine, device_id: str) -> dict[str, Any]:
    """An admin has looked at a device's forged codes: its online claims are no longer held."""
    with engine.begin() as conn:
        reviewed = conn.execute(
            update(alerts)
            .where(alerts.c.device_id == device_id, alerts.c.kind == FORGED)
            .values(kind=REVIEWED)
        ).rowcount
        conn.execute(update(devices).where(devices.c.id == device_id).values(forged=0))
    return {"device_id": device_id, "forged_reviewed": reviewed}
