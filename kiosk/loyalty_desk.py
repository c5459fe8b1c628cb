"""The loyalty screen's side: who the member is, their points, the check-in, spending points.

The rules are the terminal's (balances, the daily check-in, the offline spend cap); this says
them in the shopper's words. A member is found by phone number or by the QR on their card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from codes.member_card import member_from_qr
from kiosk.i18n import Text, render
from kiosk.phone import PhonePad, phone_number
from terminal.config import CatalogueItem
from terminal.engine import Terminal
from terminal.lots import Expiring, Spendable
from terminal.results import Result, Status

Tone = Literal["good", "news", "refused"]
CODE_DIGITS = 6  # of the code texted to the shopper


@dataclass(frozen=True)
class Prize:
    id: str
    name: str  # the program's words in the shopper's language, else the catalogue's name
    points: int
    affordable: bool
    supplier: str = ""  # the partner who supplies it, by its name; empty: none named
    description: str = ""  # one line, in the shopper's language; empty: none given
    picture: str = ""  # a file; empty: none given


@dataclass(frozen=True)
class PrizeRow:
    """A prize as the points screen lists it, in the shopper's words: its picture beside its name
    (with who supplies it), one line of description and its price in points."""

    id: str
    name: str
    description: str  # "" where the program gave none
    price: str
    picture: str  # a file; "" where the program gave none
    dimmed: bool  # beyond the member's balance: shown, not open yet


# a catalogue prize's name and description in a language, or None: the program gave none
PrizeWords = Callable[[str, str], tuple[str, str] | None]


class LoyaltyDesk(PhonePad):
    def __init__(
        self, terminal: Terminal, country: str, actor: str, changed: Callable[[], None],
        recorded: Callable[[], None] = lambda: None, lang: Callable[[], str] = lambda: "en",
        prize_words: PrizeWords = lambda prize, lang: None,
        prize_picture: Callable[[str], str] = lambda prize: "",
    ) -> None:  # fmt: skip
        self.terminal = terminal
        self._prize_words = prize_words  # the program's content (kiosk/brand.py)
        self._prize_picture = prize_picture
        self._lang = lang  # the shopper's language now: a new member's SMS and language
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
        # the soonest of the member's pending points to become spendable (the returns window)
        self.next_spendable: Spendable | None = None
        self.confirming: CatalogueItem | None = None
        # the code texted to the shopper's phone, while one is asked for: for a spend above the
        # program's threshold (of `paying`) or to register a new phone (`joining`)
        self.code_for: Literal["spend", "register"] | None = None
        self.code = ""
        self.paying: CatalogueItem | None = None
        self.joining = ""
        self.message: Text | None = None
        self.tone: Tone = "refused"  # of the message: good news, plain news or a refusal

    # -- who -------------------------------------------------------------------------------

    def submit_phone(self) -> bool:
        """A member is found; a new phone gets a code texted to it first. Offline, the phone is
        taken as before (the server registers it when the kiosk syncs)."""
        number = phone_number(self.phone, self.country)
        if number is None:
            self._say(Text.of("loyalty.bad_phone"))
            return False
        result = self.terminal.register(number, via="kiosk", lang=self._lang())
        if result.status in (Status.MEMBER_FOUND, Status.REGISTERED, Status.NEEDS_ONLINE):
            return self._found(result.member or number)
        if result.status in (Status.NEEDS_CODE, Status.CODE_WAIT):
            self.joining = result.member or number
            self._ask_code("register", result)
            return False
        self._say(Text.of("loyalty.code_not_sent"))
        return False

    def member_card(self, text: str) -> bool:
        """A scanned member card (codes/member_card.py, what `instore admin member card` prints);
        False when the text is not one."""
        member = member_from_qr(text)
        return member is not None and self._found(member)

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
            self.next_spendable = known.next_spendable

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

    def pending_text(self) -> Text | None:
        """'40 points pending, spendable from 12 December', while any of the member's points
        wait out the returns window (the soonest day's; days away, so no year)."""
        ripe = self.next_spendable
        if self.member is None or ripe is None:
            return None
        when = Text.of("date.day_month", day=ripe.on.day, month=Text.of(f"month.{ripe.on.month}"))
        return Text.of("loyalty.pending", points=ripe.points, when=when)

    def prize_name(self, item: CatalogueItem) -> str:
        """The prize's name in the shopper's language (English where the program's content
        has none in it), or the catalogue's own name where the program gave none."""
        words = self._prize_words(item.id, self._lang())
        return words[0] if words else item.name

    def prizes(self) -> list[Prize]:
        """The catalogue, priced in points only, each prize with its supplier's name, and its
        name, description and picture as the program's content gives them."""
        out = []
        for i in self.terminal.config.catalogue:
            words = self._prize_words(i.id, self._lang())
            name, description = words if words else (i.name, "")
            out.append(Prize(i.id, name, i.points, i.points <= self.balance, i.partner_name,
                             description, self._prize_picture(i.id)))  # fmt: skip
        return out

    def prize_rows(self) -> list[PrizeRow]:
        """The prizes as the points screen lists them, in the shopper's language."""
        lang, rows = self._lang(), []
        for prize in self.prizes():
            name = prize.name
            if prize.supplier:  # who gives it: the coalition's partners are known by name
                name = render(Text.of("loyalty.prize_from", prize=name, partner=prize.supplier),
                              lang)  # fmt: skip
            price = render(Text.of("loyalty.prize_points", points=prize.points), lang)
            rows.append(PrizeRow(prize.id, name, prize.description, price, prize.picture,
                                 not prize.affordable))  # fmt: skip
        return rows

    def confirming_picture(self) -> str:
        """The picture of the prize the shopper is asked to confirm ("" for none)."""
        return self._prize_picture(self.confirming.id) if self.confirming else ""

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
        if result.status in (Status.NEEDS_CODE, Status.CODE_WAIT):
            self.paying = item
            self._ask_code("spend", result)
            return
        self._spent(item, result)

    def _spent(self, item: CatalogueItem, result: Result) -> None:
        self.refresh_balance()
        if result.ok:
            self._recorded()
            self._say(Text.of("loyalty.spent", prize=self.prize_name(item), points=item.points),
                      "good")  # fmt: skip
        elif result.status is Status.INSUFFICIENT_POINTS:  # spent elsewhere a moment ago
            self._say(Text.of("loyalty.not_enough", points=item.points - self.balance))
        else:
            self._say(_refusal(result))

    # -- the code texted to the shopper -----------------------------------------------------

    def _ask_code(self, purpose: Literal["spend", "register"], result: Result) -> None:
        self.code_for, self.code = purpose, ""
        if result.status is Status.CODE_WAIT:
            self._say(Text.of("loyalty.code_wait"), "news")
        else:
            self._say(Text.of("loyalty.code_sent", last=result.sent_to or ""), "news")

    def code_key(self, key: str) -> None:
        """A key of the code's pad: a digit, or delete."""
        if key == "type.delete":
            self.code = self.code[:-1]
        elif key.isdigit() and len(self.code) < CODE_DIGITS:
            self.code += key
        self._changed()

    def submit_code(self) -> None:
        if not self.code:
            return
        code, self.code = self.code, ""
        if self.code_for == "spend" and self.paying is not None and self.member is not None:
            item = self.paying
            result = self.terminal.spend(
                self.member, item.points, item.id, actor=self.actor, code=code
            )
            if self._code_refused(result):
                return
            self._stop_code()
            self._spent(item, result)
        elif self.code_for == "register":
            result = self.terminal.register(self.joining, via="kiosk", lang=self._lang(), code=code)
            if self._code_refused(result):
                return
            self._stop_code()
            if result.status in (Status.REGISTERED, Status.MEMBER_FOUND):
                self._found(result.member or self.joining)
                self._say(Text.of("loyalty.welcome"), "good")
            else:
                self._say(Text.of("loyalty.code_not_sent"))

    def _code_refused(self, result: Result) -> bool:
        """A wrong code keeps the code step up, saying so; offline ends it."""
        if result.status is Status.WRONG_CODE:
            self._say(Text.of("loyalty.wrong_code"))
            return True
        if result.status is Status.NEEDS_ONLINE:
            self._stop_code()
            self._say(Text.of("loyalty.needs_online"))
            return True
        return False

    def resend(self) -> None:
        """Text another code (no sooner than a minute after the last: then it says to wait)."""
        if self.code_for == "spend" and self.paying is not None and self.member is not None:
            result = self.terminal.send_code(self.member, "spend", self.paying.points)
        elif self.code_for == "register":
            result = self.terminal.send_code(self.joining, "register", lang=self._lang())
        else:
            return
        if result.status in (Status.NEEDS_CODE, Status.CODE_WAIT):
            self._ask_code(self.code_for, result)
        elif result.status is Status.NEEDS_ONLINE:
            self._stop_code()
            self._say(Text.of("loyalty.needs_online"))
        else:
            self._say(Text.of("loyalty.code_not_sent"))

    def cancel_code(self) -> None:
        self._stop_code()
        self.message = None
        self._changed()

    def _stop_code(self) -> None:
        self.code_for, self.code, self.paying, self.joining = None, "", None, ""

    def _say(self, text: Text, tone: Tone = "refused") -> None:
        self.message, self.tone = text, tone
        self._changed()


def _refusal(result: Result) -> Text:
    if result.status is Status.NEEDS_ONLINE:
        return Text.of("loyalty.needs_online")
    if result.status is Status.OFFLINE_BUDGET:
        return Text.of("loyalty.offline_cap")
    if result.status is Status.LIMIT:
        return Text.of("result.limit")
    return Text.of("result.not_saved")
