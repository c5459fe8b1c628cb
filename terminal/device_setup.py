"""What the server last sent this device, read from the ledger: its config and its campaigns,
with the checker for their codes and each tier's offline rule."""

from __future__ import annotations

import json
from dataclasses import dataclass

from codes import campaign as campaign_file
from codes.campaign import Campaign, Tier
from codes.campaign_cipher import CampaignCipher
from codes.checker import CheckResult, CodeChecker
from terminal.config import TerminalConfig, TierRule, default_rule
from terminal.ledger import Ledger


@dataclass(frozen=True)
class DeviceSetup:
    config: TerminalConfig
    campaigns: dict[str, Campaign]
    campaign_no: dict[str, int]  # the campaign's number in this ledger (rows keep the number)
    checker: CodeChecker
    rules: dict[str, TierRule]  # by tier: the server's rule, else the default for a prize

    @classmethod
    def read(cls, ledger: Ledger) -> DeviceSetup:
        stored = ledger.setting("config")
        config = TerminalConfig.from_dict(stored) if stored else TerminalConfig()
        campaigns: dict[str, Campaign] = {}
        numbers: dict[str, int] = {}
        ciphers = []
        for row in ledger.campaign_rows():
            campaign = campaign_file.from_dict(json.loads(row["data"]))
            numbers[campaign.id] = row["no"]
            campaigns[campaign.id] = campaign
            ciphers.append(CampaignCipher(campaign, bytes(row["key"])))
        rules: dict[str, TierRule] = {}
        for campaign in campaigns.values():
            for tier in campaign.tiers:
                rule = config.tier_rule(tier.name) or default_rule(tier)
                if rule is not None:
                    rules.setdefault(tier.name, rule)
        for rule in config.tier_rules:
            rules.setdefault(rule.tier, rule)
        return cls(config, campaigns, numbers, CodeChecker(ciphers), rules)

    def reward(self, campaign: str | None, tier: str | None) -> Tier | None:
        """The prize a code's tier stands for, as its campaign describes it."""
        known = self.campaigns.get(campaign or "")
        if known is None or tier is None:
            return None
        return next((t for t in known.tiers if t.name == tier), None)

    def key(self, checked: CheckResult) -> tuple[int, int]:
        """(campaign number, serial) of a valid code, as the ledger's rows keep it."""
        assert checked.campaign is not None and checked.serial is not None
        return self.campaign_no[checked.campaign], checked.serial
