"""Loyalty points at a device: earn for a purchase, a visit bonus, spend for an item, and the
balance: the sum of the member's open lots (the server's, when it answers or as it last sent
them, with this device's events since laid on top: terminal.lots), what of it is still pending,
and what expires when."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from codes.common.cli import counted
from terminal.config import TerminalConfig
from terminal.ledger import Device, Ledger, LedgerError
from terminal.lots import LotBalance
from terminal.member_codes import MemberCodes
from terminal.members import GIVE_MEMBER, normalise_member
from terminal.online_claims import OnlineClaims
from terminal.point_limits import PointLimits
from terminal.results import Expiry, Result, SpendableFrom, Status


class Points:
    def __init__(
        self, ledger: Ledger, device: Device, config: TerminalConfig, online: OnlineClaims
    ) -> None:
        self.ledger, self.device, self.config, self.online = ledger, device, config, online
        self.limits = PointLimits(device, config)
        self.codes = MemberCodes(online)

    def accrue(
        self, member: str, amount: float, receipt: str, actor: str = "",
        categories: Mapping[str, float] | None = None,
    ) -> Result:  # fmt: skip
        """Points for a purchase, by the store's earn rules; a receipt earns once. `categories`:
        the basket's amount per product category ({"fuel": 40.0}), for the rules' multipliers."""
        member, receipt = normalise_member(member), receipt.strip()
        if not member or not receipt or not amount >= 0:
            return Result(
                Status.BAD_INPUT,
                f"{GIVE_MEMBER}, a receipt and an amount of 0 or more.",
            )
        if categories is not None and not _basket_ok(categories):
            return Result(
                Status.BAD_INPUT,
                "Give each product category a name and an amount of 0 or more (at most 50).",
            )
        # the device's own day: a bonus period runs by the store's calendar; the server counts
        # with the day sent
        day = datetime.now().astimezone().date().isoformat()
        points = self.config.loyalty.points_for(amount, categories, day)
        payload: dict[str, Any] = {"member": member, "amount": amount, "receipt": receipt,
                                   "points": points, "rules": self.config.loyalty.version,
                                   "day": day}  # fmt: skip
        if categories:
            payload["categories"] = {str(k): float(v) for k, v in categories.items()}
        return self._event("accrue", payload, member, points, actor, receipt=receipt)

    def checkin(self, member: str, actor: str = "") -> Result:
        """A visit bonus: once per member per store per day."""
        member = normalise_member(member)
        if not member:
            return Result(Status.BAD_INPUT, f"{GIVE_MEMBER}.")
        points = self.config.loyalty.checkin_points
        day = datetime.now(UTC).date().isoformat()
        payload = {"member": member, "day": day, "store": self.device.store_id, "points": points,
                   "rules": self.config.loyalty.version}  # fmt: skip
        return self._event("checkin", payload, member, points, actor, day=day)

    def spend(
        self, member: str, points: int, item: str, actor: str = "", code: str | None = None
    ) -> Result:
        """Exchange points for an item, against the balance this device knows. Above the
        program's otp_above the member's code is asked first (member_codes): without `code`
        one is texted (`needs_code`), with it the server confirms; offline: `needs_online`."""
        member = normalise_member(member)
        if not member or points <= 0:
            return Result(
                Status.BAD_INPUT,
                f"{GIVE_MEMBER} and a number of points above 0.",
            )
        if self.config.catalogue:
            prize = self.config.item(item)
            if prize is None:
                return Result(Status.BAD_INPUT, f"{item!r} is not in this store's catalogue.")
            if points != prize.points:
                return Result(
                    Status.BAD_INPUT,
                    f"{prize.name} costs {counted(prize.points, 'point')}, not {points}.",
                )
        known, online = self.known_points(member)
        balance = known.available  # pending points wait out the returns window
        if points > balance:
            waiting = f" ({known.pending} more pending)" if known.pending else ""
            return Result(
                Status.INSUFFICIENT_POINTS, f"Not enough points: {member} has {counted(balance, 'point')} to spend{waiting}, needs {points}.",
                member=member, balance=balance, pending=known.pending or None,
            )  # fmt: skip
        payload: dict[str, Any] = {"member": member, "points": points, "item": item}
        if 0 < self.config.otp_above < points:
            confirmed = (
                self.codes.send("spend", member, points) if code is None
                else self.codes.confirm_spend(member, points, code)
            )  # fmt: skip
            if isinstance(confirmed, Result):
                return confirmed
            payload["confirmation"] = confirmed  # the server uses it up for this event only
            online = True  # the server confirmed it just now
        cap = self.config.loyalty.offline_spend_cap
        if not online and self.ledger.pending_spent(member) + points > cap:
            return Result(
                Status.OFFLINE_BUDGET,
                f"Offline limit reached: at most {counted(cap, 'point')} per member until this device syncs.",
                member=member, balance=balance,
            )  # fmt: skip
        return self._event("spend", payload, member, -points, actor, online=online)

    def balance(self, member: str) -> Result:
        member = normalise_member(member)
        if not member:
            return Result(Status.BAD_INPUT, f"{GIVE_MEMBER}.")
        known, online = self.known_points(member)
        where = "" if online else " (as last known here)"
        pending = f", {known.pending} of them pending" if known.pending else ""
        ripe, soon = known.next_spendable, known.next_expiry
        spendable = f" {pending_words(ripe.points, ripe.on)}." if ripe else ""
        expiry = f" {expiry_words(soon.points, soon.on)}." if soon else ""
        return Result(
            Status.VALID,
            f"{member} has {counted(known.total, 'point')}{pending}{where}.{spendable}{expiry}",
            member=member, balance=known.total, pending=known.pending,
            expiring=tuple(Expiry(e.on.isoformat(), e.points) for e in known.expiring),
            spendable_from=_spendable(known),
        )  # fmt: skip

    def known_balance(self, member: str) -> tuple[int, bool]:
        """(balance, from the server just now?): all the member's open points."""
        known, online = self.known_points(member)
        return known.total, online

    def known_points(self, member: str) -> tuple[LotBalance, bool]:
        """(the member's lots now, from the server just now?): the server's when it answers (its
        lots are remembered as it answers), else the lots it last sent, with this device's events
        since on top in both cases."""
        told = self.online.balance(member, self.config.claim_timeout)
        known = self.ledger.lot_balance(
            member, time.time(), self.config.pending_days, self.config.expiry_months
        )
        if told is not None and told != known.total:
            # the answer could not be remembered here: its figure stands, its schedule unknown
            return LotBalance(told, 0), True
        return known, told is not None

    def _event(
        self, kind: str, payload: dict[str, Any], member: str, points: int, actor: str,
        online: bool = False, **columns: Any,
    ) -> Result:  # fmt: skip
        try:
            with self.ledger.write() as conn:
                judged = self.limits.judge(conn, kind, member, points, actor)
                if judged.refusal is not None:  # nothing written but the manager's alert
                    self.ledger.add_alert(conn, "limit_blocked", judged.refusal)
                    return Result(Status.LIMIT_BLOCKED, judged.refusal, member=member)
                event = self.ledger.append(
                    conn, self.device, kind, payload, actor=actor, member=member, points=points,
                    **columns,
                )  # fmt: skip
                self.ledger.add_alerts(conn, [("point_limit", a) for a in judged.alerts])
        except LedgerError as exc:
            if exc.code == "duplicate" and kind == "accrue":
                return Result(
                    Status.DUPLICATE_RECEIPT,
                    "This receipt has already earned its points.",
                    member=member,
                )
            if exc.code == "duplicate" and kind == "checkin":
                return Result(
                    Status.ALREADY_CHECKED_IN,
                    f"{member} already checked in here today.",
                    member=member,
                )
            return Result(Status.NOT_SAVED, f"Not saved: {exc.message}.", member=member)
        words = {"accrue": "earned", "checkin": "earned for checking in", "spend": "spent"}[kind]
        known = self.ledger.lot_balance(
            member, time.time(), self.config.pending_days, self.config.expiry_months
        )  # this device's view: the receipt prints its expiry, offline or not
        return Result(
            Status.ACCEPTED_ONLINE if online else Status.ACCEPTED_OFFLINE,
            f"{counted(abs(points), 'point')} {words}; balance now {known.total}.", event_id=event["event_id"],
            member=member, points=points, balance=known.total, warnings=judged.alerts,
            pending=known.pending or None,
            expiring=tuple(Expiry(e.on.isoformat(), e.points) for e in known.expiring),
            spendable_from=_spendable(known),
        )  # fmt: skip


def _spendable(known: LotBalance) -> tuple[SpendableFrom, ...]:
    return tuple(SpendableFrom(s.on.isoformat(), s.points) for s in known.spendable_from)


def pending_words(points: int, on: date) -> str:
    """'40 points pending, spendable from 12 December' (receipts and the terminal's answers):
    days away at most, so no year."""
    return f"{counted(points, 'point')} pending, spendable from {on.day} {on:%B}"


def expiry_words(points: int, on: date) -> str:
    """'120 points expire on 31 December 2026' (receipts and the terminal's answers)."""
    verb = "expires" if points == 1 else "expire"
    return f"{counted(points, 'point')} {verb} on {on.day} {on:%B} {on.year}"


def _basket_ok(categories: Mapping[str, float]) -> bool:
    return len(categories) <= 50 and all(
        isinstance(k, str) and 1 <= len(k) <= 64 and type(v) in (int, float)
        and math.isfinite(v) and v >= 0
        for k, v in categories.items()
    )  # fmt: skip
