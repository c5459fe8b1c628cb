"""Widgets every screen uses: labels in the shopper's language and buttons that act once."""

from __future__ import annotations

import time
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.i18n import Text, markup, render

# one touch reported twice (by the mouse and the touch provider, a few ms apart) acts once; a
# person pressing the same key again takes longer than this
DEBOUNCE_S = 0.15


class KLabel(Label):
    bold = BooleanProperty(False)
    lang = StringProperty("")  # set to draw in a language other than the shopper's (its name)


class KButton(Button):
    action = StringProperty("")
    primary = BooleanProperty(False)  # the screen's main action: larger, green
    chosen = BooleanProperty(False)  # a choice that is picked: green, its size unchanged
    lang = StringProperty("")
    bold = BooleanProperty(True)
    _last = 0.0

    def on_release(self) -> None:
        now = time.monotonic()
        if now - self._last < DEBOUNCE_S:
            return
        self._last = now
        self.dispatch("on_act")

    def on_act(self) -> None:
        pass

    def __init__(self, **kwargs: Any) -> None:
        self.register_event_type("on_act")
        super().__init__(**kwargs)


class CornerHold(Widget):
    """An unmarked corner: held for `hold_s`, it dispatches on_hold (the manager's way in)."""

    hold_s = NumericProperty(2.0)

    def __init__(self, **kwargs: Any) -> None:
        self.register_event_type("on_hold")
        super().__init__(**kwargs)
        self._event: Any = None

    def on_touch_down(self, touch: Any) -> bool:
        if not self.collide_point(*touch.pos):
            return False
        self._event = Clock.schedule_once(lambda _dt: self.dispatch("on_hold"), self.hold_s)
        return True

    def on_touch_up(self, touch: Any) -> bool:
        if self._event is not None:
            self._event.cancel()
            self._event = None
        return False

    def on_hold(self) -> None:
        pass


class KioskScreen(Screen):
    """A screen draws what the flow says: each one's `refresh(flow)` is called whenever that
    changes."""

    flow = ObjectProperty(None)


PHONE_PAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "0", "type.delete")


def button(words: str, lang: str, act: Any, primary: bool = False, **kw: Any) -> KButton:
    """A button saying `words` that calls `act()` once per press."""
    made = KButton(primary=primary, **kw)
    say(made, words, lang)
    made.bind(on_act=lambda _b: act())
    return made


def phone_keys(desk: Any, lang: str, **kw: Any) -> list[KButton]:
    """The keys of a phone pad over a desk with press(key) and delete() (kiosk.phone)."""
    keys = []
    for key in PHONE_PAD:
        if key == "type.delete":
            keys.append(button(render(Text.of(key), lang), lang, desk.delete, **kw))
        else:
            keys.append(button(key, lang, lambda k=key: desk.press(k), **kw))
    return keys


def say(widget: Any, words: str, lang: str) -> None:
    """Put words on a label or button, in the fonts of their language (see i18n.markup)."""
    widget.text = markup(words, widget.lang or lang, bool(getattr(widget, "bold", False)))


class TickBox(ButtonBehavior, Widget):
    """A consent tick drawn large and plain (Kivy's CheckBox is meant for dark themes)."""

    active = BooleanProperty(False)
    _last = 0.0

    def on_release(self) -> None:
        now = time.monotonic()
        if now - self._last >= DEBOUNCE_S:
            self._last = now
            self.active = not self.active
