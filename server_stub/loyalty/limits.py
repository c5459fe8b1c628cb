"""Limits on points, Loymax-style: the rules staff set (`instore admin limit`), and how an
operation is judged against them from the events the server holds.

A limit counts one measure (points earned, points spent, or points operations) of one scope's
subject (a card, a cashier, a store, a partner, a terminal; `*` counts each one apart) per
operation or per period (hour, day, week, month, in UTC). A total that reaches `soft_low` raises
an alert for security staff; a total past `soft_high` or past `hard` is blocked. Devices apply
the same rules offline (terminal/point_limits.py) with what they see; ingest judges every
points event again here with what every device sent (device_api/point_limit_check.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, Engine, delete, func, select

from server_stub.catalog import device_config, point_limits
from server_stub.database.loyalty_tables import lot_uses, lots, loyalty_limits
from server_stub.database.schema import events, stores
from server_stub.errors import ApiError
from server_stub.loyalty import members
from sync.protocol import BIG, PointLimitConfig

SCOPES = ("card", "cashier", "store", "partner", "terminal")
MEASURES = ("earn_points", "spend_points", "operations")
PERIODS = ("operation", "hour", "day", "week", "month")
# which events each measure counts
KINDS: dict[str, tuple[str, ...]] = {
    "earn_points": ("accrue", "checkin"),
    "spend_points": ("spend",),
    "operations": ("accrue", "checkin", "spend"),
}
_STANDING = ("accepted", "conflict")  # events whose points left the store
_WORDS = {
    "card": "card", "cashier": "cashier", "store": "store", "partner": "partner",
    "terminal": "terminal", "earn_points": "points earned", "spend_points": "points spent",
    "operations": "points operations",
}  # fmt: skip


# -- the rules ------------------------------------------------------------------------------


def set_limit(
    engine: Engine, scope: str, measure: str, per: str, *, subject: str = "*",
    soft: tuple[int, int] | None = None, hard: int | None = None, now: float | None = None,
) -> PointLimitConfig:  # fmt: skip
    """Add a limit; devices get it with their next config (the config version moves)."""
    subject = (subject or "*").strip()
    if scope not in SCOPES:
        raise ApiError(422, "bad_scope", f"the scope must be one of {', '.join(SCOPES)}")
    if measure not in MEASURES:
        raise ApiError(422, "bad_measure", f"the measure must be one of {', '.join(MEASURES)}")
    if per not in PERIODS:
        raise ApiError(422, "bad_period", f"--per must be one of {', '.join(PERIODS)}")
    if measure == "operations" and per == "operation":
        raise ApiError(422, "bad_period", "operations are counted per hour, day, week or month")
    if not subject or len(subject) > 128 or any(ord(c) < 32 for c in subject):
        raise ApiError(422, "bad_subject", "the subject is an id of up to 128 characters, or *")
    if soft is None and hard is None:
        raise ApiError(
            422, "no_limit", "give a soft range (--soft 500-1000), a hard limit, or both"
        )
    low, high = soft if soft is not None else (None, None)
    for value in (low, high, hard):
        if value is not None and not 1 <= value <= BIG:
            raise ApiError(422, "bad_limit", "limits are whole numbers of 1 or more")
    if low is not None and high is not None and low > high:
        raise ApiError(422, "bad_limit", f"a soft range goes from low to high, not {low}-{high}")
    with engine.begin() as conn:
        new_id = conn.execute(
            loyalty_limits.insert().values(
                scope=scope, subject=subject, measure=measure, per=per, soft_low=low,
                soft_high=high, hard=hard, created=time.time() if now is None else now,
            ).returning(loyalty_limits.c.id)
        ).scalar_one()  # fmt: skip
        device_config.bump_config_version(conn)
    return PointLimitConfig(
        id=new_id, scope=scope, subject=subject, measure=measure, per=per,  # type: ignore[arg-type]
        soft_low=low, soft_high=high, hard=hard,
    )  # fmt: skip


def list_limits(engine: Engine) -> list[PointLimitConfig]:
    with engine.connect() as conn:
        return point_limits.all_limits(conn)


def remove_limit(engine: Engine, limit_id: int) -> None:
    with engine.begin() as conn:
        if not conn.execute(delete(loyalty_limits).where(loyalty_limits.c.id == limit_id)).rowcount:
            raise ApiError(404, "not_found", f"there is no limit {limit_id}")
        device_config.bump_config_version(conn)


def describe(limit: PointLimitConfig) -> str:
    """'cashier * points earned per day: alert from 500, blocked past 1000'."""
    parts = []
    if limit.soft_low is not None:
        parts.append(f"alert from {limit.soft_low}")
    caps = [c for c in (limit.soft_high, limit.hard) if c is not None]
    if caps:
        parts.append(f"blocked past {min(caps)}")
    who = _WORDS[limit.scope] + ("" if limit.subject == "*" else f" {limit.subject}")
    return f"{who}, {_WORDS[limit.measure]} per {limit.per}: {', '.join(parts)}"


# -- judging an operation -------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """A points event as the limits see it: what it moved, who and where, and when it was made
    (`at`, the device's clock as ingest believes it)."""

    kind: str  # accrue | checkin | spend
    points: int  # earned or spent, 0 or more
    member: str
    actor: str
    store_id: str
    partner_id: str | None
    device_id: str
    device_name: str
    at: float
    # the member `member` names (loyalty.members), when known: a card limit counts the member,
    # whether the till took their phone or their card
    member_id: int | None = None


@dataclass(frozen=True)
class Finding:
    limit: PointLimitConfig
    level: Literal["soft", "block"]
    subject: str
    total: int

    def sentence(self) -> str:
        done = "blocked" if self.level == "block" else "alert"
        return f"{describe(self.limit)}; {self.subject} reached {self.total} ({done})"


def window(per: str, at: float) -> tuple[float, float]:
    """[start, end) of the UTC period holding `at`."""
    moment = datetime.fromtimestamp(at, UTC)
    if per == "hour":
        start = moment.replace(minute=0, second=0, microsecond=0)
        return start.timestamp(), (start + timedelta(hours=1)).timestamp()
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if per == "day":
        return day.timestamp(), (day + timedelta(days=1)).timestamp()
    if per == "week":  # Monday to Monday
        start = day - timedelta(days=day.weekday())
        return start.timestamp(), (start + timedelta(days=7)).timestamp()
    start = day.replace(day=1)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start.timestamp(), end.timestamp()


def _iso(moment: float) -> str:
    """As devices write local_time (terminal.ledger_file.now_iso), so text compares in order."""
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")


def subject_of(limit: PointLimitConfig, op: Operation) -> str | None:
    """Whom the limit counts for this operation, or None when it does not apply."""
    found = {
        "card": op.member, "cashier": op.actor, "store": op.store_id,
        "partner": op.partner_id or "", "terminal": op.device_id,
    }[limit.scope]  # fmt: skip
    if not found:
        return None  # no cashier named, a store of no partner
    if limit.subject == "*" or limit.subject == found:
        return found
    if limit.scope == "terminal" and limit.subject == op.device_name:
        return found
    return None


def amount(limit: PointLimitConfig, op: Operation) -> int:
    if op.kind not in KINDS[limit.measure]:
        return 0
    return 1 if limit.measure == "operations" else op.points


@dataclass
class Tally:
    """One push's running totals: each (limit, subject, period) is read from the stored events
    once, then this push's operations are added in order. `slack`: how far before a period's
    start an event made in it may have reached the server (the max-offline window), and after
    its end (the clock window), so the query stays on the (kind, received) index."""

    conn: Connection
    slack_before: float
    slack_after: float
    totals: dict[tuple[int, str, float], int] = field(default_factory=dict)
    named: dict[str, int | None] = field(default_factory=dict)  # a limit's subject: its member
    keys: dict[int, set[str]] = field(default_factory=dict)  # a member: the keys naming them

    def judge(self, limits: list[PointLimitConfig], op: Operation) -> list[Finding]:
        """What the operation reaches, each limit once; its amounts count from now on whatever
        the finding (the server keeps a blocked event, see point_limit_check)."""
        found: list[Finding] = []
        for limit in limits:
            subject, moved = self._subject(limit, op), amount(limit, op)
            if subject is None or moved <= 0:
                continue
            if limit.per == "operation":
                total = moved
            else:
                start, end = window(limit.per, op.at)
                by_member = limit.scope == "card" and op.member_id is not None
                key = (limit.id, f"member {op.member_id}" if by_member else subject, start)
                if key not in self.totals:
                    self.totals[key] = self._stored(limit, subject, start, end, op)
                self.totals[key] += moved
                total = self.totals[key]
            level = limit.level(total)
            if level != "ok":
                found.append(Finding(limit, level, subject, total))
        return found

    def _subject(self, limit: PointLimitConfig, op: Operation) -> str | None:
        """subject_of, and a card limit naming a member by another key (their phone for the
        card the till took) applies to them too."""
        found = subject_of(limit, op)
        if found is not None or limit.scope != "card" or op.member_id is None:
            return found
        if limit.subject not in self.named:
            member = members.find(self.conn, limit.subject)
            self.named[limit.subject] = None if member is None else member.id
        return op.member if self.named[limit.subject] == op.member_id else None

    def _member_keys(self, member_id: int, key: str) -> set[str]:
        """The keys tills have named the member by: their phone and card, and every key an
        event of theirs that earned or consumed a lot carried (a phone typed without its
        country code, a card as printed); and the key of the operation at hand."""
        if member_id not in self.keys:
            found: set[str] = set()
            member = members.by_id(self.conn, member_id)
            if member is not None:
                found |= {k for k in (member.phone, member.card) if k}
            # both from the member's lots (indexed by member), the uses by their lot
            earned = select(events.c.member).select_from(
                lots.join(events, events.c.event_id == lots.c.event_id)
            )
            used = select(events.c.member).select_from(
                lots.join(lot_uses, lot_uses.c.lot_id == lots.c.id)
                .join(events, events.c.event_id == lot_uses.c.event_id)
            )  # fmt: skip
            for query in (earned, used):
                query = query.where(lots.c.member_id == member_id)
                found |= {k for k in self.conn.execute(query.distinct()).scalars() if k}
            self.keys[member_id] = found
        return self.keys[member_id] | {key}

    def _stored(
        self, limit: PointLimitConfig, subject: str, start: float, end: float, op: Operation
    ) -> int:
        kinds = KINDS[limit.measure]
        what = (
            func.count()
            if limit.measure == "operations"
            else func.coalesce(func.sum(events.c.points), 0)
        )
        query = select(what).where(
            events.c.kind.in_(kinds), events.c.verdict.in_(_STANDING),
            events.c.received >= start - self.slack_before,
            events.c.received < end + self.slack_after,
            events.c.local_time >= _iso(start), events.c.local_time < _iso(end),
        )  # fmt: skip
        column = {
            "card": events.c.member, "cashier": events.c.actor, "store": events.c.store_id,
            "terminal": events.c.device_id,
        }.get(limit.scope)  # fmt: skip
        if limit.scope == "card" and op.member_id is not None:
            query = query.where(
                events.c.member.in_(sorted(self._member_keys(op.member_id, subject)))
            )
        elif column is not None:
            query = query.where(column == subject)
        else:  # partner: the events of its stores
            query = query.where(
                events.c.store_id.in_(select(stores.c.id).where(stores.c.partner_id == subject))
            )
        total = int(self.conn.execute(query).scalar_one() or 0)
        return -total if limit.measure == "spend_points" else total
