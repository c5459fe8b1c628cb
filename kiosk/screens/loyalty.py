"""Points and prizes: find the member, show the balance, check in, spend points with a confirm."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.metrics import dp
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.i18n import Text, render
from kiosk.screens.common import KioskScreen, KLabel, button, phone_keys, say


class LoyaltyScreen(KioskScreen):
    def refresh(self, flow: Any) -> None:
        lang, ids, desk = flow.lang, self.ids, flow.loyalty
        theme = App.get_running_app().theme
        say(ids.title, render(Text.of("loyalty.title"), lang), lang)
        if desk.member is None:
            who = render(Text.of("loyalty.phone_prompt"), lang)
        else:
            who = render(desk.balance_text(), lang)
        say(ids.who, who, lang)
        say(ids.message, render(desk.message, lang), lang)
        ids.message.color = theme[{"good": "win", "news": "ink", "refused": "error"}[desk.tone]]
        say(ids.back, render(Text.of("button.start_over"), lang), lang)
        ids.controls.clear_widgets()
        ids.controls.add_widget(Widget())  # what to press sits low, within a shopper's reach
        if desk.member is None:
            self._phone_pad(flow, lang)
        elif desk.confirming is not None:
            self._confirm(flow, lang)
        else:
            self._member(flow, lang)

    def _phone_pad(self, flow: Any, lang: str) -> None:
        desk, box = flow.loyalty, self.ids.controls
        typed = KLabel(font_size="44sp", bold=True, lang="en")
        say(typed, desk.phone or " ", "en")
        box.add_widget(typed)
        pad = GridLayout(cols=3, spacing=dp(10), size_hint_y=None)
        pad.bind(minimum_height=pad.setter("height"))
        for key in phone_keys(desk, lang, height=dp(88)):
            pad.add_widget(key)
        box.add_widget(pad)
        box.add_widget(button(render(Text.of("loyalty.find"), lang), lang, desk.submit_phone, True))

    def _member(self, flow: Any, lang: str) -> None:
        desk, box = flow.loyalty, self.ids.controls
        box.add_widget(button(render(Text.of("loyalty.checkin"), lang), lang, desk.check_in, True))
        heading = KLabel(bold=True, font_size="30sp")
        say(heading, render(Text.of("loyalty.prizes"), lang), lang)
        box.add_widget(heading)
        prizes = desk.prizes()
        if not prizes:
            none = KLabel()
            say(none, render(Text.of("loyalty.no_prizes"), lang), lang)
            box.add_widget(none)
            return
        shown = min(len(prizes), 4)  # more scroll
        scroll = ScrollView(do_scroll_x=False, size_hint_y=None, height=shown * dp(82))
        column = GridLayout(cols=1, spacing=dp(10), size_hint_y=None)
        column.bind(minimum_height=column.setter("height"))
        for prize in prizes:
            price = render(Text.of("loyalty.prize_points", points=prize.points), lang)
            choice = button(f"{prize.name} — {price}", lang, lambda p=prize.id: desk.choose(p))
            choice.opacity = 1 if prize.affordable else 0.55
            column.add_widget(choice)
        scroll.add_widget(column)
        box.add_widget(scroll)

    def _confirm(self, flow: Any, lang: str) -> None:
        desk, box = flow.loyalty, self.ids.controls
        item = desk.confirming
        question = KLabel(bold=True, font_size="32sp")
        words = Text.of("loyalty.confirm", points=item.points, prize=item.name)
        say(question, render(words, lang), lang)
        box.add_widget(question)
        box.add_widget(button(render(Text.of("loyalty.yes"), lang), lang, desk.confirm, True))
        box.add_widget(button(render(Text.of("loyalty.no"), lang), lang, desk.cancel))
