"""Limits on points at the device, offline, from the config the server sends (`point_limits`,
set with `instore admin limit`): before an accrual, a check-in or a spend is written, each limit
that applies is totalled with it from this device's own ledger.

- Past a soft limit's upper bound, or past a hard limit: refused (LIMIT_BLOCKED), nothing
  written, the refusal kept as an alert for the store manager.
- At or above a soft limit's lower bound: accepted, with an alert kept on the device and the
  warning in the answer. The server judges the event again when it arrives, with every
  device's events, and alerts security staff naming the cashier (device_api/point_limit_check).

A device counts what it sees: its own events. A card's or a cashier's totals from other devices,
and a store's or partner's from other tills, are the server's to add. Periods are UTC hours,
days, weeks (from Monday) and months, by this device's clock, as the server counts them.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from codes.common.cli import counted
from terminal import ledger_limits
from terminal.config import PointLimit, TerminalConfig
from terminal.ledger import Device

KINDS: dict[str, tuple[str, ...]] = {  # what each measure counts (loyalty/limits.py: the same)
    "earn_points": ("accrue", "checkin"),
    "spend_points": ("spend",),
    "operations": ("accrue", "checkin", "spend"),
}
_WHAT = {"earn_points": "points earned", "spend_points": "points spent",
         "operations": "points operations"}  # fmt: skip
_PER = {"operation": "in one operation", "hour": "this hour", "day": "today",
        "week": "this week", "month": "this month"}  # fmt: skip


@dataclass(frozen=True)
class Judgement:
    """A refusal (the sentence for the cashier), or None; and the soft limits reached."""

    refusal: str | None
    alerts: tuple[str, ...] = ()


def window(per: str, at: float) -> tuple[float, float]:
    """[start, end) of the UTC period holding `at` (server_stub.loyalty.limits.window)."""
    moment = datetime.fromtimestamp(at, UTC)
    if per == "hour":
        start = moment.replace(minute=0, second=0, microsecond=0)
        return start.timestamp(), (start + timedelta(hours=1)).timestamp()
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if per == "day":
        return day.timestamp(), (day + timedelta(days=1)).timestamp()
    if per == "week":
        start = day - timedelta(days=day.weekday())
        return start.timestamp(), (start + timedelta(days=7)).timestamp()
    start = day.replace(day=1)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start.timestamp(), end.timestamp()


class PointLimits:
    def __init__(self, device: Device, config: TerminalConfig) -> None:
        self.device, self.config = device, config

    def judge(
        self, conn: sqlite3.Connection, kind: str, member: str, points: int, actor: str,
        now: float | None = None,
    ) -> Judgement:  # fmt: skip
        """`points` as the event carries them (negative for a spend); inside the operation's
        write transaction."""
        now = time.time() if now is None else now
        alerts: list[str] = []
        for limit in self.config.point_limits:
            who = self._who(limit, member, actor)
            if who is False or kind not in KINDS.get(limit.measure, ()):
                continue
            moved = 1 if limit.measure == "operations" else abs(points)
            if moved <= 0:
                continue
            total = moved
            if limit.per != "operation":
                since, until = window(limit.per, now)
                before = ledger_limits.moved(
                    conn, KINDS[limit.measure], since, until, who if isinstance(who, tuple) else None,
                    count=limit.measure == "operations",
                )  # fmt: skip
                total += abs(before)
            level = limit.level(total)
            if level == "block":
                return Judgement(f"Refused: {self._words(limit, actor, member, total)}.", ())
            if level == "soft":
                alerts.append(f"Soft limit reached: {self._words(limit, actor, member, total)}.")
        return Judgement(None, tuple(alerts))

    def _who(self, limit: PointLimit, member: str, actor: str) -> tuple[str, str] | bool:
        """The column and value a limit counts by, True for the whole device, or False when the
        limit does not apply here."""
        if limit.scope == "card":
            return ("member", member) if limit.subject in ("*", member) else False
        if limit.scope == "cashier":
            return ("actor", actor) if actor and limit.subject in ("*", actor) else False
        if limit.scope == "store":
            return limit.subject in ("*", self.device.store_id)
        if limit.scope == "terminal":
            return limit.subject in ("*", self.device.device_id, self.device.name)
        return limit.scope == "partner"  # the server sends only this store's partner's

    def _words(self, limit: PointLimit, actor: str, member: str, total: int) -> str:
        who = {
            "card": f"card {member}", "cashier": f"cashier {actor}",
            "store": "this store", "partner": "this partner", "terminal": "this terminal",
        }.get(limit.scope, limit.scope)  # fmt: skip
        caps = [c for c in (limit.soft_high, limit.hard) if c is not None]
        bounds = []
        if limit.soft_low is not None:
            bounds.append(f"alert from {limit.soft_low}")
        if caps:
            bounds.append(f"at most {min(caps)}")
        unit = "operation" if limit.measure == "operations" else "point"
        return (
            f"{who}, {_WHAT.get(limit.measure, limit.measure)} {_PER.get(limit.per, limit.per)}:"
            f" {counted(total, unit)} with this one ({', '.join(bounds)}; limit {limit.id})"
        )
