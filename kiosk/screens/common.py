"""Widgets every screen uses: labels in the shopper's language and buttons that act once."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.i18n import Text, markup, render
from kiosk.phone import PhonePad

# one touch reported twice (by the mouse and the touch provider, a few ms apart) acts once; a
# person pressing the same key again takes longer than this
DEBOUNCE_S = 0.15


LARGE_TEXT = 1.4  # the large-text mode: every label and button's words this much larger


class ScaledText:
    """Words drawn at their design size times `text_scale` (kv binds it to the app's, 1 or
    LARGE_TEXT). Kivy turns "26sp" into pixels once, when it is set, so a size kv or Python sets
    is kept as the design size and font_size becomes that times the scale; a kv expression that
    sets it again (the voucher's fitted size) is scaled as well."""

    text_scale = NumericProperty(1.0)
    font_size: Any
    _design_size = 0.0
    _scaling = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # after Label's own observers: see _drawn_at
        self.fbind("font_size", self._drawn_at)  # type: ignore[attr-defined]

    def _drawn_at(self, *_args: Any) -> None:
        """A size set from outside the widget's own rule in large text (a row a kv rule makes
        later, the voucher's fitted size) is scaled inside its own change, and Label's observers
        after on_font_size then drew the texture at the size before: 26sp words in a 36sp row.
        Bound after them, this gives the texture the size now."""
        self._trigger_texture_update("font_size", self, self.font_size)  # type: ignore[attr-defined]

    def on_font_size(self, _widget: Any, size: float) -> None:
        if not self._scaling:
            self._design_size = size
            self._rescale()

    def on_text_scale(self, _widget: Any, _scale: float) -> None:
        self._rescale()

    def _rescale(self) -> None:
        if not self._design_size:  # never set: the class's size is the design's
            self._design_size = self.font_size
        self._scaling = True
        try:
            self.font_size = self._design_size * self.text_scale
        finally:
            self._scaling = False


class KLabel(ScaledText, Label):
    bold = BooleanProperty(False)
    lang = StringProperty("")  # set to draw in a language other than the shopper's (its name)


class PressedOnce:
    """Something a shopper presses (before a Kivy button class among its bases): one touch
    dispatches on_act once, even when reported twice, with the key's sound."""

    action = StringProperty("")  # what a press picks: a key, a value, a prize's id
    _last = 0.0

    def __init__(self, **kwargs: Any) -> None:
        self.register_event_type("on_act")  # type: ignore[attr-defined]
        super().__init__(**kwargs)

    def on_release(self) -> None:
        now = time.monotonic()
        if now - self._last < DEBOUNCE_S:
            return
        self._last = now
        play = getattr(App.get_running_app(), "play", None)
        if play is not None:
            play("key")
        self.dispatch("on_act")  # type: ignore[attr-defined]

    def on_act(self) -> None:
        pass


class KButton(PressedOnce, ScaledText, Button):
    primary = BooleanProperty(False)  # the screen's main action: larger, green
    chosen = BooleanProperty(False)  # a choice that is picked: green, its size unchanged
    lang = StringProperty("")
    bold = BooleanProperty(True)
    least_height = NumericProperty(0.0)  # taller when its words need it (large text)


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
DIMMED = 0.55  # the opacity of a choice shown but not open yet (a prize beyond the balance)


class Choice(NamedTuple):
    """One button of a ButtonGrid as a screen's view says it."""

    action: str  # what a press picks: a key, a value, a prize's id
    words: str
    chosen: bool = False
    dimmed: bool = False


def phone_pad(lang: str) -> list[Choice]:
    """The keys of a phone pad: digits and + as they are, delete in the shopper's words."""
    return [Choice(k, render(Text.of(k), lang) if k == "type.delete" else k) for k in PHONE_PAD]


def phone_key(desk: PhonePad, key: str) -> None:
    """A key of the phone pad pressed, on the desk it types into."""
    if key == "type.delete":
        desk.delete()
    else:
        desk.press(key)


_MARKUP_TAG = re.compile(r"\[/?[a-z_]+(?:=[^\]]*)?\]")


def plain(text: str) -> str:
    """A label's words without Kivy markup (the inverse of i18n.markup)."""
    words = _MARKUP_TAG.sub("", text)
    return words.replace("&bl;", "[").replace("&br;", "]").replace("&amp;", "&")


def texts_shown(roots: Sequence[Widget]) -> list[str]:
    """Every text on screen under `roots`, top to bottom then left to right, one line each: what
    a shopper reads (a widget not shown, or hidden, or empty is left out)."""
    found: list[tuple[float, float, str]] = []
    for root in roots:
        for widget in root.walk(restrict=True):
            text = getattr(widget, "text", None)
            if not isinstance(text, str) or not text.strip() or widget.get_root_window() is None:
                continue
            if any(w.opacity == 0 for w in _up_from(widget)):
                continue
            x, top = widget.to_window(widget.x, widget.top)
            words = plain(text) if getattr(widget, "markup", False) else text
            found.append((-round(top), round(x), " ".join(words.split())))
    return [words for _, _, words in sorted(found)]


def _up_from(widget: Widget) -> list[Widget]:
    chain = []
    while widget is not None and widget is not widget.parent:
        chain.append(widget)
        widget = widget.parent
    return chain


def say(widget: Any, words: str, lang: str) -> None:
    """Put words on a label or button, in the fonts of their language (see i18n.markup)."""
    widget.text = markup(words, widget.lang or lang, bool(getattr(widget, "bold", False)))


class ButtonGrid(GridLayout):
    """Buttons laid out in kv (the grid, and `viewclass` for each button), their words set from
    the screen's view. They are made when first needed and relabelled after, never made afresh:
    a kiosk redraws all day, and widgets made anew leave their textures to the garbage collector.
    A press dispatches on_pick with the button's action."""

    viewclass = StringProperty("KButton")

    def __init__(self, **kwargs: Any) -> None:
        self.register_event_type("on_pick")
        super().__init__(**kwargs)

    def show(self, choices: Sequence[Choice], lang: str) -> None:
        for made, choice in zip(self.made(len(choices)), choices, strict=True):
            made.action, made.chosen = choice.action, choice.chosen
            made.opacity = DIMMED if choice.dimmed else 1
            say(made, choice.words, lang)

    def made(self, count: int) -> list[Any]:
        """`count` of the grid's buttons, top first: those made before, and more if needed."""
        while len(self.children) < count:
            made = Factory.get(self.viewclass)()
            made.bind(on_act=lambda b: self.dispatch("on_pick", b.action))
            self.add_widget(made)  # after the others
        while len(self.children) > count:
            self.remove_widget(self.children[0])
        return list(reversed(self.children))

    def on_pick(self, action: str) -> None:
        pass


class Parts(BoxLayout):
    """A box laid out in kv whose parts come and go with what the screen shows (the step a
    shopper is at, a row with nothing to offer). A part not shown waits outside the widget tree
    as it is: it is neither pressed nor laid out, and comes back without being made again."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._declared: list[Widget] = []  # every part as kv declared them, top first

    def show(self, part: Widget, shown: bool) -> None:
        """Show or set aside `part`, one of this box's own (kv's ids name it)."""
        if not self._declared:
            self._declared = list(reversed(self.children))
        uids = [w.uid for w in self._declared]
        widget = self._declared[uids.index(part.uid)]  # the widget itself, not ids' weak proxy
        if shown == (widget.parent is self):
            return
        if not shown:
            self.remove_widget(widget)
            return
        before = sum(w.parent is self for w in self._declared[: uids.index(widget.uid)])
        self.add_widget(widget, index=len(self.children) - before)  # in its declared place


class TickBox(ButtonBehavior, Widget):
    """A consent tick drawn large and plain (Kivy's CheckBox is meant for dark themes). It shows
    `active` as the screen sets it; a press dispatches on_act, once per touch, for the desk to
    decide (the desk's consent is the one truth, also when a new shopper unticks it)."""

    active = BooleanProperty(False)
    _last = 0.0

    def __init__(self, **kwargs: Any) -> None:
        self.register_event_type("on_act")
        super().__init__(**kwargs)

    def on_release(self) -> None:
        now = time.monotonic()
        if now - self._last >= DEBOUNCE_S:
            self._last = now
            self.dispatch("on_act")

    def on_act(self) -> None:
        pass
