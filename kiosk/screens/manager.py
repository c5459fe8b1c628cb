"""The store manager's screen: in sync or not, what is pending, what went wrong, sync now."""

from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory

from kiosk.flow import Flow
from kiosk.i18n import Text, render
from kiosk.screens.common import KioskScreen, say

SECTIONS = (
    ("conflicts", "Conflicts (this device and another redeemed the same code)"),
    ("rejected", "Rejected by the server"),
    ("alerts", "Alerts"),
    ("budget", "Offline budget used"),
    ("recent", "Last 20 redemptions"),
)


class ManagerScreen(KioskScreen):
    def refresh(self, flow: Flow) -> None:
        lang, ids, view = flow.lang, self.ids, flow.manager.view()
        theme = App.get_running_app().theme
        say(ids.title, render(Text.of("manager.title"), lang), lang)
        ids.connection.text = view.connection
        ids.connection.color = theme["win"] if view.online else theme["warn"]
        ids.pending.text = f"{view.pending}\n{view.last_sync}"
        ids.pending.color = theme["error"] if view.warn or view.overdue else theme["ink"]
        ids.details.clear_widgets()
        for field, heading in SECTIONS:
            lines = getattr(view, field)
            head = Factory.ManagerLine(text=f"[b]{heading}: {len(lines)}[/b]", markup=True)
            ids.details.add_widget(head)
            for line in lines:  # a store's or cashier's name is shown as it is, never as markup
                ids.details.add_widget(Factory.ManagerLine(text="  " + line, markup=False))
        ids.sync_outcome.text = view.sync
        words = "manager.syncing" if flow.manager.syncing else "manager.sync_now"
        say(ids.sync, render(Text.of(words), lang), lang)
        ids.sync.disabled = flow.manager.syncing
        say(ids.close, render(Text.of("manager.exit"), lang), lang)
