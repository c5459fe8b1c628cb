"""A member's points as lots, the way the server keeps them (server_stub loyalty.lots): each
accrual is a lot, pending for the returns window, then available until it expires; a spend takes
available lots oldest first; a return takes pending points first. The balance is the sum of open
lots, never credits minus debits.

Pure: the ledger reads the lots the server sent and this device's events since
(`ledger_lots.py`); this module says what they come to. The rules are the server's, held equal
to it by a property test (tests/terminal/test_lots_agree.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

DAY_S = 86_400.0
FOREVER = 253_402_300_799.0  # 9999-12-31: a lot with no known expiry
_EPOCH_DAY = date(1970, 1, 1).toordinal()


class Lot(NamedTuple):
    """An open lot. `id` is the server's; a lot earned here and not yet synced has the negative
    of its event's seq (the server gives it an id at sync). A tuple: a member's thousand lots
    are read from the ledger at every balance, and a tuple is made fastest."""

    id: int
    partner: str  # who issued it; '' for one earned here (the server knows this store's partner)
    earned: float
    pending_until: float
    expires_at: float
    remaining: int

    def is_available(self, now: float) -> bool:
        return self.remaining > 0 and self.pending_until <= now < self.expires_at

    def is_pending(self, now: float) -> bool:
        return self.remaining > 0 and now < self.pending_until and now < self.expires_at


@dataclass(frozen=True)
class Expiring:
    on: date  # the last day (UTC) they can be spent
    points: int


@dataclass(frozen=True)
class Spendable:
    on: date  # the first day (UTC) pending points can be spent: their returns window is over
    points: int


@dataclass(frozen=True)
class LotBalance:
    """What a member has now: spendable, still in the returns window (and from which day each
    part of it can be spent), and what expires when (soonest first, pending lots included:
    they expire too)."""

    available: int
    pending: int
    expiring: tuple[Expiring, ...] = ()
    spendable_from: tuple[Spendable, ...] = ()

    @property
    def total(self) -> int:
        return self.available + self.pending

    @property
    def next_expiry(self) -> Expiring | None:
        return self.expiring[0] if self.expiring else None

    @property
    def next_spendable(self) -> Spendable | None:
        return self.spendable_from[0] if self.spendable_from else None


@dataclass(frozen=True)
class LocalEvent:
    """One of this device's events the server has not counted yet, as the lots see it."""

    seq: int
    kind: str  # accrue, checkin, spend, void
    points: int  # signed: + earned, - spent; a void the opposite of its target's
    at: float
    target_seq: int | None = None  # a void's target, when the target is on this device


def oldest_first(lots: Iterable[Lot]) -> list[Lot]:
    return sorted(lots, key=lambda lot: (lot.earned, lot.id))


def expiry_of(at: float, months: int) -> float:
    """When points earned at `at` expire: the start (UTC) of the month after the month `months`
    on, so they last through that month's end and a member has one expiry date a month."""
    earned = datetime.fromtimestamp(at, UTC)
    index = earned.year * 12 + earned.month - 1 + months + 1
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC).timestamp()


def last_day(expires_at: float) -> date:
    """The last day (UTC) points expiring at `expires_at` can be spent: what a member is told."""
    return (datetime.fromtimestamp(expires_at, UTC) - timedelta(microseconds=1)).date()


def earned_lot(
    lot_id: int, points: int, at: float, pending_days: int, expiry_months: int | None,
    partner: str = "",
) -> Lot:  # fmt: skip
    """A new lot, dated as the server dates one: pending for `pending_days`, expiring by
    `expiry_of` (None: never, as with a server from before lots)."""
    expires = FOREVER if expiry_months is None else expiry_of(at, expiry_months)
    return Lot(lot_id, partner, at, at + pending_days * DAY_S, expires, points)


def consume(lots: Sequence[Lot], points: int, now: float) -> tuple[list[Lot], int]:
    """A spend: available lots oldest first. (lots after, shortfall); when short, nothing is
    consumed and the shortfall says by how much."""
    usable = [lot for lot in oldest_first(lots) if lot.is_available(now)]
    shortfall = points - sum(lot.remaining for lot in usable)
    if shortfall > 0:
        return list(lots), shortfall
    taken: dict[int, int] = {}
    left = points
    for lot in usable:
        if left <= 0:
            break
        take = min(left, lot.remaining)
        taken[lot.id] = take
        left -= take
    return [lot._replace(remaining=lot.remaining - taken.get(lot.id, 0)) for lot in lots], 0


def take_back(lots: Sequence[Lot], points: int, now: float) -> tuple[list[Lot], int]:
    """A return: pending lots newest first, then available lots oldest first; expired points are
    gone. (lots after, what no lot could give: points already spent)."""
    pending = sorted(
        (lot for lot in lots if lot.is_pending(now)), key=lambda lot: (lot.earned, lot.id),
        reverse=True,
    )  # fmt: skip
    order = pending + [lot for lot in oldest_first(lots) if lot.is_available(now)]
    taken: dict[int, int] = {}
    left = points
    for lot in order:
        if left <= 0:
            break
        take = min(left, lot.remaining)
        taken[lot.id] = take
        left -= take
    return [lot._replace(remaining=lot.remaining - taken.get(lot.id, 0)) for lot in lots], left


def replay(
    lots: Sequence[Lot], events: Sequence[LocalEvent], pending_days: int,
    expiry_months: int | None,
) -> tuple[list[Lot], int]:  # fmt: skip
    """The server's lots with this device's later events on top: an accrual is a new pending
    lot, a spend consumes available lots oldest first, a void undoes its target. (lots, debt):
    the debt is what a spend took beyond the available lots (an overdraft the server will flag),
    counted against what is available."""
    voided_here = {e.target_seq for e in events if e.kind == "void" and e.target_seq is not None}
    seqs = {e.seq for e in events}
    held, debt = list(lots), 0
    for event in events:
        if event.seq in voided_here or (event.kind == "void" and event.target_seq in seqs):
            continue  # done and undone on this device since the server's word: neither counts
        if event.points > 0:
            # earned here; or a spend the server counted, voided here: the points come back
            # available (which lots the server consumed is its to say; it will at the next sync)
            lot = earned_lot(-event.seq, event.points, event.at, pending_days, expiry_months)
            if event.kind == "void":
                lot = lot._replace(pending_until=event.at)
            held.append(lot)
        elif event.points < 0:
            wanted = -event.points
            if event.kind == "void":  # an accrual the server counted, returned here
                held, short = take_back(held, wanted, event.at)
            else:
                usable = sum(lot.remaining for lot in held if lot.is_available(event.at))
                held, _ = consume(held, min(wanted, usable), event.at)
                short = wanted - min(wanted, usable)
            debt += short
    return [lot for lot in held if lot.remaining > 0], debt


def balance_of(lots: Iterable[Lot], now: float, debt: int = 0) -> LotBalance:
    """The sum of open lots at `now` (expired ones count nothing), a debt taken off what is
    available."""
    available = pending = 0
    by_expiry: dict[float, int] = {}  # the server's expiries fall on a month's start: few
    ripening: dict[int, int] = {}  # pending points by the UTC day (since 1970) their window
    # ends, as the member's page groups them (server_stub/play/member_pages.py)
    for _, _, _, pending_until, expires_at, remaining in lots:
        if remaining <= 0 or now >= expires_at:
            continue
        if pending_until <= now:
            available += remaining
        else:
            pending += remaining
            ends = int(pending_until // DAY_S)
            ripening[ends] = ripening.get(ends, 0) + remaining
        by_expiry[expires_at] = by_expiry.get(expires_at, 0) + remaining
    by_day: dict[date, int] = {}
    for expires_at, points in by_expiry.items():
        if expires_at < FOREVER:
            day = last_day(expires_at)
            by_day[day] = by_day.get(day, 0) + points
    expiring = tuple(Expiring(day, n) for day, n in sorted(by_day.items()))
    spendable = tuple(
        Spendable(date.fromordinal(_EPOCH_DAY + d), n) for d, n in sorted(ripening.items())
    )
    return LotBalance(available - debt, pending, expiring, spendable)
