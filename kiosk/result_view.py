"""What the result screen shows for a terminal answer: tone, art, words, and the ways on.

The kiosk adds no rule of its own: the status comes from `terminal.Terminal`, and this only
chooses how a shopper is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from codes.campaign import Tier
from kiosk.i18n import ASSETS, Text
from terminal.results import Result, Status

Tone = Literal["win", "refusal", "error"]
ART = ASSETS / "art"
# art per tier name; a campaign's own art is `assets/art/<campaign>/<tier>.png` when it has some
TIER_ART = {"gold": "gold.png", "silver": "silver.png", "music": "music.png"}

_REFUSAL_KEYS = {
    Status.ALREADY_REDEEMED_HERE, Status.REDEEMED_ELSEWHERE, Status.IN_ANOTHER_BASKET, Status.MISTYPED,
    Status.INVALID, Status.UNKNOWN_CAMPAIGN, Status.NOT_ISSUED, Status.EXPIRED,
    Status.NOT_STARTED, Status.LIMIT, Status.OFFLINE_BUDGET, Status.NEEDS_ONLINE,
}  # fmt: skip


@dataclass(frozen=True)
class ResultView:
    status: str
    tone: Tone
    title: Text
    reward: str  # in the campaign's own words: not translated, it is the brand's
    lines: tuple[Text, ...]
    art: str  # a picture file, or "" for none
    actions: tuple[str, ...]  # button keys, the first the primary one
    voucher: str = ""  # the voucher code an instant prize came with, shown large; "" for none
    qr: str = ""  # the link a claim prize's QR carries to the claim form; "" for none
    # the prize won, whose name, description and picture the brand may give (kiosk/brand.py)
    campaign: str = ""
    tier: str = ""

    @property
    def won(self) -> bool:
        return self.tone == "win"


def art_for(campaign: str | None, tier: str | None) -> str:
    if not tier:
        return ""
    own = ART / (campaign or "") / f"{tier}.png"
    if campaign and own.is_file():
        return str(own)
    return str(ART / TIER_ART.get(tier, "prize.png"))


def view_of(result: Result, reward: Tier | None) -> ResultView:
    status = result.status
    if status in (Status.ACCEPTED_ONLINE, Status.ACCEPTED_OFFLINE):
        lines: list[Text] = []
        if result.provisional:
            lines.append(Text.of("result.provisional"))
        elif status is Status.ACCEPTED_OFFLINE:
            lines.append(Text.of("result.offline"))
        lines.append(_how_it_comes(result, reward))
        claim = reward is not None and reward.kind == "claim"
        if claim:
            lines += _claim_steps(result)
        if result.warnings:  # a soft limit: let through, and the manager was told
            lines.append(Text.of("result.soft_limit"))
        words = (reward.description or reward.name) if reward else (result.tier or "")
        return ResultView(
            status.value, "win", Text.of("result.win"), words, tuple(lines),
            art_for(result.campaign, result.tier), ("button.done",),
            voucher=result.voucher or "", qr=(result.claim_url or "") if claim else "",
            campaign=result.campaign or "", tier=result.tier or "",
        )  # fmt: skip
    if status in _REFUSAL_KEYS:
        return ResultView(
            status.value, "refusal", Text.of("result.sorry"), "",
            (_refusal(result),), "", ("button.try_again", "button.start_over"),
        )  # fmt: skip
    # not saved, or anything the engine could not do: nothing was used, a person can help
    return ResultView(
        status.value, "error", Text.of("result.sorry"), "", (Text.of("result.not_saved"),), "",
        ("button.try_again", "button.start_over"),
    )  # fmt: skip


def _refusal(result: Result) -> Text:
    """Why not; a code used before says where: this kiosk, another device of this store by its
    name, or another store (as far as the server told this kiosk)."""
    if result.redeemed_where == "store" and result.redeemed_by:
        return Text.of("result.redeemed_in_store", device=result.redeemed_by)
    if result.redeemed_where == "other_store":
        return Text.of("result.redeemed_other_store")
    return Text.of(f"result.{result.status.value}")


def _how_it_comes(result: Result, reward: Tier | None) -> Text:
    """What the shopper does next to get the prize: keep the voucher shown, wait for it by
    SMS, scan the claim QR, or (with no link to show) wait for the brand, or see a cashier."""
    if result.voucher:
        return Text.of("result.voucher")
    if result.voucher_later:
        return Text.of("result.voucher_later")
    if reward is not None and reward.kind == "claim":
        return Text.of("result.scan_to_claim" if result.claim_url else "result.next.claim")
    return Text.of("result.next.instant")


def _claim_steps(result: Result) -> list[Text]:
    """A claim prize's reference (the code: the claim page shows it on top, and the helpdesk
    finds the win by it), what to have ready for the claim form, and by when."""
    steps = [Text.of("result.claim_reference", reference=result.code)] if result.code else []
    steps.append(Text.of("result.claim_bring"))
    if result.claim_by:
        steps.append(Text.of("result.claim_by", when=date_text(result.claim_by)))
    return steps


def date_text(iso: str) -> Text:
    """An ISO date as the shopper's language writes it ("12 March 2026")."""
    day = date.fromisoformat(iso)
    return Text.of("date.day_month_year", day=day.day, month=Text.of(f"month.{day.month}"),
                   year=day.year)  # fmt: skip


def art_files() -> list[Path]:
    return sorted(ART.glob("*.png"))
