"""Points and prizes: find the member, show the balance, check in, spend points with a confirm."""

from __future__ import annotations

from collections.abc import Sequence

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from kiosk.flow import Flow
from kiosk.i18n import Text, render
from kiosk.loyalty_desk import CODE_DIGITS, PrizeRow
from kiosk.screens.common import (
    DIMMED,
    ButtonGrid,
    Choice,
    KioskScreen,
    PressedOnce,
    phone_pad,
    say,
)


def code_pad(lang: str) -> list[Choice]:
    """The phone pad's keys without its +: a code is digits."""
    return [c for c in phone_pad(lang) if c.action != "+"]


class PrizeCard(PressedOnce, ButtonBehavior, BoxLayout):
    """One prize of the list, pressed as a whole: its picture beside its name, one line of
    description and its price (loyalty.kv lays it out)."""

    picture = StringProperty("")
    pictured = BooleanProperty(False)  # a picture's room is kept: some prize of the list has one


class PrizeList(ButtonGrid):
    """The prizes' cards, made once and relabelled at each redraw (a card's picture is loaded
    again only when another prize takes its place)."""

    def show_rows(self, rows: Sequence[PrizeRow], lang: str) -> None:
        pictured = any(row.picture for row in rows)
        for card, row in zip(self.made(len(rows)), rows, strict=True):
            card.action, card.picture, card.pictured = row.id, row.picture, pictured
            card.opacity = DIMMED if row.dimmed else 1
            for label, words in ((card.ids.name, row.name), (card.ids.price, row.price),
                                 (card.ids.description, row.description)):  # fmt: skip
                say(label, words, lang)


class LoyaltyScreen(KioskScreen):
    def refresh(self, flow: Flow) -> None:
        lang, ids, desk = flow.lang, self.ids, flow.loyalty
        theme = App.get_running_app().theme
        say(ids.title, render(Text.of("loyalty.title"), lang), lang)
        if desk.member is None:
            who = render(Text.of("loyalty.phone_prompt"), lang)
        else:
            who = render(desk.balance_text(), lang)
            # under the balance: when pending points can be spent, and the soonest expiry
            for more in (desk.pending_text(), desk.expiry_text()):
                if more is not None:
                    who += "\n" + render(more, lang)
        say(ids.who, who, lang)
        say(ids.message, render(desk.message, lang), lang)
        ids.message.color = theme[{"good": "win", "news": "ink", "refused": "error"}[desk.tone]]
        say(ids.back, render(Text.of("button.start_over"), lang), lang)
        coding = desk.code_for is not None
        confirming = desk.member is not None and desk.confirming is not None and not coding
        ids.steps.show(ids.phone_step, desk.member is None and not coding)
        ids.steps.show(ids.member_step, desk.member is not None and not confirming and not coding)
        ids.steps.show(ids.confirm_step, confirming)
        ids.steps.show(ids.code_step, coding)
        if coding:
            self._code(flow)
        elif desk.member is None:
            self._phone(flow)
        elif confirming:
            self._confirm(flow)
        else:
            self._member(flow)

    def _phone(self, flow: Flow) -> None:
        lang, ids = flow.lang, self.ids
        say(ids.phone, flow.loyalty.phone or " ", "en")
        ids.phone_pad.show(phone_pad(lang), lang)
        say(ids.find, render(Text.of("loyalty.find"), lang), lang)

    def _member(self, flow: Flow) -> None:
        lang, ids = flow.lang, self.ids
        say(ids.checkin, render(Text.of("loyalty.checkin"), lang), lang)
        wheel = flow.wheel
        ids.member_step.show(ids.wheel, wheel.offered())
        if wheel.offered():
            ids.wheel.primary = wheel.ready()
            words = Text.of("wheel.open" if ids.wheel.primary else "wheel.rules_button")
            say(ids.wheel, render(words, lang), lang)
        say(ids.prizes_title, render(Text.of("loyalty.prizes"), lang), lang)
        rows = flow.loyalty.prize_rows()
        ids.member_step.show(ids.no_prizes, not rows)
        ids.member_step.show(ids.prize_list, bool(rows))
        say(ids.no_prizes, render(Text.of("loyalty.no_prizes"), lang), lang)
        ids.prizes.show_rows(rows, lang)

    def _code(self, flow: Flow) -> None:
        lang, ids, desk = flow.lang, self.ids, flow.loyalty
        typed = desk.code + "·" * (CODE_DIGITS - len(desk.code))  # six places to fill
        say(ids.code, " ".join(typed), "en")
        ids.code_pad.show(code_pad(lang), lang)
        say(ids.code_ok, render(Text.of("loyalty.code_ok"), lang), lang)
        ids.code_ok.disabled = not desk.code
        say(ids.code_again, render(Text.of("loyalty.code_again"), lang), lang)
        say(ids.code_cancel, render(Text.of("loyalty.code_cancel"), lang), lang)

    def _confirm(self, flow: Flow) -> None:
        lang, ids, item = flow.lang, self.ids, flow.loyalty.confirming
        assert item is not None
        words = Text.of("loyalty.confirm", points=item.points, prize=flow.loyalty.prize_name(item))
        say(ids.question, render(words, lang), lang)
        ids.confirm_picture.source = flow.loyalty.confirming_picture()
        say(ids.yes, render(Text.of("loyalty.yes"), lang), lang)
        say(ids.no, render(Text.of("loyalty.no"), lang), lang)
