"""Settlement between partners for one month (UTC): who issued, spent, lost to expiry and still
holds pending points, and what each partner owes each other one.

Read straight from the lots and what consumed them (`lots`, `lot_uses`), each point event
counted once, in the month it happened:

- `earned`: points of the partner's lots earned in the month.
- `taken_back`: points of the partner's lots that a return or a void took back in the month
  (whenever the lot was earned): those points were never really given. `issued` is `earned`
  minus `taken_back`, so the months' `issued` add up to every lot's points less every return.
- `spent`: points of the partner's lots consumed by spends in the month, wherever they were
  spent (by issuer: how much of its liability went). `redeemed` is the other view: points
  spent at the partner's own stores, whoever issued them. Both are given. A spend voided on
  its till is a negative spend row (`lots.give_back`) in the month of the void, so it nets
  out of `spent`, `redeemed` and its pair.
- `expired`: points of the partner's lots that expired in the month. Points last through the
  end of a month and expire at the next month's first instant (`lots.expiry_of`), where the
  expiry job dates them; such a row closes the month before, so expiries count in
  (start, end], everything else in [start, end). Settle a month after the expiry job has run
  past its end (the finance report's `awaiting_expiry` says whether it has).
- `pending`: points of the partner's lots still inside the returns window at the month's end
  (earned, not yet spendable, not taken back by then): part of `issued`, not beside it.

A pair (issuer, redeemer) is the points of the issuer's lots spent at the redeemer's stores in
the month, and `money` the issuer's point price times them, rounded to the cent once per pair:
the issuer owes the redeemer that much. A partner's own points spent at its own stores are a
pair too (nothing moves between partners, so it is left out of net positions). A partner's net
position is what others owe it less what it owes others, in points and in money. Money is
`Decimal` throughout, written as a string with two places; the price is the partner's agreed
point price when the settlement runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from server_stub.database.loyalty_tables import lot_uses, lots, partners, program
from server_stub.errors import ApiError
from server_stub.records.csv_cells import guarded

CENT = Decimal("0.01")
DAY_S = 86400
_PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits: \d takes any script's


@dataclass(frozen=True)
class Period:
    """A calendar month in UTC: [start, end) in epoch seconds."""

    name: str
    start: float
    end: float


def period(text: str) -> Period:
    """'2026-11' as a Period; anything else a clear refusal."""
    found = _PERIOD.fullmatch(text.strip())
    month = int(found.group(2)) if found else 0
    # 9999-12 would end in year 10000, which no datetime holds
    if found is None or not 1 <= month <= 12 or not 1970 <= int(found.group(1)) <= 9998:
        raise ApiError(
            422,
            "bad_period",
            f"a period is a month written YYYY-MM, e.g. 2026-11, not {text[:20]!r}",
        )
    year = int(found.group(1))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return Period(f"{year:04d}-{month:02d}", start.timestamp(), end.timestamp())


def money(price: Decimal | None, points: int) -> Decimal:
    """Points at a price, to the cent (half up); an unknown price is worth nothing, and said."""
    return (Decimal(points) * (price or Decimal(0))).quantize(CENT, ROUND_HALF_UP)


def price_of(value: float | None) -> Decimal | None:
    """A stored point price as the decimal it was typed as (0.1, never 0.1000000000000000055)."""
    return None if value is None else Decimal(repr(float(value)))


@dataclass
class PartnerLine:
    partner: str
    name: str = ""
    earned: int = 0
    taken_back: int = 0
    spent: int = 0
    redeemed: int = 0
    expired: int = 0
    pending: int = 0
    receivable_points: int = 0  # others' points spent at its stores
    payable_points: int = 0  # its points spent at others' stores
    receivable: Decimal = Decimal("0.00")
    payable: Decimal = Decimal("0.00")

    @property
    def issued(self) -> int:
        return self.earned - self.taken_back

    def as_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner, "name": self.name, "issued": self.issued,
            "spent": self.spent, "expired": self.expired, "pending": self.pending,
            "earned": self.earned, "taken_back": self.taken_back, "redeemed": self.redeemed,
            "net_points": self.receivable_points - self.payable_points,
            "receivable": str(self.receivable), "payable": str(self.payable),
            "net_money": str(self.receivable - self.payable),
        }  # fmt: skip


@dataclass(frozen=True)
class Pair:
    issuer: str
    redeemer: str | None  # None: a spend at a store no partner owns
    points: int
    money: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "redeemer": self.redeemer, "points": self.points,
                "money": str(self.money), "own": self.issuer == self.redeemer}  # fmt: skip


@dataclass
class Settlement:
    period: Period
    partners: list[PartnerLine]
    pairs: list[Pair]
    unpriced: list[str] = field(default_factory=list)  # partners with lots but no partner row

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.name,
            "from": datetime.fromtimestamp(self.period.start, UTC).isoformat(),
            "until": datetime.fromtimestamp(self.period.end, UTC).isoformat(),
            "partners": [p.as_dict() for p in self.partners],
            "pairs": [p.as_dict() for p in self.pairs],
            "unpriced": self.unpriced,
        }

    def narrowed(self, partner_ids: Iterable[str]) -> Settlement:
        """Only these partners' lines and the pairs they are a side of."""
        keep = frozenset(partner_ids)
        return Settlement(
            self.period, [p for p in self.partners if p.partner in keep],
            [p for p in self.pairs if p.issuer in keep or p.redeemer in keep],
            [u for u in self.unpriced if u in keep],
        )  # fmt: skip


def settle(conn: Connection, month: Period) -> Settlement:
    """The month's settlement: three aggregates over the month's rows (its lots, its lot uses,
    and the returns of its last days' lots), nothing else scanned."""
    start, end = month.start, month.end
    lines: dict[str, PartnerLine] = {}

    def line(partner_id: str) -> PartnerLine:
        if partner_id not in lines:
            lines[partner_id] = PartnerLine(partner_id)
        return lines[partner_id]

    known = {r.id: r for r in conn.execute(select(partners.c.id, partners.c.name,
                                                  partners.c.point_price))}  # fmt: skip
    for r in known.values():
        line(r.id).name = r.name
    window = _returns_window(conn)
    # one pass over the month's lots (and the last days before it, should the returns window
    # be longer than a month): earned in the month, and still pending at its end
    pending_since = min(start, end - window)
    still = and_(lots.c.pending_until > end, lots.c.earned_at >= end - window)
    for e in conn.execute(
        select(lots.c.partner_id,
               func.sum(lots.c.points).filter(lots.c.earned_at >= start).label("earned"),
               func.sum(lots.c.points).filter(still).label("pending"))
        .where(lots.c.earned_at >= pending_since, lots.c.earned_at < end)
        .group_by(lots.c.partner_id)
    ):  # fmt: skip
        line(e.partner_id).earned += int(e.earned or 0)
        line(e.partner_id).pending += int(e.pending or 0)
    # the month's moments are [start, end), but an expiry dated at a month's first instant
    # (lots.expiry_of) closes the month before: those rows count in (start, end]. FILTER,
    # not a CASE in the GROUP BY: the planner then expects few groups and scans in parallel
    expiry = lot_uses.c.kind == "expire"
    used = conn.execute(
        select(lot_uses.c.kind, lot_uses.c.issuer, lot_uses.c.redeemer,
               func.sum(lot_uses.c.points).filter(
                   or_(and_(expiry, lot_uses.c.at > start), and_(~expiry, lot_uses.c.at < end))
               ).label("n"))
        .where(lot_uses.c.at >= start, lot_uses.c.at <= end)
        .group_by(lot_uses.c.kind, lot_uses.c.issuer, lot_uses.c.redeemer)
    )  # fmt: skip
    spends: dict[tuple[str, str | None], int] = {}
    for u in used:
        n = int(u.n or 0)
        if u.kind == "spend":
            line(u.issuer).spent += n
            if u.redeemer is not None:
                line(u.redeemer).redeemed += n
            spends[(u.issuer, u.redeemer)] = spends.get((u.issuer, u.redeemer), 0) + n
        elif u.kind in ("return", "void"):
            line(u.issuer).taken_back += n
        elif u.kind == "expire":
            line(u.issuer).expired += n
    for partner_id, n in _taken_from_pending(conn, end, window).items():
        line(partner_id).pending -= n
    prices = {k: price_of(r.point_price) for k, r in known.items()}
    pairs = []
    for (issuer, redeemer), points in sorted(
        spends.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
    ):
        owed = money(prices.get(issuer), points)
        pairs.append(Pair(issuer, redeemer, points, owed))
        if redeemer is None or redeemer == issuer:
            continue
        line(issuer).payable_points += points
        line(issuer).payable += owed
        line(redeemer).receivable_points += points
        line(redeemer).receivable += owed
    unpriced = sorted({p.issuer for p in pairs if p.points and prices.get(p.issuer) is None})
    return Settlement(month, [lines[k] for k in sorted(lines)], pairs, unpriced)


def _returns_window(conn: Connection) -> float:
    """The program's returns window in seconds (14 days before the program row exists).

    Pending at a moment means earned within this window before it: a lot earned under a longer
    window that the program has since shortened is not counted as pending any more."""
    days = conn.execute(select(program.c.pending_days).where(program.c.id == 1)).scalar()
    return (14 if days is None else max(int(days), 0)) * DAY_S


def _taken_from_pending(conn: Connection, moment: float, window: float) -> dict[str, int]:
    """Per partner, what returns and voids took before `moment` from lots still pending at it.
    A pending lot cannot be spent or expire, so returns and voids are all that consume it, and
    only within the window before `moment`: those uses are read first (few), then their lots."""
    found = conn.execute(
        select(lot_uses.c.issuer, func.sum(lot_uses.c.points).label("n"))
        .select_from(lot_uses.join(lots, lots.c.id == lot_uses.c.lot_id))
        .where(lot_uses.c.at >= moment - window, lot_uses.c.at < moment,
               lot_uses.c.kind.in_(("return", "void")),
               lots.c.pending_until > moment, lots.c.earned_at >= moment - window)
        .group_by(lot_uses.c.issuer)
    )  # fmt: skip
    return {r.issuer: int(r.n) for r in found}


CSV_PARTNERS = ("partner", "name", "issued", "earned", "taken_back", "spent", "redeemed",
                "expired", "pending", "net_points", "receivable", "payable", "net_money")  # fmt: skip
CSV_PAIRS = ("issuer", "redeemer", "points", "money")


def csv_rows(result: Settlement) -> list[list[Any]]:
    """The partners' table, a blank line, then the pairs' table; every text cell guarded
    against running as a formula (csv_cells), money as plain decimals."""
    rows: list[list[Any]] = [["period", result.period.name], [], list(CSV_PARTNERS)]
    for p in result.partners:
        shown = p.as_dict()
        rows.append([guarded(shown[k]) if k in ("partner", "name") else _number(shown[k])
                     for k in CSV_PARTNERS])  # fmt: skip
    rows += [[], list(CSV_PAIRS)]
    for pair in result.pairs:
        rows.append([guarded(pair.issuer), guarded(pair.redeemer or ""), pair.points,
                     pair.money])  # fmt: skip
    return rows


def _number(value: Any) -> Any:
    """Money goes into the CSV as a number (Decimal), never as text a guard would quote."""
    return Decimal(value) if isinstance(value, str) else value
