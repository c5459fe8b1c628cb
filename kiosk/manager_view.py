"""The store manager's screen as data: the status object as words in the kiosk's language.

Built from `Terminal.status()`; headings, the connection, what waits to sync, the budget (prizes
given offline since the last sync: in all, above the same count by tier) and what "sync now" did
are catalogue `Text`s, so the manager reads them in the kiosk's language. So are the
lines about single events (conflicts, rejections, alerts, the last redemptions): their kinds,
states and the server's reasons are catalogue words, codes, members, cashiers and times are data,
and a reason the catalogue does not know is shown in the server's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.i18n import Text, catalogue
from terminal import conflict_words
from terminal.device_status import budget_tiers, offline_budget_total

NEAR_DEADLINE = 0.75  # of the max-offline window: the pending line turns to a warning
SECTIONS = ("conflicts", "rejected", "alerts", "budget", "recent")  # in the screen's order


@dataclass(frozen=True)
class ManagerView:
    connection: Text
    online: bool
    last_sync: Text
    pending: Text
    oldest: Text | None  # how old the oldest pending event is, and its deadline
    warn: bool  # the oldest pending event is close to (or past) the max-offline deadline
    overdue: bool
    conflicts: tuple[Text, ...]
    rejected: tuple[Text, ...]
    alerts: tuple[Text, ...]
    budget: tuple[Text, ...]
    budget_total: Text  # the budget's heading: what its lines count, summed
    recent: tuple[Text, ...]
    sync: Text | None  # what the last "sync now" did, or None

    def heading(self, section: str) -> Text:
        if section == "budget":
            return self.budget_total
        return Text.of(f"manager.section.{section}", n=len(getattr(self, section)))


def when(stamp: Any) -> Text:
    """A moment as "01 December 08:00:00" in the kiosk's language."""
    if not stamp:
        return Text.of("manager.never")
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return Text.of("manager.as_is", words=str(stamp))
    return Text.of("manager.when", day=f"{moment.day:02d}", month=Text.of(f"month.{moment.month}"),
                   time=moment.strftime("%H:%M:%S"))  # fmt: skip


def age(seconds: float) -> Text:
    """A span as "2 days", with the plural its language needs."""
    for unit, size, below in (("second", 1, 90), ("minute", 60, 5400), ("hour", 3600, 2 * 86400)):
        if seconds < below:
            return Text.of(f"manager.age.{unit}", n=round(seconds / size))
    return Text.of("manager.age.day", n=round(seconds / 86400))


def _known(key: str, words: str) -> Text:
    """A catalogue word where there is one (a kind, a state, a reason), else the words as data."""
    return Text.of(key) if key in catalogue("en") else Text.of("manager.as_is", words=words)


def reason(words: str | None) -> Text:
    """The server's reason for a conflict or rejection: its code ("double_redemption: ...")
    names catalogue words; the rest is said as the server said it."""
    if not words:
        return Text.of("manager.no_reason")
    code, rest = conflict_words.split(words)
    if code is None:
        return Text.of("manager.as_is", words=words)
    first = conflict_words.first_side(words)
    if first is not None and first.when_text:  # the side that won: device, store, when (data)
        return Text.of("manager.reason.double_redemption_by", device=first.device,
                       store=first.store, when=first.when_text or "")  # fmt: skip
    return _known(f"manager.reason.{code}", rest)


def event_line(event: dict[str, Any]) -> Text:
    """A conflict or a rejected event: what it was, by whom, when, and why."""
    payload, when_ = event["payload"], when(event["local_time"])
    why = reason(event["reason"])
    if event["kind"] == "redeem":
        tier = payload.get("tier") or Text.of("manager.no_tier")
        code = payload.get("code", "?")
        if event.get("actor"):
            return Text.of("manager.event.redeem_by", code=code, tier=tier, actor=event["actor"],
                           when=when_, reason=why)  # fmt: skip
        return Text.of("manager.event.redeem", code=code, tier=tier, when=when_, reason=why)
    return Text.of("manager.event.points", points=abs(int(payload.get("points") or 0)),
                   kind=_known(f"manager.kind.{event['kind']}", event["kind"]),
                   member=str(payload.get("member", "?")), when=when_, reason=why)  # fmt: skip


def recent_line(row: dict[str, Any]) -> Text:
    state = _known(f"manager.state.{row['state']}", str(row["state"]))
    key = "manager.recent_offline" if row["offline"] else "manager.recent"
    return Text.of(key, when=when(row["local_time"]), code=row["code"],
                   tier=row["tier"] or Text.of("manager.no_tier"), state=state)  # fmt: skip


def budget_total(budget: dict[str, Any]) -> Text:
    """Prizes given offline since the last sync against what the tiers below allow in all."""
    if not budget_tiers(budget):
        return Text.of("manager.budget_none")
    used, allowed = offline_budget_total(budget)
    if allowed is None:  # a tier capped by value only: no number to add up
        return Text.of("manager.section.budget_used", used=used)
    return Text.of("manager.section.budget", used=used, allowed=allowed)


def budget_lines(budget: dict[str, Any]) -> tuple[Text, ...]:
    """One line a tier: how many of its prizes went offline of how many, and their worth."""
    out = []
    for tier, b in budget_tiers(budget).items():
        if b.get("max_value") is None:
            out.append(Text.of("manager.budget_line", tier=tier, used=b["used"], max=b["max"]))
            continue
        worth = {"value_used": f"{b['value_used']:g}", "max_value": f"{b['max_value']:g}"}
        if b["max"] is None:
            out.append(Text.of("manager.budget_value", tier=tier, **worth))
        else:
            out.append(Text.of("manager.budget_line_value", tier=tier, used=b["used"],
                               max=b["max"], **worth))  # fmt: skip
    return tuple(out)


def view(
    status: dict[str, Any], recent: list[dict[str, Any]], sync: Text | None = None
) -> ManagerView:
    online = bool(status["online"])
    since = status["online_since"] if online else status["offline_since"]
    state = "online" if online else "offline"
    connection = (
        Text.of(f"manager.{state}_since", when=when(since))
        if since
        else Text.of(f"manager.{state}")
    )
    oldest, deadline = status["oldest_pending_s"], status["max_offline_s"]
    return ManagerView(
        connection=connection, online=online,
        last_sync=Text.of("manager.last_sync", when=when(status["last_pull"])),
        pending=Text.of("manager.pending", n=int(status["pending"])),
        oldest=Text.of("manager.oldest", age=age(oldest), deadline=age(deadline))
        if status["pending"] else None,
        warn=bool(status["pending"]) and oldest >= NEAR_DEADLINE * deadline,
        overdue=bool(status["overdue"]),
        conflicts=tuple(event_line(e) for e in status["conflict_list"]),
        rejected=tuple(event_line(e) for e in status["rejected_list"]),
        alerts=tuple(Text.of("manager.alert", kind=a["kind"], message=a["message"])
                     for a in status["alert_list"]),
        budget=budget_lines(status["offline_budget"]),
        budget_total=budget_total(status["offline_budget"]),
        recent=tuple(recent_line(r) for r in recent),
        sync=sync,
    )  # fmt: skip
