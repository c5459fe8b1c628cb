"""The Alerts page: what devices and ingest raised (a points limit reached or passed, a forged
code, points counted wrong, a device telling two stories), newest first, each with its device,
store and the cashier it names, for security staff and store managers.

A store manager sees their stores' alerts only; `?cashier=` narrows the list to one cashier,
`?kind=` to one kind. Alerts about no device (a voucher pool running low) are the admin's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, select

from server_stub.accounts.users import Viewer
from server_stub.database.schema import alerts, devices

ALERTS_PAGE = 200


def alerts_page(engine: Engine, viewer: Viewer, query: Mapping[str, str]) -> dict[str, Any]:
    cashier, kind = query.get("cashier", "")[:128], query.get("kind", "")[:32]
    statement = (
        select(alerts.c.id, alerts.c.kind, alerts.c.message, alerts.c.created, alerts.c.actor,
               alerts.c.device_id, devices.c.name.label("device_name"),
               devices.c.store_id)
        .select_from(alerts.outerjoin(devices, devices.c.id == alerts.c.device_id))
        .order_by(alerts.c.id.desc()).limit(ALERTS_PAGE)
    )  # fmt: skip
    if not viewer.sees_every_store:
        statement = statement.where(devices.c.store_id.in_(viewer.stores))
    if cashier:
        statement = statement.where(alerts.c.actor == cashier)
    if kind:
        statement = statement.where(alerts.c.kind == kind)
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    return {
        "filters": {"cashier": cashier, "kind": kind},
        "alerts": [
            {
                "id": r.id,
                "kind": r.kind,
                "cashier": r.actor,
                "device_id": r.device_id,
                "device_name": r.device_name,
                "store_id": r.store_id,
                "message": r.message,
                "created": r.created,
            }
            for r in rows
        ],
    }
