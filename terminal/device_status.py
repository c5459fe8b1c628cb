"""What a store manager sees of a device at a glance: pending events and their age, conflicts,
rejections, alerts, offline budgets used, vouchers held, and the last redemptions."""

from __future__ import annotations

import json
from typing import Any

from terminal.device_setup import DeviceSetup
from terminal.ledger import Device, Ledger
from terminal.ledger_content import contents


def status(ledger: Ledger, device: Device, setup: DeviceSetup) -> dict[str, Any]:
    """Quick even with a million events pending (state_counts is kept by triggers)."""
    counts = ledger.state_counts()
    _, oldest_s = ledger.pending_summary()
    open_alerts, alerts = ledger.open_alerts()
    budget = {}
    for rule in setup.rules.values():
        used, value_used = ledger.offline_used(rule.tier)
        budget[rule.tier] = {
            "used": used, "max": rule.offline_count, "value_used": value_used,
            "max_value": rule.offline_value, "needs_online": rule.needs_online,
        }  # fmt: skip
    max_offline = setup.config.max_offline_seconds
    return {
        "device_id": device.device_id,
        "device_name": device.name,
        "store_id": device.store_id,
        "online": bool(ledger.setting("online", False)),
        "online_since": ledger.setting("online_since"),
        "offline_since": ledger.setting("offline_since"),
        "pending": counts.get("pending", 0),
        "oldest_pending_s": oldest_s,
        "max_offline_s": max_offline,
        "overdue": oldest_s > max_offline,
        "last_push": ledger.setting("last_push"),
        "last_pull": ledger.setting("last_pull"),
        "last_sync_error": ledger.setting("last_sync_error"),
        "events": counts,
        "conflicts": counts.get("conflict", 0),
        "conflict_list": _with_prizes(ledger, setup, ledger.events_in_state("conflict")),
        "rejected": counts.get("rejected", 0),
        "rejected_list": _with_prizes(ledger, setup, ledger.events_in_state("rejected")),
        "alerts": open_alerts,
        "alert_list": alerts,
        "offline_budget": budget,
        # vouchers held to hand out, by "campaign/tier" of every pool this device was sent
        "vouchers": {f"{c}/{t}": n for (c, t), n in ledger.vouchers_held().items()},
    }


def _with_prizes(
    ledger: Ledger, setup: DeviceSetup, events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each redemption with its prize as shoppers read it ("Silver coin", not "silver"): the
    brand's English name for the tier where its content gives one, else the campaign file's
    description, else the tier's name."""
    if not any(e["kind"] == "redeem" for e in events):
        return events
    named = {
        (c.campaign, tier): words.name["en"]
        for c in contents(ledger) for tier, words in c.tiers.items() if words.name.get("en")
    }  # fmt: skip
    out = []
    for event in events:
        payload = event["payload"]
        if event["kind"] == "redeem" and payload.get("tier"):
            campaign, tier = payload.get("campaign"), payload["tier"]
            reward = setup.reward(campaign, tier)
            prize = named.get((campaign, tier)) or (reward and reward.description) or tier
            event = {**event, "prize": prize}
        out.append(event)
    return out


def budget_tiers(budget: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The tiers with an offline cap (on their number, their value or both): the lines a
    manager reads under the total."""
    return {
        tier: b
        for tier, b in budget.items()
        if b["max"] is not None or b.get("max_value") is not None
    }


def offline_budget_total(budget: dict[str, dict[str, Any]]) -> tuple[int, int | None]:
    """Prizes given offline since the last sync over the tiers with a cap, and how many those
    tiers allow in all: the same count as their lines, summed. The allowance is None when a tier
    is capped by value only (no number to add up)."""
    capped = budget_tiers(budget).values()
    used = sum(int(b["used"]) for b in capped)
    if any(b["max"] is None for b in capped):
        return used, None
    return used, sum(int(b["max"]) for b in capped)


def recent_redemptions(ledger: Ledger, limit: int = 20) -> list[dict[str, Any]]:
    """The last redemptions here, newest first: when, which code and tier, and its state."""
    out = []
    for r in ledger.recent_redemptions(limit):
        p = json.loads(r["payload"])
        out.append({
            "local_time": r["local_time"], "code": p.get("code"), "tier": p.get("tier"),
            "state": r["state"], "offline": bool(r["offline"]), "actor": r["actor"],
        })  # fmt: skip
    return out
