"""The rules devices apply offline: the chain's, with what a store sets on top, and the version
number that tells devices to fetch rules and keys again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, select, update

from server_stub.catalog import earn_rules, point_limits
from server_stub.catalog.store_setup import store_exists
from server_stub.database.loyalty_tables import partners, program
from server_stub.database.schema import (
    configs,
    meta,
    stores,
)
from sync.protocol import CatalogueItemConfig, DeviceConfig, LimitConfig, TierRuleConfig


def _put(conn: Connection, table: Table, key: Column[Any], at: str, **columns: Any) -> None:
    """Update the row whose `key` is `at`, or insert it (admin writes: rare, never racing)."""
    if not conn.execute(update(table).where(key == at).values(**columns)).rowcount:
        conn.execute(table.insert().values({key.name: at, **columns}))


def bump_config_version(conn: Connection) -> int:
    """Devices fetch config and keys again when this number moves."""
    version = config_version(conn) + 1
    _put(conn, meta, meta.c.key, "config_version", value=str(version))
    return version


def config_version(conn: Connection) -> int:
    value = conn.execute(select(meta.c.value).where(meta.c.key == "config_version")).scalar()
    return int(value or 0)


def _scope(store_id: str | None) -> str:
    return f"store:{store_id}" if store_id else "global"


def own_settings(conn: Connection, store_id: str | None) -> dict[str, Any]:
    """What the chain (no store) or one store sets itself, before merging."""
    return _config_of(conn, _scope(store_id))


def _config_of(conn: Connection, scope: str) -> dict[str, Any]:
    row = conn.execute(select(configs.c.data).where(configs.c.scope == scope)).first()
    return dict(json.loads(row.data)) if row else {}


def device_config(conn: Connection, store_id: str) -> DeviceConfig:
    """The chain-wide rules, with what the store sets on top: a store's limit or tier rule
    replaces the chain's of the same scope or tier and leaves the others, a loyalty setting the
    store names replaces the chain's of that name; any other field the store sets replaces the
    chain's. A store's limit of 0 lifts the chain's there."""
    chain, store = _config_of(conn, "global"), _config_of(conn, _scope(store_id))
    merged = chain | store
    merged["limits"] = [x for x in _overlaid(chain, store, "limits", "scope") if x["max"] > 0]
    merged["tier_rules"] = _overlaid(chain, store, "tier_rules", "tier")
    # a partner's earn rules (loyalty.partners, a room above: its row read here) over the
    # chain's, and a store's own settings over both, the most particular winning
    merged["loyalty"] = (
        chain.get("loyalty", {}) | _partner_rules(conn, store_id) | store.get("loyalty", {})
    )
    return DeviceConfig.model_validate(merged)


def _partner_rules(conn: Connection, store_id: str) -> dict[str, Any]:
    if not store_id:
        return {}
    text = conn.execute(
        select(partners.c.rules).join(stores, stores.c.partner_id == partners.c.id)
        .where(stores.c.id == store_id)
    ).scalar()  # fmt: skip
    try:
        rules = json.loads(text) if text else {}
    except ValueError:
        return {}
    return rules if isinstance(rules, dict) else {}


def config_for_device(conn: Connection, store_id: str, play_url: str = "") -> DeviceConfig:
    """The rules as a device of the store is given them, its earn rules numbered (earn_rules),
    with the server's address for shoppers (`instore server --public-url`), the base of the
    claim QR links it shows."""
    config = device_config(conn, store_id)
    loyalty = earn_rules.stamped(conn, store_id, config.loyalty)
    changes: dict[str, Any] = {"loyalty": loyalty, "play_url": play_url}
    # the program's lot rules (loyalty.program, a room above this one: its row read here), so a
    # lot earned offline is pending and expires as the server's will; no row: the defaults
    lot_rules = conn.execute(
        select(program.c.pending_days, program.c.expiry_months, program.c.otp_above).where(
            program.c.id == 1
        )
    ).first()
    if lot_rules is not None:
        changes |= {
            "pending_days": lot_rules.pending_days,
            "expiry_months": lot_rules.expiry_months,
            "otp_above": lot_rules.otp_above,  # spends above it ask for the member's code
        }
    changes["point_limits"] = point_limits.for_store(conn, store_id)  # `instore admin limit`
    changes["catalogue"] = named_catalogue(conn, config.catalogue)
    return config.model_copy(update=changes)


def named_catalogue(
    conn: Connection, items: Sequence[CatalogueItemConfig]
) -> list[CatalogueItemConfig]:
    """The prizes with their suppliers' names as shoppers know them (the partner's row, read
    as the device is sent its config, so a partner's new name reaches devices at their next
    config fetch); a partner no longer known keeps no name."""
    wanted = {item.partner for item in items if item.partner}
    names: dict[str, str] = {}
    if wanted:
        rows = conn.execute(select(partners.c.id, partners.c.name).where(partners.c.id.in_(wanted)))
        names = {row.id: row.name for row in rows}
    return [item.model_copy(update={"partner_name": names.get(item.partner, "")}) for item in items]


def _overlaid(
    chain: dict[str, Any], store: dict[str, Any], field: str, key: str
) -> list[dict[str, Any]]:
    by_key = {x[key]: x for x in [*chain.get(field, []), *store.get(field, [])]}
    return list(by_key.values())


def set_config(
    engine: Engine, store_id: str | None, limits: Sequence[LimitConfig] = (),
    tier_rule: TierRuleConfig | None = None, loyalty: Mapping[str, Any] | None = None,
    **fields: Any,
) -> DeviceConfig:  # fmt: skip
    """Change rules for the chain (no store) or one store, in one step devices see at once.

    Each limit replaces the limit of its scope (max 0 removes it for the chain, and lifts the
    chain's at a store), `tier_rule` the rule of its tier; `loyalty` changes only the loyalty
    fields it names; other fields (catalogue, hold_seconds, ...) replace the field. Returns the
    rules the devices of that store (or of a store with no rules of its own) now apply.
    """
    scope = _scope(store_id)
    with engine.begin() as conn:
        if store_id:
            store_exists(conn, store_id)
        data = _config_of(conn, scope)
        for limit in limits:
            data["limits"] = [x for x in data.get("limits", []) if x["scope"] != limit.scope]
            if limit.max > 0 or store_id:  # a store keeps its 0: "no such limit here"
                data["limits"].append(limit.model_dump())
        if tier_rule is not None:
            data["tier_rules"] = [
                x for x in data.get("tier_rules", []) if x["tier"] != tier_rule.tier
            ]
            data["tier_rules"].append(tier_rule.model_dump())
        if loyalty:  # only what is named here: the chain's other settings keep applying
            data["loyalty"] = data.get("loyalty", {}) | dict(loyalty)
        data |= {k: v for k, v in fields.items() if v is not None}
        DeviceConfig.model_validate(data)  # refuse nonsense before it is stored
        _put(
            conn,
            configs,
            configs.c.scope,
            scope,
            data=json.dumps(data, sort_keys=True),
            updated=time.time(),
        )
        bump_config_version(conn)
        return device_config(conn, store_id or "")


def show_config(engine: Engine, store_id: str | None) -> dict[str, Any]:
    with engine.connect() as conn:
        return device_config(conn, store_id or "").model_dump()  # no store: the chain's rules
