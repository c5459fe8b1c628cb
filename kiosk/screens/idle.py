""" "Still there?": shown after a minute untouched, with the seconds left before the reset."""

from __future__ import annotations

from kivy.properties import ObjectProperty
from kivy.uix.modalview import ModalView

from kiosk.flow import Flow
from kiosk.i18n import Text, render
from kiosk.screens.common import say


class IdlePrompt(ModalView):
    flow = ObjectProperty(None)

    def refresh(self, flow: Flow) -> None:
        lang, ids = flow.lang, self.ids
        say(ids.title, render(Text.of("idle.title"), lang), lang)
        seconds = int(flow.idle_left or 0)
        say(ids.countdown, render(Text.of("idle.countdown", seconds=seconds), lang), lang)
        say(ids.here, render(Text.of("button.still_here"), lang), lang)
