"""The first thing a shopper sees: the campaign, "scan your code", and the way to type it."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import NumericProperty, StringProperty

from kiosk.flow import Flow
from kiosk.i18n import ASSETS, LANGUAGES, Text, render
from kiosk.screens.common import KButton, KioskScreen, say

SCAN_ART = str(ASSETS / "art" / "scan.png")
SLIDE_S = 4.0  # each prize's picture stays this long on the attract screen


class AttractScreen(KioskScreen):
    art = StringProperty(SCAN_ART)
    slide = NumericProperty(0)  # which of the brand's pictures is shown, in rotation
    _turning: Any = None

    def on_enter(self, *_args: Any) -> None:
        self._turning = Clock.schedule_interval(self._turn, SLIDE_S)

    def on_leave(self, *_args: Any) -> None:
        if self._turning is not None:
            self._turning.cancel()

    def _turn(self, _dt: float) -> None:
        if self.get_root_window() is None:  # the app has stopped on this screen: no on_leave
            self.on_leave()
            return
        self.slide += 1
        if self.flow is not None:
            self.refresh(self.flow)

    def refresh(self, flow: Flow) -> None:
        lang = flow.lang
        ids = self.ids
        say(ids.campaign, flow.campaign_name, lang)
        slides = flow.brand.slides(lang)
        shown = slides[int(self.slide) % len(slides)] if slides else None
        self.art = shown.picture if shown else SCAN_ART
        say(ids.prize, shown.words(lang) if shown else "", lang)
        ids.logo.source = flow.brand.logo()
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
        size = "attract.normal_text" if flow.large_text else "attract.large_text"
        say(ids.text_size, render(Text.of(size), lang), lang)
        ids.text_size.chosen = flow.large_text
        if not ids.languages.children:
            for code in LANGUAGES:
                button = KButton(lang=code, font_size="24sp")
                say(button, render(Text.of("language.name"), code), code)
                button.bind(on_act=lambda b, c=code: flow.set_language(c))
                ids.languages.add_widget(button)
        for button in ids.languages.children:
            button.chosen = button.lang == lang
