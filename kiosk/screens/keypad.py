"""Typing a code: a keypad of the code alphabet, the code in its printed groups as it grows."""

from __future__ import annotations

import threading

from kivy.app import App
from kivy.metrics import dp

from kiosk.code_entry import KEYS
from kiosk.flow import Flow
from kiosk.i18n import Text, render
from kiosk.screens.common import KButton, KioskScreen, say

LOOK_AGAIN = "A4161A"


class KeypadScreen(KioskScreen):
    def refresh(self, flow: Flow) -> None:
        lang, ids, entry = flow.lang, self.ids, flow.entry
        if not ids.symbols.children:
            for key in KEYS:
                button = KButton(text=key, lang="en", font_size="34sp")
                button.least_height = dp(96)  # after the kv rule, which would set it back to 72
                button.bind(on_act=lambda b, k=key: flow.press(k))
                ids.symbols.add_widget(button)
        say(ids.title, render(Text.of("type.title"), lang), lang)
        groups = entry.groups()
        suspect = entry.suspect_group() if entry.mistyped else None
        if suspect is not None:  # groups[0] is the prefix, so group N is groups[N]
            groups[suspect] = f"[color={LOOK_AGAIN}][u]{groups[suspect]}[/u][/color]"
        ids.typed.text = "-".join(groups) or " "
        say(ids.status, render(flow.typing_hint(), lang), lang)
        theme = App.get_running_app().theme
        ids.status.color = theme["error"] if entry.mistyped else theme["ink"]
        say(ids.hint, render(Text.of("type.hint"), lang), lang)
        say(ids.back, render(Text.of("button.back"), lang), lang)
        say(ids.delete, render(Text.of("type.delete"), lang), lang)
        say(ids.check, render(Text.of("type.check"), lang), lang)
        ids.check.disabled = not entry.complete or entry.mistyped

    def submit(self) -> None:
        # the online claim can take most of a second: never on the UI thread
        threading.Thread(target=self.flow.submit, name="submit", daemon=True).start()
