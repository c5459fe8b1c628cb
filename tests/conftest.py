"""Shared fixtures: a campaign on disk with its master key, as `instore codes new-campaign` makes."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from codes import campaign as campaign_file
from codes.campaign import Campaign, parse_tiers, with_claim_tiers
from codes.campaign_cipher import CampaignCipher
from codes.checker import CodeChecker

pytest_plugins = ["tests.world"]  # the server and enrolled devices, for server and sync tests

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # the kiosk's sounds, with no sound card
os.environ.setdefault("KIVY_NO_ARGS", "1")

# tmp_path in memory where there is a tmpfs: every SQLite commit (the tills', the server's) waits
# for an fsync, a millisecond on an idle disk and far more on a busy one, while on a tmpfs it
# returns at once. The code runs as it does on a disk; what the tests kill is a process (SIGKILL),
# after which the kernel's copy of a file is what counts, in memory as on a disk. Pytest reads
# this when it first makes a temporary folder, after this file is loaded.
if os.access("/dev/shm", os.W_OK) and os.path.ismount("/dev/shm"):
    os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", "/dev/shm")

CampaignFactory = Callable[..., tuple[Campaign, bytes]]


@pytest.fixture
def make_campaign(tmp_path: Path) -> CampaignFactory:
    """A saved campaign file and its campaign key; keyword arguments override fields."""

    def make(
        tiers: str = "gold:10,silver:1000,music:*", file: str = "campaign.toml",
        claim_tiers: str = "", **fields: Any,
    ) -> tuple[Campaign, bytes]:  # fmt: skip
        made = campaign_file.create(
            tmp_path / file,
            fields.pop("id", "ice-2026"),
            fields.pop("prefix", "HV"),
            tiers=with_claim_tiers(parse_tiers(tiers), claim_tiers),
            capacity=fields.pop("capacity", None),
            starts_at=fields.pop("starts_at", None),
            ends_at=fields.pop("ends_at", None),
            ask_details=fields.pop("ask_details", False),
        )
        campaign = made.campaign
        if fields:  # e.g. issued: as if codes had been minted
            campaign = campaign_file.save(replace(campaign, **fields), tmp_path / file)
        return campaign, made.key

    return make


@pytest.fixture
def issued_campaign(make_campaign: CampaignFactory) -> tuple[CampaignCipher, CodeChecker]:
    campaign, _key = make_campaign(issued=1_000_000)
    cipher = CampaignCipher.issuer(campaign)
    return cipher, CodeChecker([cipher])
