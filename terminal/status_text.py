"""The status object in a store manager's words: one line for the device, one per conflict,
rejected event and alert, each naming the code, the prize, the other store and the times."""

from __future__ import annotations

from typing import Any

from codes.common.cli import counted


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


def lines(s: dict[str, Any]) -> list[str]:
    """Every line a manager reads: the headline, then conflicts, rejections, alerts, budget,
    vouchers."""
    out = [headline(s)]
    out += [f"  conflict: {event_line(e)}" for e in s["conflict_list"]]
    out += [f"  rejected: {event_line(e)}" for e in s["rejected_list"]]
    out += [f"  alert ({a['kind']}, {a['created']}): {a['message']}" for a in s["alert_list"]]
    for tier, b in s["offline_budget"].items():
        if b["max"] is not None:
            out.append(
                f"  offline budget {tier}: {b['used']} of {b['max']} used since the last sync"
            )
    for pool, held in s.get("vouchers", {}).items():
        out.append(f"  vouchers {pool}: {held} held to hand out")
    if s.get("last_sync_error"):
        out.append(f"  last sync failed: {s['last_sync_error']}")
    return out
