"""An independent count of a coalition's points, from the server's record of point events alone.

The server keeps points as lots (server_stub/loyalty/lots.py) and settles from them. This model
reads only the `events` table (what each till sent and the verdict it got) and replays it by the
rules the issue states, in its own words: a lot per accrual, pending for the returns window,
expiring at the end of the month `expiry_months` on; a spend takes available lots oldest first
or is an overdraft; a till's void of an accrual takes its own lot first, then pending points
(newest first), then available ones (oldest first); a void of a spend gives its points back; the
expiry job ends what is left of lots past their expiry. Then it settles a month as the settlement
report should. Where server and model disagree, one of them is wrong.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DAY = 86_400.0


def month_start(year: int, month: int) -> float:
    return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=UTC).timestamp()


def expires(earned: float, months: int) -> float:
    """Points last through the end of the month `months` after the one they were earned in."""
    at = datetime.fromtimestamp(earned, UTC)
    return month_start(at.year, at.month + months + 1)


@dataclass
class Lot:
    order: int  # made in this order: ties of the same moment go oldest first by it
    event_id: str
    member: str
    issuer: str
    earned: float
    pending_until: float
    expires: float
    points: int
    remaining: int


@dataclass(frozen=True)
class Use:
    kind: str  # spend (negative: given back) | void | expire
    lot: Lot
    points: int
    at: float
    redeemer: str | None = None


@dataclass
class Model:
    pending_days: int
    expiry_months: int
    max_offline: float
    partner_of_store: dict[str, str]
    lots: dict[str, Lot] = field(default_factory=dict)  # by the accrual's event id
    uses: list[Use] = field(default_factory=list)
    spends: dict[str, list[Use]] = field(default_factory=dict)  # a spend's uses, by event id
    verdicts: dict[str, str] = field(default_factory=dict)  # the verdict the model expects
    moved: dict[str, int] = field(default_factory=dict)  # points a void moved, signed as stored
    took_pending: int = 0  # voids that took points of another lot still pending

    def replay(self, events: list[Any], sweeps: list[float]) -> None:
        """The server's events in the order it judged them (its clock ticks, so every push has
        its own `received`; within one push, by the till's seq), with the expiry job's runs."""
        ordered = sorted(events, key=lambda e: (float(e.received), e.device_id, int(e.seq)))
        runs = sorted(sweeps)
        for e in ordered:
            while runs and runs[0] < float(e.received):
                self.sweep(runs.pop(0))
            self.apply(e)
        for moment in runs:
            self.sweep(moment)

    def at(self, e: Any) -> float:
        """When the event counts: the till's own time, believed back to the offline limit."""
        made = datetime.fromisoformat(e.local_time).timestamp()
        return min(max(made, float(e.received) - self.max_offline), float(e.received))

    def apply(self, e: Any) -> None:
        at, kind = self.at(e), e.kind
        if kind in ("accrue", "checkin") and e.verdict == "accepted" and int(e.points) > 0:
            self.lots[e.event_id] = Lot(
                len(self.lots), e.event_id, e.member, self.partner_of_store[e.store_id], at,
                at + self.pending_days * DAY, expires(at, self.expiry_months), int(e.points),
                int(e.points),
            )  # fmt: skip
        elif kind == "spend" and e.verdict in ("accepted", "conflict"):
            wanted = -int(e.points)
            usable = [lot for lot in self._open(e.member, at) if lot.pending_until <= at]
            if sum(lot.remaining for lot in usable) < wanted:
                self.verdicts[e.event_id] = "conflict"
                return
            self.verdicts[e.event_id] = "accepted"
            redeemer = self.partner_of_store[e.store_id]
            self.spends[e.event_id] = self._take(usable, wanted, "spend", at, redeemer)
        elif kind == "void" and e.verdict == "accepted":
            self._void(e, at)

    def _void(self, e: Any, at: float) -> None:
        target = e.target
        if target in self.spends:  # give the spend's points back to the very lots it used
            back = [Use("spend", u.lot, -u.points, at, u.redeemer) for u in self.spends.pop(target)]
            for u in back:
                u.lot.remaining -= u.points
            self.uses += back
            self.moved[e.event_id] = -sum(u.points for u in back)
            return
        own = self.lots.get(target)
        if own is None:  # the accrual earned nothing (rejected, duplicate), or an overdraft
            self.moved[e.event_id] = 0
            return
        live = [lot for lot in self._open(e.member, at) if lot is not own]
        pending = sorted((lot for lot in live if lot.pending_until > at),
                         key=lambda lot: (lot.earned, lot.order), reverse=True)  # fmt: skip
        rest = [lot for lot in live if lot.pending_until <= at]
        first = [own] if own.remaining > 0 and at < own.expires else []
        taken = self._take(first + pending + rest, own.points, "void", at, None)
        if any(u.lot is not own and u.lot.pending_until > at for u in taken):
            self.took_pending += 1
        self.moved[e.event_id] = -sum(u.points for u in taken)

    def sweep(self, moment: float) -> None:
        """The expiry job at `moment`: what is left of each lot past its expiry by more than
        the offline limit (a till's late spend may still need it), dated at its expiry."""
        for lot in self.lots.values():
            if lot.remaining > 0 and lot.expires <= moment - self.max_offline:
                self.uses.append(Use("expire", lot, lot.remaining, lot.expires))
                lot.remaining = 0

    def _open(self, member: str, at: float) -> list[Lot]:
        """A member's open lots not expired at `at`, oldest first."""
        found = [
            lot for lot in self.lots.values()
            if lot.member == member and lot.remaining > 0 and at < lot.expires
        ]  # fmt: skip
        return sorted(found, key=lambda lot: (lot.earned, lot.order))

    def _take(
        self, order: list[Lot], points: int, kind: str, at: float, redeemer: str | None
    ) -> list[Use]:
        taken = []
        for lot in order:
            if points <= 0:
                break
            part = min(lot.remaining, points)
            if part <= 0:
                continue
            lot.remaining -= part
            points -= part
            taken.append(Use(kind, lot, part, at, redeemer))
        self.uses += taken
        return taken

    # -- the month's settlement, as the model sees it -----------------------------------------

    def settle(self, start: float, end: float) -> tuple[dict[str, dict[str, int]], dict[Any, int]]:
        """Per partner: earned, taken_back, spent, redeemed, expired, pending; per pair
        (issuer, redeemer): the issuer's points spent at the redeemer's stores."""
        lines: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        pairs: dict[tuple[str, str | None], int] = defaultdict(int)
        for lot in self.lots.values():
            if start <= lot.earned < end:
                lines[lot.issuer]["earned"] += lot.points
            if lot.earned < end < lot.pending_until:
                taken = sum(u.points for u in self.uses if u.lot is lot and u.at < end)
                lines[lot.issuer]["pending"] += lot.points - taken
        for u in self.uses:
            inside = start < u.at <= end if u.kind == "expire" else start <= u.at < end
            if not inside:
                continue
            if u.kind == "spend":
                lines[u.lot.issuer]["spent"] += u.points
                lines[u.redeemer or ""]["redeemed"] += u.points
                pairs[(u.lot.issuer, u.redeemer)] += u.points
            elif u.kind == "void":
                lines[u.lot.issuer]["taken_back"] += u.points
            else:
                lines[u.lot.issuer]["expired"] += u.points
        return {k: dict(v) for k, v in lines.items()}, {k: v for k, v in pairs.items() if v}

    def outstanding(self) -> dict[str, int]:
        """Points of each issuer still held (pending or available), once expiry has run."""
        held: dict[str, int] = defaultdict(int)
        for lot in self.lots.values():
            held[lot.issuer] += lot.remaining
        return dict(held)


def money(price: float, points: int) -> Decimal:
    """The issuer's point price times the points, to the cent: what the issuer owes."""
    return (Decimal(str(price)) * points).quantize(Decimal("0.01"), ROUND_HALF_UP)
