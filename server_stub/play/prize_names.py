"""A campaign's prizes in the shopper's words, as the kiosk says them (kiosk/brand.py): the name
the campaign's content gives the tier in the page's language, else its English one, else the
campaign file's description ("Silver coin"), else the tier's id ("silver").

A page of /play/ says a tier through `PrizeNames.of`; never its id, which is the brand's key,
not a word for a shopper.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping

from sqlalchemy import Connection, select

from server_stub.database.content_tables import campaign_content
from server_stub.device_api.recheck import Rechecker

# campaign -> tier -> language -> name, as the content gives them
Names = Mapping[str, Mapping[str, Mapping[str, str]]]

# (campaign, when its content was stored) -> its tiers' names: a campaign's content carries its
# pictures too, a megabyte and more, parsed again only when it changes
_parsed: dict[tuple[str, float], Mapping[str, Mapping[str, str]]] = {}
_lock = threading.Lock()


class PrizeNames:
    """The tiers' names of the campaigns a rechecker holds, with their content's words."""

    def __init__(self, rechecker: Rechecker, names: Names | None = None) -> None:
        self.rechecker, self.names = rechecker, names or {}

    def of(self, campaign_id: str | None, tier: str | None, lang: str) -> str:
        """The tier's name for a page in `lang` ("Серебряная монета", "Silver coin", "silver");
        "" for no tier."""
        if not tier:
            return ""
        own = self.names.get(campaign_id or "", {}).get(tier, {})
        if own.get(lang) or own.get("en"):
            return own.get(lang) or own["en"]
        campaign = self.rechecker.campaign(campaign_id or "")
        found = campaign.tier_named(tier) if campaign else None
        return (found.description or found.name) if found else tier


def read(conn: Connection, rechecker: Rechecker) -> PrizeNames:
    """The names of every campaign that has content, read from the database (each campaign's
    content parsed once per version of it)."""
    stored = conn.execute(select(campaign_content.c.campaign_id, campaign_content.c.updated)).all()
    names: dict[str, Mapping[str, Mapping[str, str]]] = {}
    for campaign_id, updated in stored:
        key = (str(campaign_id), float(updated))
        with _lock:
            known = _parsed.get(key)
        if known is None:
            data = conn.execute(
                select(campaign_content.c.data).where(campaign_content.c.campaign_id == campaign_id)
            ).scalar()
            known = tier_names(json.loads(data or "{}"))
            with _lock:
                _parsed[key] = known
        names[key[0]] = known
    return PrizeNames(rechecker, names)


def tier_names(content: Mapping[str, object]) -> Mapping[str, Mapping[str, str]]:
    """tier -> language -> name, from a campaign's content as stored (CampaignContent's JSON)."""
    tiers = content.get("tiers")
    if not isinstance(tiers, dict):
        return {}
    return {
        tier: {lang: str(words) for lang, words in (own.get("name") or {}).items()}
        for tier, own in tiers.items()
        if isinstance(own, dict)
    }
