"""The finance report: the points liability outstanding per partner and its expected breakage,
the figures an accountant books for a loyalty program under IFRS 15.

- Outstanding: the points of open lots (`remaining` > 0) that have not yet reached their expiry
  at the moment asked, pending ones included (a pending point is owed unless its purchase comes
  back) and shown apart. Lots past their expiry that the expiry job has not swept yet are
  shown as `awaiting_expiry`, outside the liability: nobody can spend them any more.
- Liability: outstanding points times the issuer's point price, to the cent.
- Breakage rate: of the partner's points that left their lots for good so far, the share that
  expired rather than being spent (expired / (expired + spent), from every `lot_uses` row
  before the moment asked; returns and voids are neither, the points were never given). A
  partner with no history yet takes the program's rate; a program with none takes 0, so no
  breakage is booked before there is evidence for it (IFRS 15's constraint: only what will
  highly probably not reverse).
- Expected breakage: the outstanding points (and money) times that rate.

How it is booked (IFRS 15 B39-B47; a points program is a material right, B40): the money a
partner received for the points is a contract liability until they are redeemed. Where the
partner expects breakage, it recognises the expected breakage as revenue in proportion to the
pattern of rights the members exercise (B46), not when points expire: each point redeemed
releases rate / (1 - rate) points' worth of breakage besides its own revenue (`per_redeemed`).
Example: 1,000 points at 0.10 outstanding, rate 20%: expected breakage 200 points (20.00);
800 are expected to be redeemed, so each point redeemed releases 0.25 point (0.025) of
breakage revenue, and once 800 are redeemed all 20.00 has been recognised. The rate is
re-estimated each period from this report; a change is a change in estimate (booked
prospectively).
"""

from __future__ import annotations

import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, case, func, select

from server_stub.database.loyalty_tables import lot_uses, lots, partners
from server_stub.loyalty.settlement import money, price_of

RATE = Decimal("0.0001")  # a breakage rate to a hundredth of a percent


def _rate(expired: int, spent: int) -> Decimal | None:
    gone = expired + spent
    return None if gone <= 0 else (Decimal(expired) / Decimal(gone)).quantize(RATE, ROUND_HALF_UP)


def finance(conn: Connection, now: float | None = None) -> dict[str, Any]:
    """Per partner and for the program: outstanding points and liability, the historical
    breakage rate, and the expected breakage in points and money."""
    now = time.time() if now is None else now
    known = {r.id: r for r in conn.execute(select(partners.c.id, partners.c.name,
                                                  partners.c.point_price))}  # fmt: skip
    live = lots.c.expires_at > now
    pending = case((lots.c.pending_until > now, lots.c.remaining), else_=0)
    held: dict[str, tuple[int, int, int]] = {}
    for r in conn.execute(
        select(
            lots.c.partner_id,
            func.sum(case((live, lots.c.remaining), else_=0)).label("out"),
            func.sum(case((live, pending), else_=0)).label("pending"),
            func.sum(case((live, 0), else_=lots.c.remaining)).label("stale"),
        ).where(lots.c.remaining > 0).group_by(lots.c.partner_id)
    ):  # fmt: skip
        held[r.partner_id] = (int(r.out or 0), int(r.pending or 0), int(r.stale or 0))
    history: dict[str, dict[str, int]] = {}
    for u in conn.execute(
        select(lot_uses.c.issuer, lot_uses.c.kind, func.sum(lot_uses.c.points).label("n"))
        .where(lot_uses.c.kind.in_(("spend", "expire")), lot_uses.c.at < now)
        .group_by(lot_uses.c.issuer, lot_uses.c.kind)
    ):  # fmt: skip
        history.setdefault(u.issuer, {})[u.kind] = int(u.n)
    program_rate = _rate(
        sum(h.get("expire", 0) for h in history.values()),
        sum(h.get("spend", 0) for h in history.values()),
    )
    rows = []
    totals = {"outstanding": 0, "pending": 0, "awaiting_expiry": 0, "breakage_points": 0}
    liability_total = breakage_total = Decimal("0.00")
    for partner_id in sorted(set(known) | set(held) | set(history)):
        outstanding, waiting, stale = held.get(partner_id, (0, 0, 0))
        past = history.get(partner_id, {})
        own_rate = _rate(past.get("expire", 0), past.get("spend", 0))
        rate = own_rate if own_rate is not None else program_rate or Decimal(0)
        price = price_of(known[partner_id].point_price) if partner_id in known else None
        liability = money(price, outstanding)
        breakage_points = int((Decimal(outstanding) * rate).to_integral_value(ROUND_HALF_UP))
        breakage = (liability * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
        rows.append({
            "partner": partner_id,
            "name": known[partner_id].name if partner_id in known else "",
            "point_price": None if price is None else str(price),
            "outstanding": outstanding, "pending": waiting, "awaiting_expiry": stale,
            "liability": str(liability),
            "spent_to_date": past.get("spend", 0), "expired_to_date": past.get("expire", 0),
            "breakage_rate": str(rate),
            "rate_from": "partner" if own_rate is not None else
                         "program" if program_rate is not None else "none",
            "expected_breakage_points": breakage_points,
            "expected_breakage": str(breakage),
            "per_redeemed": str(_per_redeemed(rate)),
        })  # fmt: skip
        totals["outstanding"] += outstanding
        totals["pending"] += waiting
        totals["awaiting_expiry"] += stale
        totals["breakage_points"] += breakage_points
        liability_total += liability
        breakage_total += breakage
    return {
        "as_of": now,
        "partners": rows,
        "program": {
            **totals,
            "liability": str(liability_total),
            "expected_breakage": str(breakage_total),
            "breakage_rate": None if program_rate is None else str(program_rate),
        },
        "method": "IFRS 15 B46: expected breakage recognised as revenue in proportion to"
        " redemptions; rate = expired / (expired + spent) to date, per issuing partner",
    }


def _per_redeemed(rate: Decimal) -> Decimal:
    """Breakage points released by each point redeemed: rate / (1 - rate)."""
    if rate >= 1:
        return Decimal(0)  # nothing is expected to be redeemed: breakage goes as points expire
    return (rate / (1 - rate)).quantize(RATE, ROUND_HALF_UP)
