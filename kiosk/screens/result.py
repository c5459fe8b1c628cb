"""The answer to a code: the reward with its art, or why not, and the ways on."""

from __future__ import annotations

from typing import Any

from kivy.app import App

from kiosk.i18n import Text, render
from kiosk.screens.common import KButton, KioskScreen, say


class ResultScreen(KioskScreen):
    def refresh(self, flow: Any) -> None:
        view, lang, ids = flow.result, flow.lang, self.ids
        if view is None:
            return
        theme = App.get_running_app().theme
        ids.art.source = view.art
        say(ids.title, render(view.title, lang), lang)
        ids.title.color = theme["win"] if view.won else theme["error"]
        say(ids.reward, view.reward, lang)
        say(ids.lines, "\n\n".join(render(line, lang) for line in view.lines), lang)
        ids.actions.clear_widgets()
        for number, action in enumerate(view.actions):
            button = KButton(primary=number == 0, action=action)
            say(button, render(Text.of(action), lang), lang)
            button.bind(on_act=lambda b: flow.act(b.action))
            ids.actions.add_widget(button)
