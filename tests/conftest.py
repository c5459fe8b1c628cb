"""Shared fixtures: a campaign on disk with its master key, as `instore codes new-campaign` makes."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from codes import campaign as campaign_file
from codes import keys
from codes.campaign import Campaign, parse_tiers
from codes.campaign_cipher import CampaignCipher
from codes.checker import CodeChecker

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")

CampaignFactory = Callable[..., tuple[Campaign, bytes]]


@pytest.fixture
def make_campaign(tmp_path: Path) -> CampaignFactory:
    """A saved campaign file and its campaign key; keyword arguments override fields."""

    def make(
        tiers: str = "gold:10,silver:1000,music:*", file: str = "campaign.toml", **fields: object
    ) -> tuple[Campaign, bytes]:
        key_path = tmp_path / "master.key"
        keys.create_master_key(key_path)
        draft = Campaign(
            id=str(fields.pop("id", "ice-2026")),
            prefix=str(fields.pop("prefix", "HV")),
            tiers=parse_tiers(tiers),
            master_key_file="master.key",
        )
        draft = replace(draft, **fields)  # type: ignore[arg-type]
        key = keys.derive_campaign_key(keys.read_master_key(key_path), draft.id, draft.key_version)
        saved = campaign_file.save(
            replace(draft, key_check=keys.key_check_value(key)), tmp_path / file
        )
        return saved, key

    return make


@pytest.fixture
def issued_campaign(make_campaign: CampaignFactory) -> tuple[CampaignCipher, CodeChecker]:
    campaign, key = make_campaign(issued=1_000_000)
    cipher = CampaignCipher(campaign, key)
    return cipher, CodeChecker([cipher])
