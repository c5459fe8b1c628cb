"""The first thing a shopper sees: the campaign, "scan your code", and the way to type it."""

from __future__ import annotations

from kivy.metrics import dp
from kivy.properties import StringProperty

from kiosk.flow import Flow
from kiosk.i18n import ASSETS, LANGUAGES, Text, render
from kiosk.screens.common import KButton, KioskScreen, say


class AttractScreen(KioskScreen):
    art = StringProperty(str(ASSETS / "art" / "scan.png"))

    def refresh(self, flow: Flow) -> None:
        lang = flow.lang
        ids = self.ids
        say(ids.campaign, flow.campaign_name, lang)
        say(ids.title, render(Text.of("attract.title"), lang), lang)
        say(ids.hint, render(Text.of("attract.hint"), lang), lang)
        notices = []
        if not flow.camera_ok:
            notices.append(render(Text.of("attract.no_camera"), lang))
        if not flow.online:
            notices.append(render(Text.of("attract.offline"), lang))
        say(ids.notice, "\n".join(notices), lang)
        say(ids.type, render(Text.of("attract.type"), lang), lang)
        say(ids.points, render(Text.of("attract.points"), lang), lang)
        if not ids.languages.children:
            for code in LANGUAGES:
                button = KButton(lang=code,
                                 height=dp(72), font_size="24sp")  # fmt: skip
                say(button, render(Text.of("language.name"), code), code)
                button.bind(on_act=lambda b, c=code: flow.set_language(c))
                ids.languages.add_widget(button)
        for button in ids.languages.children:
            button.chosen = button.lang == lang
