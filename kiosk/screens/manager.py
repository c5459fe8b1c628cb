"""The store manager's screen: in sync or not, what is pending, what went wrong, sync now."""

from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory

from kiosk.flow import Flow
from kiosk.i18n import Text, font, markup, render, script
from kiosk.manager_view import SECTIONS
from kiosk.screens.common import KioskScreen, say


class ManagerScreen(KioskScreen):
    def refresh(self, flow: Flow) -> None:
        lang, ids, view = flow.lang, self.ids, flow.manager.view()
        theme = App.get_running_app().theme
        say(ids.title, render(Text.of("manager.title"), lang), lang)
        say(ids.connection, render(view.connection, lang), lang)
        ids.connection.color = theme["win"] if view.online else theme["warn"]
        pending = render(view.pending, lang)
        if view.oldest is not None:
            pending += "; " + render(view.oldest, lang)
        say(ids.pending, f"{pending}\n{render(view.last_sync, lang)}", lang)
        ids.pending.color = theme["error"] if view.warn or view.overdue else theme["ink"]
        ids.details.clear_widgets()
        for field in SECTIONS:
            words = markup(render(view.heading(field), lang), lang, bold=True)
            head = Factory.ManagerLine(text=words, markup=True, font_name=font(lang, True),
                                       font_script_name=script(lang))  # fmt: skip
            ids.details.add_widget(head)
            for line in getattr(view, field):
                if isinstance(line, Text):
                    line = render(line, lang)
                    ids.details.add_widget(Factory.ManagerLine(
                        text="  " + markup(line, lang), markup=True, font_name=font(lang),
                        font_script_name=script(lang)))  # fmt: skip
                else:  # a store's or cashier's name is shown as it is, never as markup
                    ids.details.add_widget(Factory.ManagerLine(text="  " + line, markup=False))
        notes = flow.brand.notes()  # the brand's theme refused, texts lacking a language
        if notes:
            words = markup(render(Text.of("manager.content", n=len(notes)), lang), lang, bold=True)
            ids.details.add_widget(Factory.ManagerLine(
                text=words, markup=True, font_name=font(lang, True), font_script_name=script(lang)))  # fmt: skip
            for note in notes:  # a campaign's id and colours are shown as they are
                ids.details.add_widget(Factory.ManagerLine(
                    text="  " + markup(render(note, lang), lang), markup=True,
                    font_name=font(lang), font_script_name=script(lang)))  # fmt: skip
        say(ids.sync_outcome, render(view.sync, lang), lang)
        words = "manager.syncing" if flow.manager.syncing else "manager.sync_now"
        say(ids.sync, render(Text.of(words), lang), lang)
        ids.sync.disabled = flow.manager.syncing
        say(ids.close, render(Text.of("manager.exit"), lang), lang)
        sounds = "manager.sounds_on" if flow.manager.sounds_on else "manager.sounds_off"
        say(ids.sounds, render(Text.of(sounds), lang), lang)
