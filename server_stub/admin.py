"""What a campaign manager or helpdesk does on the server: stores, campaigns, devices, rules.

Plain functions over an engine, used by `instore admin` and by the admin HTTP routes alike.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, delete, func, select, update

from codes import campaign as campaign_file
from codes import crockford, keys
from codes.campaign import Campaign
from codes.campaign_cipher import CampaignCipher
from codes.mint import MintReport, mint_to_files
from server_stub import conflicts, earn_rules, event_check, feed
from server_stub.claim_guard import FORGED, REVIEWED
from server_stub.errors import ApiError, not_found
from server_stub.schema import alerts, campaigns, claims, configs, devices, events, meta, stores
from sync.protocol import CampaignGrant, DeviceConfig, LimitConfig, TierRuleConfig


def token_hash(token: str) -> str:
    """The hash kept of an enrollment token, read the way codes are: case, spaces and hyphens do
    not matter, and O reads as 0, I and L as 1 (a token typed from paper)."""
    folded = crockford.fold(token).upper()
    if len(folded) == 20:
        folded = "-".join(folded[i : i + 4] for i in range(0, 20, 4))
    return hashlib.sha256(folded.encode()).hexdigest()


def enrollment_token() -> str:
    """100 random bits a person can type at a till: XXXX-XXXX-XXXX-XXXX-XXXX, no look-alikes."""
    symbols = "".join(secrets.choice(crockford.ALPHABET) for _ in range(20))
    return "-".join(symbols[i : i + 4] for i in range(0, 20, 4))


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


# -- stores ---------------------------------------------------------------------------------


def create_store(
    engine: Engine, store_id: str, name: str, silent_after_minutes: int = 60
) -> dict[str, Any]:
    """`silent_after_minutes`: a device of the store not heard from for longer stands out."""
    store_id, name = store_id.strip(), name.strip()
    if not store_id or len(store_id) > 64 or not name:
        raise ApiError(422, "bad_store", "a store needs an id (up to 64 characters) and a name")
    if not 1 <= silent_after_minutes <= 100_000:
        raise ApiError(422, "bad_store", "--silent-after is 1 to 100,000 minutes")
    with engine.begin() as conn:
        if conn.execute(select(stores.c.id).where(stores.c.id == store_id)).first():
            raise ApiError(409, "exists", f"store {store_id} already exists")
        conn.execute(stores.insert().values(
            id=store_id, name=name, created=time.time(), silent_after_s=silent_after_minutes * 60.0
        ))  # fmt: skip
    return {"id": store_id, "name": name, "silent_after_minutes": silent_after_minutes}


def list_stores(engine: Engine) -> list[dict[str, Any]]:
    count = (
        select(func.count())
        .where(devices.c.store_id == stores.c.id, devices.c.revoked_at.is_(None))
        .scalar_subquery()
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(stores.c.id, stores.c.name, count.label("devices")).order_by(stores.c.id)
        )
        return [dict(r._mapping) for r in rows]


def _store_exists(conn: Connection, store_id: str) -> None:
    if conn.execute(select(stores.c.id).where(stores.c.id == store_id)).first() is None:
        raise ApiError(404, "no_store", f"no store {store_id}; create it with 'store create'")


# -- campaigns ------------------------------------------------------------------------------


def add_campaign(
    engine: Engine, campaign: Campaign, key: bytes, budget: float | None = None,
    plan_seed: bytes | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Register a campaign, its key and its tier plan's seed (both derived from the issuer's
    master key by the caller: `Campaign.issuer_keys`)."""
    if campaign.key_check and keys.key_check_value(key) != campaign.key_check:
        raise ApiError(422, "wrong_key", f"the key given is not the key of campaign {campaign.id}")
    if plan_seed is None and campaign.plan_version >= 2:
        raise ApiError(422, "no_plan", f"campaign {campaign.id} needs its tier plan's seed")
    data = json.dumps(campaign_file.to_dict(campaign), default=str)
    with engine.begin() as conn:
        if conn.execute(select(campaigns.c.id).where(campaigns.c.id == campaign.id)).first():
            raise ApiError(409, "exists", f"campaign {campaign.id} already exists")
        conn.execute(
            campaigns.insert().values(
                id=campaign.id, data=data, key=key.hex(), issued=campaign.issued, budget=budget,
                created=time.time(), plan_seed=plan_seed.hex() if plan_seed else None,
            )
        )  # fmt: skip
        bump_config_version(conn)
    return {"id": campaign.id, "name": campaign.name, "issued": campaign.issued}


def add_campaign_file(
    engine: Engine, path: Path, budget: float | None = None, database: str = ""
) -> dict[str, Any]:
    """Register a campaign file; the file then names `database`, whose issued count is the one
    that counts (minting from the file refuses and says which command to use)."""
    campaign = campaign_file.load(path)
    key, seed = campaign.issuer_keys()
    added = add_campaign(engine, campaign, key, budget, seed)
    if database:
        campaign_file.save(replace(campaign, registered_with=database), path)
    return added


def _campaign_rows(conn: Connection) -> list[tuple[dict[str, Any], bytes]]:
    """Each campaign as stored (the campaign file's fields) with the issued count recorded here."""
    rows = conn.execute(select(campaigns.c.data, campaigns.c.key, campaigns.c.issued))
    return [(json.loads(r.data) | {"issued": int(r.issued)}, bytes.fromhex(r.key)) for r in rows]


def load_campaigns(conn: Connection) -> list[tuple[Campaign, bytes]]:
    """Every campaign with its key and the issued count the server has recorded."""
    return [(campaign_file.from_dict(data), key) for data, key in _campaign_rows(conn)]


def load_plan_seeds(conn: Connection) -> dict[str, bytes]:
    """Each campaign's tier plan seed, where it has one (plans of version 2): the server's own."""
    rows = conn.execute(select(campaigns.c.id, campaigns.c.plan_seed))
    return {r.id: bytes.fromhex(r.plan_seed) for r in rows if r.plan_seed}


def campaign_grants(conn: Connection) -> list[CampaignGrant]:
    return [CampaignGrant(campaign=data, key=key.hex()) for data, key in _campaign_rows(conn)]


def list_campaigns(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            {"id": c.id, "name": c.name, "prefix": c.prefix, "issued": c.issued,
             "capacity": c.capacity, "tiers": [t.name for t in c.tiers]}
            for c, _ in load_campaigns(conn)
        ]  # fmt: skip


def mint_codes(
    engine: Engine, campaign_id: str, count: int, out: Path, start: int | None = None,
    pdf: Path | None = None, force: bool = False, png_dir: Path | None = None,
) -> MintReport:  # fmt: skip
    """Mint printable codes and record them as issued, so devices accept them after a sync."""
    with engine.connect() as conn:
        found = [(c, k) for c, k in load_campaigns(conn) if c.id == campaign_id]
        seed = load_plan_seeds(conn).get(campaign_id)
    if not found:
        raise not_found(f"campaign {campaign_id}")
    campaign, key = found[0]
    cipher = CampaignCipher(campaign, key, seed)
    updated, report = mint_to_files(
        cipher, out, count, start, png_dir=png_dir, pdf=pdf, force=force
    )
    with engine.begin() as conn:
        conn.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id, campaigns.c.issued < updated.issued)
            .values(issued=updated.issued)
        )
        bump_config_version(conn)
    return report


# -- devices --------------------------------------------------------------------------------


def enroll_device(engine: Engine, store_id: str, name: str) -> dict[str, Any]:
    """A device record and its one-time token; the device trades the token for its secret."""
    if not name.strip():
        raise ApiError(422, "bad_name", "give the device a name staff recognise, e.g. 'Till 2'")
    token = enrollment_token()
    device_id = f"dev-{secrets.token_hex(6)}"
    with engine.begin() as conn:
        _store_exists(conn, store_id)
        conn.execute(
            devices.insert().values(
                id=device_id, store_id=store_id, name=name.strip(), token_hash=token_hash(token),
                created=time.time(), chain_hash=event_check.GENESIS,
            )
        )  # fmt: skip
    return {"device_id": device_id, "store_id": store_id, "name": name.strip(), "token": token}


def list_devices(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                devices.c.id, devices.c.store_id, devices.c.name, devices.c.enrolled_at,
                devices.c.revoked_at, devices.c.last_seen, devices.c.max_seq, devices.c.chain_ok,
            ).order_by(devices.c.store_id, devices.c.name)
        )  # fmt: skip
        return [dict(r._mapping) for r in rows]


def revoke_device(engine: Engine, device_id: str) -> dict[str, Any]:
    """Stop a device syncing, and free the codes it claimed online whose redemption never
    arrived: a stolen till that squatted on codes must not keep shoppers refused everywhere."""
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
        conn.execute(alerts.insert().values(
            device_id=device_id, kind="revoked", created=now,
            message=f"revoked; {len(orphans)} online claims without a redemption released,"
            f" {flagged} recent events flagged for review",
        ))  # fmt: skip
    return {
        "device_id": device_id, "revoked": True, "claims_released": len(orphans),
        "flagged_for_review": flagged,
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


# -- rules devices apply offline ------------------------------------------------------------


def _scope(store_id: str | None) -> str:
    return f"store:{store_id}" if store_id else "global"


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
    merged["loyalty"] = chain.get("loyalty", {}) | store.get("loyalty", {})
    return DeviceConfig.model_validate(merged)


def config_for_device(conn: Connection, store_id: str) -> DeviceConfig:
    """The rules as a device of the store is given them, its earn rules numbered (earn_rules)."""
    config = device_config(conn, store_id)
    loyalty = earn_rules.stamped(conn, store_id, config.loyalty)
    return config.model_copy(update={"loyalty": loyalty})


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
            _store_exists(conn, store_id)
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
