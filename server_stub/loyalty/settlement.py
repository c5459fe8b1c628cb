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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from server_stub.database.loyalty_tables import TAKEN_BACK, lot_uses, lots, partners, program
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


# PostgreSQL settings for the settlement's own queries, undone after them. Each scan of a
# month's rows runs in parallel: six workers (from 243 MB of table: 3^5 times the minimum) get it
# a larger share of two busy cores than the default two do (10^7 events, load ~9: 2.0 s to 1.3 s
# for the uses' scan; a share, not more cores: on an idle machine two would do as well). JIT
# compiling cost more than it saved.
SCAN_SETTINGS = {"max_parallel_workers_per_gather": "6", "min_parallel_table_scan_size": "1MB",
                 "jit": "off"}  # fmt: skip
# the returns of the window each look their lot up by its key: the planner would rather hash
# every lot earned since the window began (a scan of them), twice as slow with 10^7 events
LOOKUP_SETTINGS = {"enable_hashjoin": "off", "enable_mergejoin": "off"}


def settle(conn: Connection, month: Period) -> Settlement:
    """The month's settlement: one scan of the month's lots, one of its uses (and two index
    look-ups for the rows dated at its very edges), and the returns of the returns window read
    from their partial index, each with its lot looked up by key; nothing else is scanned."""
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
    with _settings(conn, SCAN_SETTINGS):
        earned = _earned_and_pending(conn, start, end, window)
        used = _uses(conn, start, end)
        with _settings(conn, LOOKUP_SETTINGS):
            taken = _taken_from_pending(conn, end, window)
    for partner_id, (n, pending) in earned.items():
        line(partner_id).earned += n
        line(partner_id).pending += pending
    spends: dict[tuple[str, str | None], int] = {}
    for (kind, issuer, redeemer), n in used.items():
        if kind == "spend":
            line(issuer).spent += n
            if redeemer is not None:
                line(redeemer).redeemed += n
            spends[(issuer, redeemer)] = spends.get((issuer, redeemer), 0) + n
        elif kind in ("return", "void"):
            line(issuer).taken_back += n
        elif kind == "expire":
            line(issuer).expired += n
    for partner_id, n in taken.items():
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


@contextmanager
def _settings(conn: Connection, settings: dict[str, str]) -> Iterator[None]:
    """PostgreSQL settings for this transaction (set_config(..., true), i.e. SET LOCAL) while the
    block runs, then the values from before. Not in a `finally`: a failed statement aborts the
    transaction, and its rollback undoes them anyway. Outside a transaction (autocommit) they
    do nothing, and the report is only slower."""
    if conn.dialect.name != "postgresql":
        yield
        return
    names = list(settings)
    before = conn.execute(
        select(*(func.current_setting(n) for n in names))
    ).one()  # fmt: skip
    conn.execute(select(*(func.set_config(n, v, True) for n, v in settings.items())))
    yield
    conn.execute(
        select(*(func.set_config(n, str(v), True) for n, v in zip(names, before, strict=True)))
    )


def _earned_and_pending(
    conn: Connection, start: float, end: float, window: float
) -> dict[str, tuple[int, int]]:
    """Per partner, the points of its lots earned in [start, end), and of those earned within
    the returns window before `end` that are still pending at it, in one pass over the month's
    lots (and the days before it, should the window be longer than the month)."""
    since = min(start, end - window)
    # a FILTER only when the pass reaches before the month: one costs a test per row
    earned: ColumnElement[Any] = func.sum(lots.c.points)
    if since < start:
        earned = func.sum(lots.c.points).filter(lots.c.earned_at >= start)
    still = and_(lots.c.pending_until > end, lots.c.earned_at >= end - window)
    found = conn.execute(
        select(lots.c.partner_id, earned.label("earned"),
               func.sum(lots.c.points).filter(still).label("pending"))
        .where(lots.c.earned_at >= since, lots.c.earned_at < end)
        .group_by(lots.c.partner_id)
    )  # fmt: skip
    return {r.partner_id: (int(r.earned or 0), int(r.pending or 0)) for r in found}


def _uses(conn: Connection, start: float, end: float) -> dict[tuple[str, str, str | None], int]:
    """The month's lot uses summed per (kind, issuer, redeemer). The month's moments are
    [start, end), but an expiry dated at a month's first instant (lots.expiry_of) closes the
    month before: those rows count in (start, end]. So one scan of the open interval
    (start, end) with no test per row beyond it, and the rows dated exactly at either edge
    (an equality look-up each on lot_uses_at) added as they belong. An edge row that does
    not belong still names its (kind, issuer, redeemer), with 0, as the month's other rows do."""
    expiry = lot_uses.c.kind == "expire"
    keys = (lot_uses.c.kind, lot_uses.c.issuer, lot_uses.c.redeemer)
    points = func.sum(lot_uses.c.points)
    belongs = or_(and_(lot_uses.c.at == start, ~expiry), and_(lot_uses.c.at == end, expiry))
    sums: dict[tuple[str, str, str | None], int] = {}
    for query in (
        select(*keys, points.label("n"))
        .where(lot_uses.c.at > start, lot_uses.c.at < end),
        select(*keys, points.filter(belongs).label("n"))
        .where(or_(lot_uses.c.at == start, lot_uses.c.at == end)),
    ):  # fmt: skip
        for u in conn.execute(query.group_by(*keys)):
            key = (u.kind, u.issuer, u.redeemer)
            sums[key] = sums.get(key, 0) + int(u.n or 0)
    return sums


def _returns_window(conn: Connection) -> float:
    """The program's returns window in seconds (14 days before the program row exists).

    Pending at a moment means earned within this window before it: a lot earned under a longer
    window that the program has since shortened is not counted as pending any more."""
    days = conn.execute(select(program.c.pending_days).where(program.c.id == 1)).scalar()
    return (14 if days is None else max(int(days), 0)) * DAY_S


def _taken_from_pending(conn: Connection, moment: float, window: float) -> dict[str, int]:
    """Per partner, what returns and voids took before `moment` from lots still pending at it.
    A pending lot cannot be spent or expire, so returns and voids are all that consume it, and
    only within the window before `moment`: those uses are read from their partial index
    (lot_uses_taken holds all this needs of them), and each one's lot looked up by its key."""
    found = conn.execute(
        select(lot_uses.c.issuer, func.sum(lot_uses.c.points).label("n"))
        .select_from(lot_uses.join(lots, lots.c.id == lot_uses.c.lot_id))
        .where(lot_uses.c.at >= moment - window, lot_uses.c.at < moment,
               TAKEN_BACK, lots.c.pending_until > moment, lots.c.earned_at >= moment - window)
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
