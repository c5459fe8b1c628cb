"""The cashier's checkout over the device engine: one `Till` per device, one `Checkout` per basket.

A code scanned into a basket is held against it (no other basket can use it), redeemed when the
basket is paid, and freed when the basket is cancelled or the hold expires. The holds live in the
ledger, so a crash of the POS loses no redemption and leaves no code stuck for long.

One lock serialises the engine: the HTTP bridge serves several POS connections at once, and a
ledger transaction must not interleave with another on the same connection.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from codes.common.cli import counted
from codes.qr_read import Picture, PictureError, read_codes
from pos_plugin.answers import (
    CANCELLED,
    CLOSED,
    NO_CODE,
    NOT_READABLE,
    PAID,
    Answer,
    Reward,
    from_result,
)
from pos_plugin.receipt import needs_picture, receipt_parts, receipt_text
from pos_plugin.receipt_picture import receipt_png
from pos_plugin.settings import PosSettings
from sync.cycle import CycleReport
from sync.online import OnlineDevice
from terminal import chain
from terminal.engine import Terminal
from terminal.members import normalise_member
from terminal.points import expiry_words, pending_words
from terminal.results import Result, Status

T = TypeVar("T")

# baskets remembered: open ones, and closed ones so that a retried `pay` gets its first answer
MAX_KEPT = 1000


class Till:
    """One device's checkout engine, shared by every basket at this till."""

    def __init__(
        self, terminal: Terminal, settings: PosSettings | None = None,
        device: OnlineDevice | None = None,
    ) -> None:  # fmt: skip
        self.terminal = terminal
        self.settings = settings or PosSettings()
        self._device = device
        self._lock = threading.RLock()
        self._checkouts: dict[str, Checkout] = {}

    @classmethod
    def open(
        cls, path: Path | str, settings: PosSettings | None = None, sync: bool = True,
        on_sync: Callable[[CycleReport], None] | None = None,
    ) -> Till:  # fmt: skip
        """The till over its ledger; an enrolled device claims online and syncs in the background."""
        device = OnlineDevice(path, background=sync, on_cycle=on_sync)
        return cls(device.terminal, settings, device)

    def close(self) -> None:
        if self._device is not None:
            self._device.close()
        else:
            self.terminal.close()

    def engine(self, work: Callable[[Terminal], T], recorded: bool = False) -> T:
        """Run `work` on the engine alone; after something was recorded, sync soon."""
        with self._lock:
            if self._device is not None:
                self._device.refresh()
            done = work(self.terminal)
        if recorded and self._device is not None:
            self._device.after_operation()
        return done

    # -- what a code is --------------------------------------------------------------------

    def scan(self, text_or_image: str | Picture) -> Answer:
        """What a typed or pictured code is and whether it can be redeemed here; changes nothing."""
        code, unreadable = self.read(text_or_image)
        if unreadable is not None:
            return unreadable
        assert code is not None
        return self.answer(self.engine(lambda t: t.check(code)))

    def read(self, text_or_image: str | Picture) -> tuple[str | None, Answer | None]:
        """(code text, None), or (None, why there is no code): a string is typed text, anything
        else is a picture. Of several codes in one picture, the first that checks is taken."""
        if isinstance(text_or_image, str):
            return text_or_image, None
        try:
            found = read_codes(text_or_image, self.settings.decoder)
        except PictureError as exc:
            return None, Answer(NOT_READABLE, f"Cannot read the picture: {exc.message}.")
        if not found:
            return None, Answer(
                NO_CODE, "No code found in the picture: hold the code flat, closer to the camera."
            )
        return next(
            (text for text in found if self.terminal.checker.check(text).valid), found[0]
        ), None

    def answer(self, result: Result, **extra: Any) -> Answer:
        tier = self.terminal.reward(result.campaign, result.tier)
        reward = Reward(tier.description or tier.name, tier.value) if tier is not None else None
        return from_result(result, reward, **extra)

    # -- baskets ---------------------------------------------------------------------------

    def checkout(self, cashier: str | None = None) -> Checkout:
        """A new basket."""
        with self._lock:
            basket = Checkout(
                self, chain.uuid7(), self.settings.cashier if cashier is None else cashier
            )
            self._checkouts[basket.checkout_id] = basket
            self._forget_old()
            return basket

    def find(self, checkout_id: str) -> Checkout | None:
        with self._lock:
            return self._checkouts.get(checkout_id)

    def _forget_old(self) -> None:
        """Beyond MAX_KEPT, forget closed baskets first, then abandoned open ones (whose holds
        expire by themselves), oldest first."""
        excess = len(self._checkouts) - MAX_KEPT
        if excess > 0:
            # a stable sort of ids in creation order: closed ones first, each group oldest first
            ordered = sorted(self._checkouts, key=lambda k: self._checkouts[k].state == "open")
            for key in ordered[:excess]:
                del self._checkouts[key]

    # -- members, points, refunds ----------------------------------------------------------

    def member(self, code_or_phone: str) -> Answer:
        """A member's balance: the server's when it answers, else as last known here."""
        member = normalise_member(code_or_phone)
        return self.answer(self.engine(lambda t: t.balance(member)))

    def spend(
        self, member: str, points: int, item: str, cashier: str | None = None,
        code: str | None = None,
    ) -> Answer:  # fmt: skip
        """Above the program's threshold: `needs_code` (texted to the member), then again with
        the `code` the member reads out; offline `needs_online`."""
        actor = self.settings.cashier if cashier is None else cashier
        who = normalise_member(member)
        result = self.engine(lambda t: t.spend(who, points, item, actor, code), recorded=True)
        return self.answer(result)

    def send_code(self, member: str, purpose: str = "spend", points: int = 0) -> Answer:
        """Text the member another code (no sooner than a minute after the last)."""
        who = normalise_member(member) if purpose == "spend" else member.strip()
        return self.answer(self.engine(lambda t: t.send_code(who, purpose, points)))

    def register(
        self, phone: str, code: str | None = None, lang: str = "en", card: str | None = None
    ) -> Answer:
        """A shopper joins by phone: found when the phone is a member, else `needs_code`, then
        again with `code`: registered."""
        return self.answer(self.engine(lambda t: t.register(phone, "till", lang, card, code)))

    def refund(self, receipt_or_event: str, reason: str = "", cashier: str | None = None) -> Answer:
        """Void what a receipt redeemed and earned, or one event by its id."""
        target = receipt_or_event.strip()
        why = reason.strip() or self.settings.refund_reason
        actor = self.settings.cashier if cashier is None else cashier
        if not target:
            return Answer(Status.BAD_INPUT, "Give the receipt number or the event id to refund.")

        def void_all(t: Terminal) -> list[Result]:
            events = t.receipt_events(target) or [target]
            return [t.void(event_id, why, actor) for event_id in events]

        results = [self.answer(r) for r in self.engine(void_all, recorded=True)]
        if len(results) == 1 and results[0].status == Status.NOT_FOUND:
            return Answer(Status.NOT_FOUND, f"Nothing to refund for {target}: no such receipt or event here.")  # fmt: skip
        voided = sum(r.status == Status.VOIDED for r in results)
        failed = [r.status for r in results if r.status != Status.VOIDED]
        status = failed[0] if failed else Status.VOIDED
        message = f"Refunded {voided} of {len(results)} lines of {target}."
        return Answer(status, message, receipt_id=target, items=tuple(results))

    def status(self) -> dict[str, Any]:
        """The device's sync status, as the manager screen and `terminal status` show it."""
        return self.engine(lambda t: t.status())


class Checkout:
    """One basket: scan, apply codes, name the member, then pay or cancel."""

    def __init__(self, till: Till, checkout_id: str, cashier: str) -> None:
        self.till = till
        self.checkout_id = checkout_id
        self.cashier = cashier
        self.state = "open"  # open | paid | cancelled
        self.member_id: str | None = None
        self._paid: Answer | None = None
        # (purpose, member, points, item) of a spend or registration waiting for the member's code
        self.awaiting: tuple[str, str, int, str] | None = None

    def scan(self, text_or_image: str | Picture) -> Answer:
        return self.till.scan(text_or_image)

    def apply(self, text_or_image: str | Picture) -> Answer:
        """Hold the code for this basket: no other basket can use it until pay, cancel or expiry."""
        if self.state != "open":
            return self._closed()
        code, unreadable = self.till.read(text_or_image)
        if unreadable is not None:
            return unreadable
        assert code is not None
        result = self.till.engine(lambda t: t.hold(code, self.checkout_id, self.cashier))
        return self.till.answer(result, checkout_id=self.checkout_id)

    def remove(self, code: str) -> Answer:
        """Take one code back out of the basket."""
        wanted = self.till.terminal.checker.check(code).code
        hold = next((h for h, held in self.held() if held == wanted), None)
        if hold is None:
            return Answer(
                Status.NOT_FOUND, "That code is not in this basket.", checkout_id=self.checkout_id
            )
        freed = self.till.engine(lambda t: t.release(hold))
        return self.till.answer(freed, checkout_id=self.checkout_id)

    def held(self) -> list[tuple[str, str]]:
        """(hold id, code) of the codes in this basket."""
        return self.till.engine(lambda t: t.holds(self.checkout_id))

    def member(self, code_or_phone: str) -> Answer:
        """Name the shopper's loyalty member: the receipt earns points, spends come from them."""
        answer = self.till.member(code_or_phone)
        if answer.status == Status.VALID:
            self.member_id = answer.member
        return answer

    def spend(self, points: int, item: str) -> Answer:
        if self.member_id is None:
            return Answer(Status.BAD_INPUT, "Scan the member's card or enter their phone first.")
        answer = self.till.spend(self.member_id, points, item, self.cashier)
        self.awaiting = ("spend", self.member_id, points, item) if _asks(answer) else None
        return answer

    def join(self, phone: str) -> Answer:
        """Register the shopper by phone (a code is texted to a new one); the member is named."""
        answer = self.till.register(phone)
        self.awaiting = ("register", answer.member or phone, 0, "") if _asks(answer) else None
        if answer.ok:
            self.member_id = answer.member
        return answer

    def code(self, typed: str) -> Answer:
        """The code the member read out, for the spend or registration waiting on it."""
        if self.awaiting is None:
            return Answer(Status.BAD_INPUT, "No spend or registration is waiting for a code.")
        purpose, who, points, item = self.awaiting
        if purpose == "spend":
            answer = self.till.spend(who, points, item, self.cashier, code=typed)
        else:
            answer = self.till.register(who, code=typed)
            if answer.ok:
                self.member_id = answer.member
        if answer.status != Status.WRONG_CODE:  # a wrong code may be typed again
            self.awaiting = None
        return answer

    def resend(self) -> Answer:
        """Text the member another code for what is waiting."""
        if self.awaiting is None:
            return Answer(Status.BAD_INPUT, "No spend or registration is waiting for a code.")
        purpose, who, points, _ = self.awaiting
        return self.till.send_code(who, purpose, points)

    def refund(self, receipt_or_event: str, reason: str = "") -> Answer:
        return self.till.refund(receipt_or_event, reason, self.cashier)

    def pay(
        self, receipt_id: str, total: float, categories: Mapping[str, float] | None = None
    ) -> Answer:
        """Redeem the held codes on this receipt and earn the member's points for it.
        `categories`: the basket's amount per product category ({"fuel": 40.0}), for the earn
        rules' multipliers; what no category names counts once.

        A payment retried (the POS did not get the answer) gets the first answer again.
        """
        receipt_id = receipt_id.strip()
        if self.state == "paid" and self._paid is not None and self._paid.receipt_id == receipt_id:
            return self._paid
        if self.state != "open":
            return self._closed()
        if not receipt_id or not math.isfinite(total) or total < 0:
            return Answer(Status.BAD_INPUT, "Give the receipt number and a total of 0 or more.")
        member = self.member_id

        def settle(t: Terminal) -> tuple[list[Result], Result | None]:
            context = {"member": member} if member else {}
            coupons = [
                t.commit(hold_id, receipt_id, context) for hold_id, _ in t.holds(self.checkout_id)
            ]
            earned = (
                t.accrue(member, total, receipt_id, self.cashier, categories) if member else None
            )
            return coupons, earned

        coupons, earned = self.till.engine(settle, recorded=True)
        lines = [self.till.answer(r) for r in coupons]
        points = self.till.answer(earned) if earned is not None else None
        redeemed = sum(a.ok for a in lines)
        parts = [f"{redeemed} coupon{'s' * (redeemed != 1)} redeemed"]
        if redeemed < len(lines):
            parts.append(f"{len(lines) - redeemed} refused: take them off the bill")
        if points is not None:
            parts.append(
                f"{counted(points.points or 0, 'point')} earned" if points.ok else points.message
            )
        self.state = "paid"
        soon = earned.expiring[0] if earned is not None and earned.expiring else None
        expiry = expiry_words(soon.points, date.fromisoformat(soon.on)) if soon else None
        ripe = earned.spendable_from[0] if earned is not None and earned.spendable_from else None
        pending = pending_words(ripe.points, date.fromisoformat(ripe.on)) if ripe else None
        receipt = receipt_parts(receipt_id, lines, points, member, expiry, pending)
        self._paid = Answer(
            PAID, "Paid: " + "; ".join(parts) + ".", checkout_id=self.checkout_id,
            receipt_id=receipt_id, total=total, member=member,
            points=points.points if points is not None and points.ok else None,
            balance=points.balance if points is not None else None,
            items=tuple(lines) + ((points,) if points is not None else ()),
            receipt=receipt_text(receipt),
            receipt_png=receipt_png(receipt) if needs_picture(receipt) else None,
            warnings=tuple(w for a in lines for w in a.warnings),
        )  # fmt: skip
        return self._paid

    def cancel(self) -> Answer:
        """Free every code held for this basket."""
        if self.state != "open":
            return self._closed()

        def release_all(t: Terminal) -> int:
            return sum(t.release(hold_id).ok for hold_id, _ in t.holds(self.checkout_id))

        freed = self.till.engine(release_all)
        self.state = "cancelled"
        return Answer(
            CANCELLED, f"Basket cancelled: {freed} code{'s' * (freed != 1)} freed.",
            checkout_id=self.checkout_id,
        )  # fmt: skip

    def _closed(self) -> Answer:
        return Answer(
            CLOSED, f"This basket is already {self.state}: start a new checkout.",
            checkout_id=self.checkout_id,
        )  # fmt: skip


def _asks(answer: Answer) -> bool:
    """The answer asks for the member's code (sent now, or a moment ago)."""
    return answer.status in (Status.NEEDS_CODE, Status.CODE_WAIT)
