"""Is this a code, of which campaign, which serial and tier, and may it be used now?

No database and no network: the cipher alone answers, in a few microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from codes import crockford, layout
from codes.campaign_cipher import CampaignCipher

CODE_TAIL = layout.BODY_SYMBOLS + 1  # body and check symbol after the prefix


class CheckStatus(StrEnum):
    VALID = "valid"
    MISTYPED = "mistyped"
    INVALID = "invalid"
    UNKNOWN_CAMPAIGN = "unknown_campaign"
    NOT_ISSUED = "not_issued"
    EXPIRED = "expired"
    NOT_STARTED = "not_started"


class CheckResult(NamedTuple):
    """What a code is; immutable, and cheap to build (checking is on every scan's path)."""

    status: CheckStatus
    message: str
    code: str | None = None  # the printed form, when the text could be read as a code
    campaign: str | None = None
    serial: int | None = None
    tier: str | None = None
    tier_value: float | None = None

    @property
    def valid(self) -> bool:
        return self.status is CheckStatus.VALID

    def to_dict(self) -> dict[str, Any]:
        data = self._asdict()
        data["status"] = self.status.value
        return data


class CodeChecker:
    """Checks codes against the campaigns this device holds keys for."""

    def __init__(self, ciphers: Iterable[CampaignCipher] = ()) -> None:
        self._by_prefix: dict[str, list[CampaignCipher]] = {}
        self._prefixes: list[str] = []  # a checker of no campaign reads every code as not ours
        for cipher in ciphers:
            self.add(cipher)

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The prefixes of the campaigns this checker knows, longest first."""
        return tuple(self._prefixes)

    def add(self, cipher: CampaignCipher) -> None:
        self._by_prefix.setdefault(cipher.campaign.prefix, []).append(cipher)
        # longest prefix first, so `HV` is not taken for `H` plus a longer body
        self._prefixes = sorted(self._by_prefix, key=len, reverse=True)

    def check(self, text: str, now: datetime | None = None) -> CheckResult:
        try:
            compact = crockford.normalise(text)
        except crockford.NotACode as exc:
            return CheckResult(CheckStatus.INVALID, str(exc))
        prefix = self._prefix_of(compact)
        if prefix is None:
            return self._unmatched(compact)
        printed = layout.group(prefix, compact[len(prefix) :])
        if not crockford.check_passes_text(compact):
            return CheckResult(CheckStatus.MISTYPED, _MISTYPED, code=printed)
        body = compact[len(prefix) : len(prefix) + layout.BODY_SYMBOLS]
        for cipher in self._by_prefix[prefix]:
            decoded = cipher.decode(body)
            if decoded is not None:
                return _judge(cipher, decoded, printed, now)
        return CheckResult(CheckStatus.INVALID, "This is not a valid code.", code=printed)

    def _prefix_of(self, compact: str) -> str | None:
        for prefix in self._prefixes:
            if compact.startswith(prefix) and len(compact) == len(prefix) + CODE_TAIL:
                return prefix
        return None

    def _unmatched(self, compact: str) -> CheckResult:
        for prefix in self._prefixes:
            if compact.startswith(prefix) and len(compact) > len(prefix):
                got = len(compact) - len(prefix)
                return CheckResult(
                    CheckStatus.MISTYPED,
                    f"This code looks mistyped: it has {got} characters after {prefix},"
                    f" codes have {CODE_TAIL}.",
                )
        prefix_len = len(compact) - CODE_TAIL
        if 1 <= prefix_len <= layout.MAX_PREFIX:
            printed = layout.group(compact[:prefix_len], compact[prefix_len:])
            if crockford.check_passes_text(compact):
                return CheckResult(
                    CheckStatus.UNKNOWN_CAMPAIGN,
                    f"This code is for a campaign ({compact[:prefix_len]}) this device does not know.",
                    code=printed,
                )
            return CheckResult(CheckStatus.MISTYPED, _MISTYPED, code=printed)
        size = "short" if prefix_len < 1 else "long"
        return CheckResult(
            CheckStatus.INVALID, f"This is not a code: {len(compact)} characters is too {size}."
        )


_MISTYPED = "This code looks mistyped: check each character and try again."


def _judge(
    cipher: CampaignCipher, decoded: tuple[int, int, int], printed: str, now: datetime | None
) -> CheckResult:
    _version, tier_index, serial = decoded
    campaign = cipher.campaign
    if tier_index >= len(campaign.tiers):
        return CheckResult(CheckStatus.INVALID, "This is not a valid code.", code=printed)
    if cipher.holds_plan and cipher.plan.tier_of(serial) != tier_index:
        # made with the campaign key but not by the issuer: a serial re-encrypted with a prize
        return CheckResult(CheckStatus.INVALID, "This is not a valid code.", code=printed)
    tier = campaign.tiers[tier_index]
    if (campaign.starts_at or campaign.ends_at) and now is None:
        now = datetime.now(UTC)  # only when there is a window: this is on every scan's path
    if serial >= campaign.issued:
        status, message = CheckStatus.NOT_ISSUED, "This code was never issued."
    elif campaign.starts_at and now and now < campaign.starts_at:
        status = CheckStatus.NOT_STARTED
        message = f"This campaign starts on {campaign.starts_at:%d %b %Y}."
    elif campaign.ends_at and now and now >= campaign.ends_at:
        status = CheckStatus.EXPIRED
        message = f"This campaign ended on {campaign.ends_at:%d %b %Y}."
    else:
        status, message = CheckStatus.VALID, f"Valid code: {tier.description or tier.name}."
    return CheckResult(status, message, printed, campaign.id, serial, tier.name, tier.value)
