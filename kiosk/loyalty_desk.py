"""The loyalty screen's side: who the member is, their points, the check-in, spending points.

The rules are the terminal's (balances, the daily check-in, the offline spend cap); this says
them in the shopper's words. A member is found by phone number or by the QR on their card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from kiosk.i18n import Text
from kiosk.phone import PhonePad, phone_number
from terminal.config import CatalogueItem
from terminal.engine import Terminal
from terminal.lots import Expiring
from terminal.results import Result, Status

Tone = Literal["good", "news", "refused"]
MEMBER_CARD = "member:"  # what a member card's QR holds before the member id


@dataclass(frozen=True)
class Prize:
    id: str
    name: str  # the brand's words
    points: int
    affordable: bool


class LoyaltyDesk(PhonePad):
    def __init__(
        self, terminal: Terminal, country: str, actor: str, changed: Callable[[], None],
        recorded: Callable[[], None] = lambda: None,
    ) -> None:  # fmt: skip
        self.terminal = terminal
        self.country = country
        self.actor = actor
        self._changed = changed
        self._recorded = recorded  # a check-in or a spend went into the ledger
        self.start()

    def start(self) -> None:
        """A new shopper: nothing of the last one."""
        self.phone = ""
        self.member: str | None = None
        self.balance = 0  # points the member can spend now
        self.balance_online = False
        self.next_expiry: Expiring | None = None  # the soonest of the member's points to expire
        self.confirming: CatalogueItem | None = None
        self.message: Text | None = None
        self.tone: Tone = "refused"  # of the message: good news, plain news or a refusal

    # -- who -------------------------------------------------------------------------------

    def submit_phone(self) -> bool:
        number = phone_number(self.phone, self.country)
        if number is None:
            self._say(Text.of("loyalty.bad_phone"))
            return False
        return self._found(number)

    def member_card(self, text: str) -> bool:
        """A scanned member card; False when the text is not one."""
        if not text.lower().startswith(MEMBER_CARD) or not text[len(MEMBER_CARD) :].strip():
            return False
        return self._found(text[len(MEMBER_CARD) :].strip())

    def _found(self, member: str) -> bool:
        self.member = member
        self.message = None
        self.refresh_balance()
        self._changed()
        return True

    def refresh_balance(self) -> None:
        if self.member is not None:
            known, self.balance_online = self.terminal.known_points(self.member)
            self.balance, self.next_expiry = known.available, known.next_expiry

    # -- what they can do ------------------------------------------------------------------

    def balance_text(self) -> Text:
        key = "loyalty.balance" if self.balance_online else "loyalty.balance_offline"
        return Text.of(key, points=self.balance)

    def expiry_text(self) -> Text | None:
        """'120 points expire on 31 December 2026', when any of the member's points expire."""
        soon = self.next_expiry
        if self.member is None or soon is None:
            return None
        when = Text.of("date.day_month_year", day=soon.on.day, year=soon.on.year,
                       month=Text.of(f"month.{soon.on.month}"))  # fmt: skip
        return Text.of("loyalty.expiring", points=soon.points, when=when)

    def prizes(self) -> list[Prize]:
        """The catalogue, priced in points only."""
        return [
            Prize(i.id, i.name, i.points, i.points <= self.balance)
            for i in self.terminal.config.catalogue
        ]

    def check_in(self) -> None:
        assert self.member is not None
        result = self.terminal.checkin(self.member, actor=self.actor)
        if result.status is Status.ALREADY_CHECKED_IN:
            self._say(Text.of("loyalty.come_back_tomorrow"), "news")
        elif result.ok:
            self._recorded()
            self.refresh_balance()
            self._say(Text.of("loyalty.checked_in", points=result.points or 0), "good")
        else:
            self._say(_refusal(result))

    def choose(self, prize_id: str) -> None:
        item = self.terminal.config.item(prize_id)
        if item is None:
            return
        if item.points > self.balance:
            self._say(Text.of("loyalty.not_enough", points=item.points - self.balance))
            return
        self.confirming = item
        self.message = None
        self._changed()

    def cancel(self) -> None:
        self.confirming = None
        self._changed()

    def confirm(self) -> None:
        """Spend the points on the prize being confirmed."""
        item, self.confirming = self.confirming, None
        if item is None or self.member is None:
            return
        result = self.terminal.spend(self.member, item.points, item.id, actor=self.actor)
        self.refresh_balance()
        if result.ok:
            self._recorded()
            self._say(Text.of("loyalty.spent", prize=item.name, points=item.points), "good")
        elif result.status is Status.INSUFFICIENT_POINTS:  # spent elsewhere a moment ago
            self._say(Text.of("loyalty.not_enough", points=item.points - self.balance))
        else:
            self._say(_refusal(result))

    def _say(self, text: Text, tone: Tone = "refused") -> None:
        self.message, self.tone = text, tone
        self._changed()


def _refusal(result: Result) -> Text:
    if result.status is Status.OFFLINE_BUDGET:
        return Text.of("loyalty.offline_cap")
    if result.status is Status.LIMIT:
        return Text.of("result.limit")
    return Text.of("result.not_saved")
