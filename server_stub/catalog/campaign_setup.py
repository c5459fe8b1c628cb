"""Campaigns as the server keeps them: registered with their key and tier plan seed, listed,
minted, and handed to devices (their grants).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from codes import campaign as campaign_file
from codes import keys
from codes.campaign import Campaign
from codes.campaign_cipher import CampaignCipher
from codes.mint import MintReport, mint_to_files
from server_stub.catalog.device_config import bump_config_version
from server_stub.database.content_tables import campaign_content
from server_stub.database.schema import (
    campaigns,
)
from server_stub.errors import ApiError, not_found
from sync.protocol import CampaignContent, CampaignGrant


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
    """Every campaign with its key, and its texts and look where it has some (campaign_content)."""
    rows = conn.execute(select(campaign_content.c.campaign_id, campaign_content.c.data))
    content = {r.campaign_id: r.data for r in rows}
    return [
        CampaignGrant(
            campaign=data, key=key.hex(),
            content=CampaignContent.model_validate_json(content[data["id"]])
            if data["id"] in content else None,
        )
        for data, key in _campaign_rows(conn)
    ]  # fmt: skip


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
    with_tiers: bool = False,
) -> MintReport:  # fmt: skip
    """Mint printable codes and record them as issued, so devices accept them after a sync.
    `with_tiers` adds each code's tier to the CSV (for the brand's records, not the printer)."""
    with engine.connect() as conn:
        found = [(c, k) for c, k in load_campaigns(conn) if c.id == campaign_id]
        seed = load_plan_seeds(conn).get(campaign_id)
    if not found:
        raise not_found(f"campaign {campaign_id}")
    campaign, key = found[0]
    cipher = CampaignCipher(campaign, key, seed)
    updated, report = mint_to_files(
        cipher, out, count, start, png_dir=png_dir, pdf=pdf, force=force, with_tiers=with_tiers
    )
    with engine.begin() as conn:
        conn.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id, campaigns.c.issued < updated.issued)
            .values(issued=updated.issued)
        )
        bump_config_version(conn)
    return report
