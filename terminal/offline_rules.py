"""The rules a device applies by itself: redemption limits (per cashier, per member, per hour)
and each tier's offline budget, the most a device may give away before the server has seen it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from codes.common.cli import counted
from terminal.config import SCOPE_WORDS, Limit, TerminalConfig, TierRule
from terminal.ledger import Ledger


class OfflineRules:
    def __init__(self, ledger: Ledger, config: TerminalConfig, rules: dict[str, TierRule]) -> None:
        self.ledger, self.config, self.rules = ledger, config, rules

    def limits(self, actor: str, member: str | None) -> tuple[str | None, list[str]]:
        """(refusal naming a hard limit, warnings from soft limits)."""
        warnings: list[str] = []
        for limit in self.config.limits:
            used = self._used(limit, actor, member)
            if used is None or used < limit.max:
                continue
            words = (
                f"limit of {counted(limit.max, 'redemption')} {SCOPE_WORDS[limit.scope]} reached"
            )
            if limit.hard:
                return f"Refused: the {words}.", warnings
            warnings.append(f"The {words} (soft limit: let through, manager alerted).")
        return None, warnings

    def _used(self, limit: Limit, actor: str, member: str | None) -> int | None:
        """Redemptions in the limit's window, or None when the limit does not apply."""
        day_start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        if limit.scope == "cashier_day":
            return (
                self.ledger.redemptions_since(day_start, limit.max, actor=actor) if actor else None
            )
        if limit.scope == "member_day":
            return (
                self.ledger.redemptions_since(day_start, limit.max, member=member)
                if member
                else None
            )
        return self.ledger.redemptions_since(time.time() - 3600, limit.max)

    def needs_online(self, tier: str) -> bool:
        rule = self.rules.get(tier)
        return rule is not None and rule.needs_online

    def over_budget(self, tier: str, value: float) -> str | None:
        """Why one more of the tier offline is too many, or None."""
        rule = self.rules.get(tier)
        if rule is None or (rule.offline_count is None and rule.offline_value is None):
            return None
        count, total = self.ledger.offline_used(tier)
        if rule.offline_count is not None and count + 1 > rule.offline_count:
            return f"Offline limit reached: {rule.offline_count} {tier} rewards until this device syncs."
        if rule.offline_value is not None and total + value > rule.offline_value:
            return f"Offline limit reached: {rule.offline_value:g} worth of {tier} rewards until this device syncs."
        return None
