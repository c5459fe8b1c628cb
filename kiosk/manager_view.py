"""The store manager's screen as data: the status object in a person's words.

Built from `Terminal.status()` and the words of `terminal.status_text` (the CLI and the till's
console say the same); the screen only lays these lines out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from codes.common.cli import counted
from terminal import status_text

NEAR_DEADLINE = 0.75  # of the max-offline window: the pending line turns to a warning


@dataclass(frozen=True)
class ManagerView:
    connection: str
    online: bool
    last_sync: str
    pending: str
    warn: bool  # the oldest pending event is close to (or past) the max-offline deadline
    overdue: bool
    conflicts: tuple[str, ...]
    rejected: tuple[str, ...]
    alerts: tuple[str, ...]
    budget: tuple[str, ...]
    recent: tuple[str, ...]
    sync: str  # what the last "sync now" did, or ""


def _when(stamp: Any) -> str:
    if not stamp:
        return "never"
    try:
        return datetime.fromisoformat(str(stamp)).strftime("%d %b %H:%M:%S")
    except ValueError:
        return str(stamp)


def view(status: dict[str, Any], recent: list[dict[str, Any]], sync: str = "") -> ManagerView:
    online = bool(status["online"])
    since = status["online_since"] if online else status["offline_since"]
    connection = ("Online" if online else "Offline") + (f" since {_when(since)}" if since else "")
    pending = counted(status["pending"], "event") + " waiting to sync"
    oldest, deadline = status["oldest_pending_s"], status["max_offline_s"]
    if status["pending"]:
        pending += (
            f"; the oldest is {status_text.age(oldest)} old and must reach the server within"
            f" {status_text.age(deadline)}"
        )
    budget = tuple(
        f"{tier}: {b['used']} of {b['max']} offline since the last sync"
        for tier, b in status["offline_budget"].items()
        if b["max"] is not None
    )
    return ManagerView(
        connection=connection, online=online, last_sync=f"Last sync: {_when(status['last_pull'])}",
        pending=pending, warn=bool(status["pending"]) and oldest >= NEAR_DEADLINE * deadline,
        overdue=bool(status["overdue"]),
        conflicts=tuple(status_text.event_line(e) for e in status["conflict_list"]),
        rejected=tuple(status_text.event_line(e) for e in status["rejected_list"]),
        alerts=tuple(f"{a['kind']}: {a['message']}" for a in status["alert_list"]),
        budget=budget,
        recent=tuple(
            f"{_when(r['local_time'])}  {r['code']}  {r['tier'] or '-'}  "
            + ("offline, " if r["offline"] else "")
            + str(r["state"])
            for r in recent
        ),
        sync=sync,
    )  # fmt: skip
