"""Details before the reward: phone, optional age band, gender and city, and a consent tick."""

from __future__ import annotations

import threading
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.details_desk import AGE_BANDS, GENDERS
from kiosk.i18n import Text, render
from kiosk.screens.common import KioskScreen, KLabel, TickBox, button, phone_keys, say


class DetailsScreen(KioskScreen):
    def refresh(self, flow: Any) -> None:
        lang, ids, desk = flow.lang, self.ids, flow.details
        say(ids.title, render(Text.of("details.title"), lang), lang)
        say(ids.message, render(desk.message, lang), lang)
        say(ids.back, render(Text.of("button.start_over"), lang), lang)
        say(ids.go, render(Text.of("details.continue"), lang), lang)
        box = ids.controls
        box.clear_widgets()
        box.add_widget(Widget())  # what to press sits low, within a shopper's reach
        self._label(box, "details.phone", lang)
        typed = KLabel(font_size="36sp", bold=True, lang="en")
        say(typed, desk.phone or " ", "en")
        box.add_widget(typed)
        pad = GridLayout(cols=6, spacing=dp(8), size_hint_y=None, height=dp(2 * 72 + 8))
        for key in phone_keys(desk, lang, font_size="24sp", height=dp(72)):
            pad.add_widget(key)
        box.add_widget(pad)
        self._choices(box, flow, "details.age", "age_band", AGE_BANDS, "age", lang)
        self._choices(box, flow, "details.gender", "gender", GENDERS, "gender", lang)
        if desk.cities:
            self._choices(box, flow, "details.city", "city", desk.cities, "", lang)
        consent = BoxLayout(
            size_hint_y=None, height=dp(88), spacing=dp(16), padding=(dp(8), dp(12))
        )
        tick = TickBox(active=desk.consent)  # starts unticked: nothing kept unless the shopper says
        tick.bind(active=lambda _t, _on: desk.toggle_consent())
        consent.add_widget(tick)
        words = KLabel(halign="left", font_size="24sp")
        say(words, render(Text.of("details.consent"), lang), lang)
        consent.add_widget(words)
        box.add_widget(consent)
        self._label(box, "details.nothing_kept", lang)

    def _label(self, box: Any, key: str, lang: str) -> None:
        label = KLabel(font_size="24sp", bold=True)
        say(label, render(Text.of(key), lang), lang)
        box.add_widget(label)

    def _choices(
        self, box: Any, flow: Any, heading: str, field: str, values: tuple[str, ...],
        catalogue: str, lang: str,
    ) -> None:  # fmt: skip
        self._label(box, heading, lang)
        row = GridLayout(cols=min(len(values), 5), spacing=dp(8), size_hint_y=None, height=dp(72))
        chosen = flow.details.answers.get(field)
        for value in values:
            words = render(Text.of(f"{catalogue}.{value}"), lang) if catalogue else value
            row.add_widget(button(words, lang, lambda v=value: flow.details.choose(field, v),
                                  chosen=value == chosen, font_size="24sp", height=dp(72)))  # fmt: skip
        box.add_widget(row)

    def done(self) -> None:
        threading.Thread(target=self.flow.details_done, name="details", daemon=True).start()
