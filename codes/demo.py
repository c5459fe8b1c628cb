"""Helpers for `make demo` only."""

from __future__ import annotations

from pathlib import Path

from codes import campaign as campaign_file
from codes.campaign_cipher import CampaignCipher


def unprinted_code(campaign_path: str) -> str:
    """A genuine code of the campaign whose serial was never issued (a leaked key, say)."""
    campaign = campaign_file.load(Path(campaign_path))
    return CampaignCipher.issuer(campaign).encode(campaign.issued + 7)
