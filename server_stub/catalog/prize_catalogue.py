"""The prize catalogue members take for points: each prize priced in points and supplied by a
partner. Kept in the device config's `catalogue` (the chain's, or one store's on top), so tills
and kiosks price a spend offline as the server does."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, select

from server_stub.catalog import device_config
from server_stub.catalog.store_setup import partner_exists
from server_stub.database.loyalty_tables import partners
from server_stub.errors import ApiError
from sync.protocol import CatalogueItemConfig

_ID = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")
MAX_POINTS = 10**9


def put_item(
    engine: Engine, item_id: str, name: str, points: int, partner: str | None = None,
    store_id: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Add a prize, or change the one of this id; `partner`: who supplies it (a partner that
    does not exist is refused); `store_id`: only that store's catalogue (default the chain's)."""
    item_id, name = item_id.strip().lower(), name.strip()
    if not _ID.fullmatch(item_id):
        raise ApiError(422, "bad_item", "a prize's id is 1 to 64 lower-case letters, digits,"
                       " '-', '_' or '.', e.g. cinema-ticket")  # fmt: skip
    if not name or len(name) > 200:
        raise ApiError(422, "bad_item", "a prize's name is 1 to 200 characters")
    if not 1 <= points <= MAX_POINTS:
        raise ApiError(422, "bad_item", "a prize costs 1 to 1,000,000,000 points")
    supplier = ""
    if partner:
        with engine.connect() as conn:
            supplier = partner_exists(conn, partner)
    item = CatalogueItemConfig(id=item_id, name=name, points=points, partner=supplier)
    kept = [i for i in _own(engine, store_id) if i["id"] != item_id] + [item.model_dump()]
    device_config.set_config(engine, store_id, catalogue=kept)
    return item.model_dump()


def remove_item(engine: Engine, item_id: str, store_id: str | None = None) -> dict[str, Any]:
    own = _own(engine, store_id)
    kept = [i for i in own if i["id"] != item_id.strip().lower()]
    if len(kept) == len(own):
        where = f"store {store_id}'s" if store_id else "the"
        raise ApiError(404, "no_item", f"{where} catalogue has no prize {item_id!r}")
    device_config.set_config(engine, store_id, catalogue=kept)
    return {"id": item_id, "removed": True}


def list_items(engine: Engine, store_id: str | None = None) -> list[dict[str, Any]]:
    """The catalogue a store's devices get (the chain's without a store), each prize with the
    name of the partner who supplies it."""
    config = device_config.show_config(engine, store_id)
    names = _partner_names(engine)
    return [
        {**item, "partner_name": names.get(item.get("partner", ""), "")}
        for item in config["catalogue"]
    ]


def _own(engine: Engine, store_id: str | None) -> list[dict[str, Any]]:
    """The catalogue of this scope itself (a store's replaces the chain's when it has one)."""
    with engine.connect() as conn:
        return list(device_config.own_settings(conn, store_id).get("catalogue", []))


def _partner_names(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {r.id: r.name for r in conn.execute(select(partners.c.id, partners.c.name))}
