"""The store manager's screen as data: the status object as words in the kiosk's language.

Built from `Terminal.status()`; headings, the connection, what waits to sync, the budget and what
"sync now" did are catalogue `Text`s, so the manager reads them in the kiosk's language. The lines
about single events (conflicts, rejections, alerts, the last redemptions) are the words of
`terminal.status_text`, as the CLI and the till's console say them, with codes and names as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.i18n import Text
from terminal import status_text

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
    conflicts: tuple[str, ...]
    rejected: tuple[str, ...]
    alerts: tuple[str, ...]
    budget: tuple[Text, ...]
    recent: tuple[str, ...]
    sync: Text | None  # what the last "sync now" did, or None

    def heading(self, section: str) -> Text:
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


def _when_en(stamp: Any) -> str:
    if not stamp:
        return "never"
    try:
        return datetime.fromisoformat(str(stamp)).strftime("%d %b %H:%M:%S")
    except ValueError:
        return str(stamp)


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
        conflicts=tuple(status_text.event_line(e) for e in status["conflict_list"]),
        rejected=tuple(status_text.event_line(e) for e in status["rejected_list"]),
        alerts=tuple(f"{a['kind']}: {a['message']}" for a in status["alert_list"]),
        budget=tuple(
            Text.of("manager.budget_line", tier=tier, used=b["used"], max=b["max"])
            for tier, b in status["offline_budget"].items()
            if b["max"] is not None
        ),
        recent=tuple(
            f"{_when_en(r['local_time'])}  {r['code']}  {r['tier'] or '-'}  "
            + ("offline, " if r["offline"] else "")
            + str(r["state"])
            for r in recent
        ),
        sync=sync,
    )  # fmt: skip
