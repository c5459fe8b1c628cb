"""The status object in a store manager's words: one line for the device, one per conflict,
rejected event and alert, each naming the code, the prize, the other store and the times, and
last the device's id (support's word for it, never the headline's)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from codes.common.cli import counted
from terminal import conflict_words
from terminal.conflict_words import FirstSide
from terminal.device_status import budget_tiers, offline_budget_total


def age(seconds: float) -> str:
    if seconds < 90:
        return counted(round(seconds), "second")
    if seconds < 5400:
        return counted(round(seconds / 60), "minute")
    if seconds < 2 * 86400:
        return counted(round(seconds / 3600), "hour")
    return counted(round(seconds / 86400), "day")


def moment(stamp: str | datetime | None, day_of: datetime | None = None) -> str:
    """A moment as "15:07 UTC on 6 Dec", and as "15:07 UTC" alone on the day of `day_of` (the
    other side of a conflict, the same day); a stamp that is not a time is said as it is."""
    if isinstance(stamp, datetime):
        at = stamp
    else:
        try:
            at = datetime.fromisoformat(str(stamp or ""))
        except ValueError:
            return str(stamp or "at an unknown time")
    at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    said = f"{at:%H:%M} UTC"
    if day_of is not None and day_of.astimezone(UTC).date() == at.date():
        return said
    year = f" {at.year}" if at.year != datetime.now(UTC).year else ""
    return f"{said} on {at.day} {at:%b}{year}"


def headline(s: dict[str, Any]) -> str:
    """In sync or not, at a glance; the device's id is a detail line of its own (`lines`)."""
    since = s["online_since"] if s["online"] else s["offline_since"]
    state = ("online" if s["online"] else "offline") + (f" since {moment(since)}" if since else "")
    pending = counted(s["pending"], "event") + " waiting to sync"
    if s["pending"]:
        deadline = age(s["max_offline_s"])
        pending += f" (oldest {age(s['oldest_pending_s'])}; must sync within {deadline}"
        pending += ", OVERDUE)" if s["overdue"] else ")"
    last = moment(s["last_pull"]) if s["last_pull"] else "never"
    where = f"at store {s['store_id']}" if s["store_id"] else "(not assigned to a store)"
    return (
        f"{s['device_name'] or 'This device'} {where}: {state};"
        f" {pending}; {counted(s['conflicts'], 'conflict')}, {counted(s['rejected'], 'rejected event')},"
        f" {counted(s['alerts'], 'open alert')}; last sync {last}"
    )


def _first_side(first: FirstSide, here: str, ours: datetime | None) -> str:
    """ "was already redeemed at North Street by North till at 15:07 UTC"."""
    store = "this store" if first.store_id == here else first.store
    at = f" at {moment(first.when, ours)}" if first.when else ""
    return f"was already redeemed at {store} by {first.device}{at}"


def event_line(event: dict[str, Any], store_id: str = "") -> str:
    """A conflict or a rejected event: what it was, by whom and when here, and why, in words;
    `store_id` is this device's store (a first side in it is "this store")."""
    payload = event["payload"]
    by = f" by {event['actor']}" if event.get("actor") else ""
    when = moment(event["local_time"])
    if event["kind"] == "redeem":
        prize = event.get("prize") or payload.get("tier") or "no prize"
        what = f"{payload.get('code', '?')} ({prize}), redeemed here{by} at {when}"
    else:
        points = abs(int(payload.get("points") or 0))
        what = (
            f"{event['kind']} of {counted(points, 'point')} for member {payload.get('member', '?')}"
            f" here{by} at {when}"
        )
    first = conflict_words.first_side(event["reason"])
    if first is not None:
        try:
            ours: datetime | None = datetime.fromisoformat(str(event["local_time"]))
        except ValueError:
            ours = None
        return f"{what}, {_first_side(first, store_id, ours)}"
    # the server's reasons start with a code for machines ("double_redemption: ..."): drop it
    reason = conflict_words.split(event["reason"])[1]
    return f"{what}: {reason or 'no reason given'}"


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
    here = s["store_id"] or ""
    out += [f"  conflict: {event_line(e, here)}" for e in s["conflict_list"]]
    out += [f"  rejected: {event_line(e, here)}" for e in s["rejected_list"]]
    out += [
        f"  alert ({a['kind']}, {moment(a['created'])}): {a['message']}" for a in s["alert_list"]
    ]
    out += budget_lines(s["offline_budget"])
    for pool, held in s.get("vouchers", {}).items():
        out.append(f"  vouchers {pool}: {held} held to hand out")
    if s.get("last_sync_error"):
        out.append(f"  last sync failed: {s['last_sync_error']}")
    out.append(f"  device id {s['device_id']} (support and the dashboard know it by this)")
    return out
