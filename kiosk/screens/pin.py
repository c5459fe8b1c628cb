"""Staff only: the manager PIN, typed on a digit pad (a PIN is never shown)."""

from __future__ import annotations

from kivy.metrics import dp

from kiosk.flow import Flow
from kiosk.i18n import Text, render
from kiosk.screens.common import KButton, KioskScreen, say

PAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "button.back", "0", "pin.enter")


class PinScreen(KioskScreen):
    def refresh(self, flow: Flow) -> None:
        lang, ids = flow.lang, self.ids
        if not ids.digits.children:
            for key in PAD:
                button = KButton(action=key, height=dp(96), primary=key == "pin.enter")
                button.bind(on_act=lambda b: flow.manager.pin_key(b.action))
                ids.digits.add_widget(button)
        for button in ids.digits.children:
            key = button.action
            say(button, key if key.isdigit() else render(Text.of(key), lang), lang)
        say(ids.title, render(Text.of("pin.title"), lang), lang)
        ids.dots.text = "•" * len(flow.manager.pin_typed) or " "
        say(ids.message, render(flow.manager.pin_message, lang), lang)
