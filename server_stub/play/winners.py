"""The public winners list at /play/winners?campaign=C, in the play look and the four
languages: a campaign's listed major winners (`prizes/winners.py` says who and what of them).

Without `?campaign=` it lists the campaigns that keep such a list. A campaign that keeps none,
or that does not exist, is a 404 in words (the same answer for both: the page tells nobody which
campaigns exist). No sign-in: the page shows only what winners agreed to show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Engine

from server_stub.errors import ApiError
from server_stub.play.prize_names import PrizeNames
from server_stub.prizes import winners

if TYPE_CHECKING:
    from server_stub.play.web import Play

TEMPLATE = "winners.html"


def no_list() -> ApiError:
    return ApiError(404, "no_winners_list", "This campaign has no public winners list.")


def winners_data(
    engine: Engine, names: PrizeNames, campaign_id: str, lang: str = "en"
) -> dict[str, Any]:
    """The page's data in `lang`: the campaign's winners (`step` "list"; each prize by its name
    in `lang`), or without a campaign the
    campaigns that keep a list (`step` "campaigns"). ApiError 404 `no_winners_list` when the
    campaign keeps none, or there is no such campaign, or (without one) no campaign keeps one."""
    ciphers = names.rechecker.ciphers.values()
    campaigns = [c.campaign for c in ciphers if c.campaign.winners_list]
    if not campaign_id.strip():
        if not campaigns:
            raise no_list()
        return {
            "step": "campaigns",
            "campaigns": sorted(({"id": c.id, "name": c.name or c.id} for c in campaigns),
                                key=lambda c: c["name"]),
        }  # fmt: skip
    campaign = next((c for c in campaigns if c.id == campaign_id.strip()[:64]), None)
    if campaign is None:
        raise no_list()
    return {
        "step": "list", "campaign": campaign.id, "campaign_name": campaign.name or campaign.id,
        "winners": [
            {**w, "prize": names.of(campaign.id, w["tier"], lang)}
            for w in winners.winners(engine, campaign)
        ],
    }  # fmt: skip


class WinnersPage:
    """GET /play/winners, beside /play/'s routes (`play`: its engine, campaigns, rendering)."""

    def __init__(self, play: Play) -> None:
        self.play = play

    def page(self, request: Request) -> Response:
        play = self.play
        visit = play.visit(request)
        campaign_id = request.query_params.get("campaign", "")
        try:
            data = winners_data(play.engine, play.prize_names(), campaign_id, play.lang(request))
        except ApiError as exc:
            return play.refused(request, TEMPLATE, visit, {"step": "none"}, exc)
        return play.render(request, TEMPLATE, visit, data)
