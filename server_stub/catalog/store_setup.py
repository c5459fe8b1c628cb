"""Stores: created with how long their devices may stay silent, listed with their devices."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from server_stub.database.loyalty_tables import partners
from server_stub.database.schema import (
    devices,
    stores,
)
from server_stub.errors import ApiError


def create_store(
    engine: Engine, store_id: str, name: str, silent_after_minutes: int = 60,
    partner_id: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`silent_after_minutes`: a device of the store not heard from for longer stands out;
    `partner_id`: the coalition partner the store belongs to (its earn rules, its points)."""
    store_id, name = store_id.strip(), name.strip()
    if not store_id or len(store_id) > 64 or not name:
        raise ApiError(422, "bad_store", "a store needs an id (up to 64 characters) and a name")
    if not 1 <= silent_after_minutes <= 100_000:
        raise ApiError(422, "bad_store", "--silent-after is 1 to 100,000 minutes")
    with engine.begin() as conn:
        if partner_id is not None:
            partner_id = partner_exists(conn, partner_id)
        if conn.execute(select(stores.c.id).where(stores.c.id == store_id)).first():
            raise ApiError(409, "exists", f"store {store_id} already exists")
        conn.execute(stores.insert().values(
            id=store_id, name=name, created=time.time(), silent_after_s=silent_after_minutes * 60.0,
            partner_id=partner_id,
        ))  # fmt: skip
    return {"id": store_id, "name": name, "silent_after_minutes": silent_after_minutes,
            "partner": partner_id}  # fmt: skip


def partner_exists(conn: Connection, partner_id: str) -> str:
    """The partner's id as kept; ApiError 404 in words when there is no such partner. (The
    catalog sits below the loyalty room, so it reads the partners table itself.)"""
    wanted = partner_id.strip().lower()
    if conn.execute(select(partners.c.id).where(partners.c.id == wanted)).first() is None:
        raise ApiError(
            404, "no_partner",
            f"there is no partner {partner_id!r}; add it first with 'instore admin partner"
            " create', or see 'instore admin partner list'",
        )  # fmt: skip
    return wanted


def list_stores(engine: Engine) -> list[dict[str, Any]]:
    count = (
        select(func.count())
        .where(devices.c.store_id == stores.c.id, devices.c.revoked_at.is_(None))
        .scalar_subquery()
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(stores.c.id, stores.c.name, stores.c.partner_id.label("partner"),
                   count.label("devices")).order_by(stores.c.id)
        )  # fmt: skip
        return [dict(r._mapping) for r in rows]


def store_exists(conn: Connection, store_id: str) -> None:
    if conn.execute(select(stores.c.id).where(stores.c.id == store_id)).first() is None:
        raise ApiError(404, "no_store", f"no store {store_id}; create it with 'store create'")
