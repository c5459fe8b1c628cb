"""Points as lots: every accrual is a lot (its partner, store, date, pending end and expiry), and
every spend, return, void and expiry consumes lots, recording in lot_uses which lots and how much.

A member's balance is the sum of the open lots' `remaining`, never credits minus debits. Each lot
keeps `remaining == points - sum(lot_uses.points)`; lot_uses' kinds:
- `spend`   (points > 0): a spend at the `redeemer` partner's store, available lots oldest first;
- `spend`   (points < 0): that spend voided on its till, the points given back to the lots it
  used, under the spend's event id, redeemer and store: the sum of a pair's spend rows is what
  was spent net of voids, whatever the month each happened in;
- `return`  (points > 0): a return, pending points first (the returns window);
- `void`    (points > 0): an accrual voided on its till (the till's refund): its own lot first,
  then as a return;
- `expire`  (points > 0): what was left of a lot when it expired, dated at its expiry.

When points expire: at the end of the month `expiry_months` after the month they were earned in
(UTC), so a member has one expiry date a month, not one a day ("120 points expire on 31 December").
`expiry_of` is that rule; a device that shows expiry offline must count the same way.

Every change is keyed by its event: the same event applied twice changes nothing the second time.
Consuming a member's lots locks them (FOR UPDATE, in one order) on PostgreSQL; SQLite has one
writer. The expiry sweep skips lots that a spend holds locked, and takes them on its next run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import (
    Connection,
    Select,
    and_,
    case,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)

from server_stub.database.connection import insert_ignore, is_sqlite
from server_stub.database.loyalty_tables import lot_uses, lots

DAY = 86_400.0


class Terms(Protocol):
    """What earning needs of the program's settings (loyalty.program.Program has these)."""

    @property
    def pending_days(self) -> int: ...

    @property
    def expiry_months(self) -> int: ...


@dataclass(frozen=True)
class Expiring:
    """`points` of a member's open lots that expire at the end of day `on` (UTC)."""

    on: date
    points: int


@dataclass(frozen=True)
class Balance:
    """A member's open lots: spendable now, still in the returns window, and when they expire."""

    available: int
    pending: int
    expiring: list[Expiring]

    @property
    def total(self) -> int:
        return self.available + self.pending


@dataclass(frozen=True)
class Movement:
    """One line of a member's history: an earn (+), a spend, return, void or expiry (-), or an
    `unspend`: a spend voided on its till, given back (+). `partner_id` is the issuer of an earn, the redeemer of a spend."""

    at: float
    kind: str
    points: int
    partner_id: str | None
    store_id: str | None
    event_id: str | None


def expiry_of(at: float, months: int) -> float:
    """The moment points earned at `at` expire: the start (UTC) of the month after the month
    `months` months on, i.e. they last through the end of that month."""
    earned = datetime.fromtimestamp(at, UTC)
    index = earned.year * 12 + earned.month - 1 + months + 1
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC).timestamp()


def last_day(expires_at: float) -> date:
    """The last day (UTC) points that expire at `expires_at` can still be spent."""
    return (datetime.fromtimestamp(expires_at, UTC) - timedelta(microseconds=1)).date()


def earn(
    conn: Connection, member_id: int, points: int, *, partner_id: str, store_id: str,
    event_id: str, at: float, program: Terms,
) -> int:  # fmt: skip
    """A lot for an accrual: pending until `at` + pending_days, expiring by `expiry_of`. Returns
    its id; the same event earns once (a second call returns the first lot's id)."""
    if points <= 0:
        raise ValueError(f"a lot holds a positive number of points, not {points}")
    conn.execute(
        insert_ignore(conn, lots).values(
            member_id=member_id, partner_id=partner_id, store_id=store_id, event_id=event_id,
            points=points, remaining=points, earned_at=at,
            pending_until=at + program.pending_days * DAY,
            expires_at=expiry_of(at, program.expiry_months),
        )
    )  # fmt: skip
    return int(conn.execute(select(lots.c.id).where(lots.c.event_id == event_id)).scalar_one())


def spend(
    conn: Connection, member_id: int, points: int, *, event_id: str, redeemer: str,
    store_id: str, at: float,
) -> int:  # fmt: skip
    """Consume `points` of the lots available at `at` (not pending, not expired), oldest first.
    Returns the shortfall: when the lots hold less, nothing is consumed and the missing points
    come back (an overdraft). A spend already recorded returns 0 and consumes nothing more."""
    if points <= 0 or _done(conn, event_id):
        return 0
    open_lots = _open_lots(conn, member_id)
    usable = [r for r in open_lots if r.pending_until <= at < r.expires_at]
    held = sum(int(r.remaining) for r in usable)
    if held < points:
        return points - held
    _consume(conn, _take(usable, points), kind="spend", event_id=event_id, member_id=member_id,
             redeemer=redeemer, store_id=store_id, at=at)  # fmt: skip
    return 0


def take_back(
    conn: Connection, member_id: int, points: int, *, event_id: str, at: float,
    store_id: str | None = None, lot_event_id: str | None = None, kind: str = "return",
) -> int:  # fmt: skip
    """A return (or, with kind="void", an accrual voided on its till): take `points` back from
    the lot `lot_event_id` earned (when named), then pending lots, newest first, then available
    lots, oldest first. Expired points are gone and are not taken. Returns what could not be
    taken back (points already spent); the rest is taken. Once per event."""
    if kind not in ("return", "void"):
        raise ValueError(f"take_back records a return or a void, not {kind!r}")
    if points <= 0 or _done(conn, event_id):
        return 0
    live = [r for r in _open_lots(conn, member_id) if at < r.expires_at]
    own = [r for r in live if lot_event_id is not None and r.event_id == lot_event_id]
    others = [r for r in live if not own or r.id != own[0].id]
    pending = sorted(
        (r for r in others if r.pending_until > at),
        key=lambda r: (r.earned_at, r.id), reverse=True,
    )  # fmt: skip
    rest = [r for r in others if r.pending_until <= at]
    order = own + pending + rest
    held = sum(int(r.remaining) for r in order)
    _consume(conn, _take(order, min(points, held)), kind=kind, event_id=event_id,
             member_id=member_id, redeemer=None, store_id=store_id, at=at)  # fmt: skip
    return max(points - held, 0)


def give_back(conn: Connection, spend_event_id: str, *, at: float) -> int:
    """A spend voided on its till: its points go back to the very lots it consumed, recorded as
    negative `spend` rows under the spend's event id (a lot that has expired since is swept again by
    `expire_due`). Returns the points given back; a spend is given back once."""
    used = conn.execute(
        select(lot_uses.c.lot_id, lot_uses.c.member_id, lot_uses.c.kind, lot_uses.c.points,
               lot_uses.c.issuer, lot_uses.c.redeemer, lot_uses.c.store_id)
        .where(lot_uses.c.event_id == spend_event_id, lot_uses.c.kind == "spend")
    ).all()  # fmt: skip
    if not used or any(u.points < 0 for u in used):
        return 0
    _lock(conn, sorted({u.lot_id for u in used}))
    rows = [
        {"lot_id": u.lot_id, "member_id": u.member_id, "kind": "spend",
         "event_id": spend_event_id, "points": -int(u.points), "issuer": u.issuer,
         "redeemer": u.redeemer, "store_id": u.store_id, "at": at}
        for u in used
    ]  # fmt: skip
    conn.execute(insert(lot_uses), rows)
    for u in used:
        conn.execute(
            update(lots).where(lots.c.id == u.lot_id)
            .values(remaining=lots.c.remaining + int(u.points))
        )  # fmt: skip
    return sum(int(u.points) for u in used)


def balance(conn: Connection, member_id: int, now: float) -> Balance:
    """Open lots not expired at `now`: available (past the returns window) and pending, and the
    schedule of what expires on which day."""
    rows = conn.execute(
        select(lots.c.remaining, lots.c.pending_until, lots.c.expires_at)
        .where(lots.c.member_id == member_id, lots.c.remaining > 0, lots.c.expires_at > now)
    ).all()  # fmt: skip
    available = sum(int(r.remaining) for r in rows if r.pending_until <= now)
    by_day: dict[date, int] = {}
    for r in rows:
        day = last_day(r.expires_at)
        by_day[day] = by_day.get(day, 0) + int(r.remaining)
    expiring = [Expiring(day, by_day[day]) for day in sorted(by_day)]
    return Balance(available, sum(int(r.remaining) for r in rows) - available, expiring)


def available(conn: Connection, member_ids: Iterable[int], now: float) -> dict[int, int]:
    """The available balance of many members in one query (0 for a member with none)."""
    wanted = sorted(set(member_ids))
    found = {m: 0 for m in wanted}
    if not wanted:
        return found
    for member_id, points in conn.execute(
        select(lots.c.member_id, func.sum(lots.c.remaining))
        .where(lots.c.member_id.in_(wanted), lots.c.remaining > 0,
               lots.c.pending_until <= now, lots.c.expires_at > now)
        .group_by(lots.c.member_id)
    ):  # fmt: skip
        found[int(member_id)] = int(points)
    return found


def history(conn: Connection, member_id: int, limit: int) -> list[Movement]:
    """A member's last `limit` movements, newest first: earns, and one line per event that
    consumed or gave back points (an expiry run is one line per day and issuer)."""
    earned = select(
        lots.c.earned_at.label("at"), literal("earn").label("kind"), lots.c.points.label("points"),
        lots.c.partner_id.label("partner_id"), lots.c.store_id.label("store_id"),
        lots.c.event_id.label("event_id"),
    ).where(lots.c.member_id == member_id)  # fmt: skip
    partner = case((lot_uses.c.kind == "expire", lot_uses.c.issuer), else_=lot_uses.c.redeemer)
    kind = case(
        (and_(lot_uses.c.kind == "spend", lot_uses.c.points < 0), literal("unspend")),
        else_=lot_uses.c.kind,
    )
    used = (
        select(
            lot_uses.c.at, kind.label("kind"), (-func.sum(lot_uses.c.points)).label("points"),
            partner.label("partner_id"), lot_uses.c.store_id, lot_uses.c.event_id,
        )
        .where(lot_uses.c.member_id == member_id)
        .group_by(lot_uses.c.at, kind, partner, lot_uses.c.store_id, lot_uses.c.event_id)
        .having(func.sum(lot_uses.c.points) != 0)
    )  # fmt: skip
    both = union_all(earned, used).subquery()
    rows = conn.execute(
        select(both).order_by(both.c.at.desc(), both.c.kind.desc()).limit(limit)
    ).all()  # fmt: skip
    return [
        Movement(float(r.at), r.kind, int(r.points), r.partner_id, r.store_id, r.event_id)
        for r in rows
    ]


def expire_due(conn: Connection, now: float, limit: int) -> int:
    """Expire up to `limit` open lots whose expiry has passed: what is left of each is
    consumed, dated at its expiry (the month it belongs to in settlement). Returns the number of
    lots expired; run again while it returns `limit`."""
    query: Select[Any] = (
        select(lots.c.id, lots.c.member_id, lots.c.partner_id, lots.c.remaining,
               lots.c.expires_at)
        .where(lots.c.remaining > 0, lots.c.expires_at <= now)
        .order_by(lots.c.expires_at, lots.c.id)
        .limit(limit)
    )  # fmt: skip
    if not is_sqlite(conn):  # a lot a spend holds is left for the next run
        query = query.with_for_update(skip_locked=True)
    due = conn.execute(query).all()
    if not due:
        return 0
    conn.execute(
        insert(lot_uses),
        [{"lot_id": r.id, "member_id": r.member_id, "kind": "expire", "event_id": None,
          "points": int(r.remaining), "issuer": r.partner_id, "redeemer": None,
          "store_id": None, "at": float(r.expires_at)} for r in due],
    )  # fmt: skip
    conn.execute(update(lots).where(lots.c.id.in_([r.id for r in due])).values(remaining=0))
    return len(due)


def _done(conn: Connection, event_id: str) -> bool:
    """Whether this event has consumed (or given back) points already: a retry changes nothing."""
    return conn.execute(
        select(lot_uses.c.id).where(lot_uses.c.event_id == event_id).limit(1)
    ).first() is not None  # fmt: skip


def _open_lots(conn: Connection, member_id: int) -> list[Any]:
    """A member's open lots, oldest first, locked on PostgreSQL in that one order (so two
    consumers of the same member queue instead of deadlocking)."""
    query: Select[Any] = (
        select(lots.c.id, lots.c.partner_id, lots.c.event_id, lots.c.remaining,
               lots.c.earned_at, lots.c.pending_until, lots.c.expires_at)
        .where(lots.c.member_id == member_id, lots.c.remaining > 0)
        .order_by(lots.c.earned_at, lots.c.id)
    )  # fmt: skip
    if not is_sqlite(conn):
        query = query.with_for_update()
    return list(conn.execute(query).all())


def _lock(conn: Connection, lot_ids: Sequence[int]) -> None:
    if not is_sqlite(conn) and lot_ids:
        conn.execute(
            select(lots.c.id).where(lots.c.id.in_(lot_ids))
            .order_by(lots.c.earned_at, lots.c.id).with_for_update()
        ).all()  # fmt: skip


def _take(order: Sequence[Any], points: int) -> list[tuple[Any, int]]:
    """How much to take from each lot, in order, to make `points`."""
    taken: list[tuple[Any, int]] = []
    for row in order:
        if points <= 0:
            break
        part = min(int(row.remaining), points)
        taken.append((row, part))
        points -= part
    return taken


def _consume(
    conn: Connection, taken: list[tuple[Any, int]], *, kind: str, event_id: str, member_id: int,
    redeemer: str | None, store_id: str | None, at: float,
) -> None:  # fmt: skip
    if not taken:
        return
    conn.execute(
        insert(lot_uses),
        [{"lot_id": row.id, "member_id": member_id, "kind": kind, "event_id": event_id,
          "points": part, "issuer": row.partner_id, "redeemer": redeemer, "store_id": store_id,
          "at": at} for row, part in taken],
    )  # fmt: skip
    for row, part in taken:
        conn.execute(
            update(lots).where(lots.c.id == row.id).values(remaining=lots.c.remaining - part)
        )
