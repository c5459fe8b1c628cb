"""The server's second look at every pushed code: the cipher, in batches, against issued serials.

A device checked the code before it accepted it; the server checks again because a device may be
out of date (a campaign's issued count moved), buggy, or not ours to trust.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from codes import crockford, layout
from codes.campaign import Campaign
from codes.campaign_cipher import CampaignCipher
from sync.protocol import DeviceConfig

FEW = 8  # fewer codes than this are checked one by one: numpy's set-up would cost more
# how long after a campaign's end a redemption made offline before it may still arrive
LATE_WINDOW_S = DeviceConfig.model_fields["max_offline_seconds"].default


class Claimed(NamedTuple):
    """What an event says it redeemed (a tuple: thousands are made per push)."""

    campaign: str
    code: str
    serial: int
    tier: str | None


class Rechecker:
    """The campaigns the server knows, ready to re-check codes."""

    def __init__(
        self, campaigns: list[tuple[Campaign, bytes]], plan_seeds: Mapping[str, bytes] | None = None
    ) -> None:
        seeds = plan_seeds or {}
        self.ciphers = {c.id: CampaignCipher(c, key, seeds.get(c.id)) for c, key in campaigns}
        self._prefixes = {c.prefix: c.id for c, _ in campaigns}
        self._values = {c.id: {t.name: t.value for t in c.tiers} for c, _ in campaigns}

    def value(self, campaign_id: str, tier: str | None) -> float:
        """What the campaign says a tier is worth: the figure the server records, never the
        device's."""
        return self._values.get(campaign_id, {}).get(tier or "", 0.0)

    def too_late(self, campaign_id: str, received: float, local_time: str = "") -> str | None:
        """Why a redemption received at `received` is refused for the campaign's end, or None.
        One made offline before the end (its device's `local_time`) still counts if it arrives
        within the max-offline window: the device's clock is taken at its word only there."""
        campaign = self.campaign(campaign_id)
        if campaign is None or campaign.ends_at is None:
            return None
        ends = campaign.ends_at.timestamp()
        if received < ends:  # nearly always: the device's time is read only after the end
            return None
        try:
            made = datetime.fromisoformat(local_time).timestamp()
        except ValueError:  # unreadable, or an online claim (no local time): made on arrival
            made = received
        if made < ends and received < ends + LATE_WINDOW_S:
            return None
        return "expired: the campaign had ended when this code was redeemed"

    def campaign(self, campaign_id: str) -> Campaign | None:
        cipher = self.ciphers.get(campaign_id)
        return cipher.campaign if cipher else None

    def check(self, items: list[Claimed]) -> list[str | None]:
        """A refusal reason per item ("forged: ..."), or None when the code is what it says."""
        reasons: list[str | None] = [None] * len(items)
        by_campaign: dict[str, list[int]] = defaultdict(list)
        for i, item in enumerate(items):
            by_campaign[item.campaign].append(i)
        for campaign_id, positions in by_campaign.items():
            group = [items[i] for i in positions]
            cipher = self.ciphers.get(campaign_id)
            # A push's codes, as printed, go through numpy together; anything else (an online
            # claim's one code, a batch with anything odd in it) is read code by code.
            found = None
            if cipher is not None and len(group) >= FEW:
                rows = self._as_printed(cipher, group)
                found = self._check_rows(cipher, group, rows) if rows is not None else None
            if found is None:
                found = self._check_each(group)
            for i, reason in zip(positions, found, strict=True):
                reasons[i] = reason
        return reasons

    @staticmethod
    def _as_printed(cipher: CampaignCipher, group: list[Claimed]) -> npt.NDArray[np.uint8] | None:
        """The group's codes as rows of symbols, when each is a code of this campaign as printed
        (or typed with the usual slips): the usual push. None otherwise."""
        prefix = cipher.campaign.prefix
        codes = [item.code for item in group]
        if not all(type(code) is str for code in codes):
            return None
        rows = crockford.normalise_rows(codes, len(prefix) + layout.BODY_SYMBOLS + 1)
        if (
            rows is None
            or not (rows[:, : len(prefix)] == np.frombuffer(prefix.encode(), np.uint8)).all()
        ):
            return None
        return rows

    @staticmethod
    def _check_rows(
        cipher: CampaignCipher, group: list[Claimed], rows: npt.NDArray[np.uint8]
    ) -> list[str | None] | None:
        """`_check_each`'s answers for codes already read into rows, with numpy: only the codes
        found wrong are looked at one by one. None when a serial is no plain number."""
        start = len(cipher.campaign.prefix)
        try:
            serials = np.fromiter((item.serial for item in group), np.int64, len(group))
        except (OverflowError, TypeError, ValueError):
            return None
        names = {t.name: k for k, t in enumerate(cipher.campaign.tiers)}
        tiers = np.fromiter(  # -1: the event names no tier; -2: one the campaign lacks
            (-1 if item.tier is None else names.get(item.tier, -2) for item in group), np.int64,
            len(group),
        )  # fmt: skip
        passes = crockford.check_passes_rows(rows)
        good, tier, serial = cipher.decode_rows(rows[:, start : start + layout.BODY_SYMBOLS])
        serial, tier = serial.astype(np.int64), tier.astype(np.int64)
        mismatch = (serial != serials) | ((tiers != -1) & (tiers != tier))
        unplanned = np.zeros(len(group), bool)
        if cipher.holds_plan:
            unplanned = cipher.plan.tiers_of(serial.astype(np.uint64)) != tier
        issued = cipher.campaign.issued
        wrong = ~passes | ~good | mismatch | unplanned | (serial >= issued)
        reasons: list[str | None] = [None] * len(group)
        for k in np.flatnonzero(wrong).tolist():
            reasons[k] = _refusal(
                bool(passes[k]), bool(good[k]), not mismatch[k], not unplanned[k], int(serial[k]),
                issued,
            )  # fmt: skip
        return reasons

    def _check_each(self, items: list[Claimed]) -> list[str | None]:
        """The reasons for codes of one campaign, each code read on its own (any input)."""
        reasons: list[str | None] = []
        for item in items:
            reason, compact = self._read(item)
            if compact is None:
                reasons.append(reason)
                continue
            cipher = self.ciphers[item.campaign]
            start = len(cipher.campaign.prefix)
            found = cipher.decode(compact[start : start + layout.BODY_SYMBOLS])
            good = found is not None and found[1] < len(cipher.campaign.tiers)
            tier, serial = (found[1], found[2]) if found is not None and good else (0, 0)
            names = [t.name for t in cipher.campaign.tiers]
            matches = good and serial == item.serial and item.tier in (None, names[tier])
            planned = not (good and cipher.holds_plan) or cipher.plan.tier_of(serial) == tier
            reasons.append(
                _refusal(
                    crockford.check_passes_text(compact), good, matches, planned, serial,
                    cipher.campaign.issued,
                )
            )  # fmt: skip
        return reasons

    def _read(self, item: Claimed) -> tuple[str | None, str | None]:
        """(reason, None) for a code that cannot be this campaign's, else (None, its symbols)."""
        cipher = self.ciphers.get(item.campaign)
        if cipher is None:
            return f"unknown_campaign: no campaign {item.campaign!r} on this server", None
        try:
            compact = crockford.normalise(item.code)
        except crockford.NotACode:
            return "invalid: not a code", None
        prefix = cipher.campaign.prefix
        tail = layout.BODY_SYMBOLS + 1
        if not compact.startswith(prefix) or len(compact) != len(prefix) + tail:
            owner = next(
                (
                    cid
                    for p, cid in self._prefixes.items()
                    if compact.startswith(p) and len(compact) == len(p) + tail
                ),
                None,
            )
            if owner is not None:
                return f"wrong_campaign: the code belongs to campaign {owner}", None
            return f"invalid: not a code of campaign {item.campaign}", None
        return None, compact


def _refusal(
    passes: bool, decrypts: bool, matches: bool, planned: bool, serial: int, issued: int
) -> str | None:
    """Why a code of the campaign's shape is refused: the first check it fails, in this order."""
    if not passes:
        return "invalid: the check symbol does not match"
    if not decrypts:
        return "forged: the code does not decrypt under the campaign key"
    if not matches:
        return "forged: the code is not the serial or tier the event says"
    if not planned:
        return "forged: the code's tier is not the one its serial was printed with"
    if serial >= issued:
        return f"not_issued: serial {serial} was never issued"
    return None
