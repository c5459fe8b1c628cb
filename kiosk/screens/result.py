"""The answer to a code: the reward with its art, or why not, and the ways on."""

from __future__ import annotations

from kivy.app import App

from kiosk.flow import Flow
from kiosk.i18n import Text, render
from kiosk.screens.common import KButton, KioskScreen, say


class ResultScreen(KioskScreen):
    def refresh(self, flow: Flow) -> None:
        view, lang, ids = flow.result, flow.lang, self.ids
        if view is None:
            return
        theme = App.get_running_app().theme
        ids.art.source = view.art
        say(ids.title, render(view.title, lang), lang)
        ids.title.color = theme["win"] if view.won else theme["error"]
        say(ids.reward, view.reward, lang)
        say(ids.lines, "\n\n".join(render(line, lang) for line in view.lines), lang)
        # the same buttons, relabelled: a kiosk shows tens of thousands of results a day, and
        # widgets made afresh each time leave their textures to the garbage collector
        buttons = self._buttons(flow, len(view.actions))
        for number, (button, action) in enumerate(zip(buttons, view.actions, strict=True)):
            button.action, button.primary = action, number == 0
            say(button, render(Text.of(action), lang), lang)

    def _buttons(self, flow: Flow, count: int) -> list[KButton]:
        box = self.ids.actions
        while len(box.children) < count:
            button = KButton()
            button.bind(on_act=lambda b: flow.act(b.action))
            box.add_widget(button, index=0)  # below the others
        while len(box.children) > count:
            box.remove_widget(box.children[0])
        return list(reversed(box.children))
