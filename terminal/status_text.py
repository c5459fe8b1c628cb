"""The status object in a store manager's words: one line for the device, one per conflict,
rejected event and alert, each naming the code, the prize, the other store and the times."""

from __future__ import annotations

from typing import Any

from codes.common.cli import counted
from terminal.device_status import budget_tiers, offline_budget_total


def age(seconds: float) -> str:
    if seconds < 90:
        return counted(round(seconds), "second")
    if seconds < 5400:
        return counted(round(seconds / 60), "minute")
    if seconds < 2 * 86400:
        return counted(round(seconds / 3600), "hour")
    return counted(round(seconds / 86400), "day")


def headline(s: dict[str, Any]) -> str:
    """In sync or not, at a glance."""
    since = s["online_since"] if s["online"] else s["offline_since"]
    state = ("online" if s["online"] else "offline") + (f" since {since}" if since else "")
    pending = counted(s["pending"], "event") + " waiting to sync"
    if s["pending"]:
        deadline = age(s["max_offline_s"])
        pending += f" (oldest {age(s['oldest_pending_s'])}; must sync within {deadline}"
        pending += ", OVERDUE)" if s["overdue"] else ")"
    return (
        f"{s['device_name']} ({s['device_id']}) at store {s['store_id'] or '-'}: {state};"
        f" {pending}; {counted(s['conflicts'], 'conflict')}, {counted(s['rejected'], 'rejected event')},"
        f" {counted(s['alerts'], 'open alert')}; last sync {s['last_pull'] or 'never'}"
    )


def event_line(event: dict[str, Any]) -> str:
    payload = event["payload"]
    if event["kind"] == "redeem":
        what = f"code {payload.get('code', '?')} ({payload.get('tier') or 'no tier'})"
    else:
        points = abs(int(payload.get("points") or 0))
        what = (
            f"{event['kind']} of {counted(points, 'point')} for member {payload.get('member', '?')}"
        )
    by = f" by {event['actor']}" if event.get("actor") else ""
    # the server's reasons start with a code for machines ("double_redemption: ..."): drop it
    code, sep, words = (event["reason"] or "").partition(": ")
    reason = words if sep and code.isidentifier() else event["reason"]
    return f"{what}{by} here at {event['local_time']}: {reason or 'no reason given'}"


def budget_lines(budget: dict[str, Any]) -> list[str]:
    """Prizes given offline since the last sync, in all and by tier: the total counts what the
    tier lines count, so "2 of 20" sits above "gold: 0 of 10" and "silver: 2 of 10"."""
    tiers = budget_tiers(budget)
    if not tiers:
        return []
    used, allowed = offline_budget_total(budget)
    out = [f"  prizes given offline since the last sync: {used}"
           + (f" of {allowed} allowed" if allowed is not None else "")]  # fmt: skip
    for tier, b in tiers.items():
        parts = [f"{b['used']} of {b['max']}"] if b["max"] is not None else []
        if b.get("max_value") is not None:
            parts.append(f"worth {b['value_used']:g} of {b['max_value']:g}")
        out.append(f"    {tier}: {', '.join(parts)}")
    return out


def lines(s: dict[str, Any]) -> list[str]:
    """Every line a manager reads: the headline, then conflicts, rejections, alerts, budget,
    vouchers."""
    out = [headline(s)]
    out += [f"  conflict: {event_line(e)}" for e in s["conflict_list"]]
    out += [f"  rejected: {event_line(e)}" for e in s["rejected_list"]]
    out += [f"  alert ({a['kind']}, {a['created']}): {a['message']}" for a in s["alert_list"]]
    out += budget_lines(s["offline_budget"])
    for pool, held in s.get("vouchers", {}).items():
        out.append(f"  vouchers {pool}: {held} held to hand out")
    if s.get("last_sync_error"):
        out.append(f"  last sync failed: {s['last_sync_error']}")
    return out
