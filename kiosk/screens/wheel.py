"""The bonus wheel: its rules (the real odds, the commitment, the spins this kiosk holds), the
spin, and its result. The engine draws before the wheel moves; the dial only turns to where the
desk says the drawn outcome lies (kiosk/wheel_desk.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kivy.animation import Animation
from kivy.app import App
from kivy.graphics import Color, Ellipse, PopMatrix, PushMatrix, Rotate, Triangle
from kivy.metrics import dp
from kivy.properties import ListProperty, NumericProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.flow import Flow
from kiosk.i18n import Text, render
from kiosk.screens.common import KioskScreen, say
from kiosk.wheel_desk import SPIN_S, Segment

# the segments' colours, in the order the outcomes were set ("nothing" is grey): pictures, not
# text, so they need only tell each other apart
PALETTE = ((0.043, 0.431, 0.31, 1), (0.878, 0.631, 0.0, 1), (0.145, 0.251, 0.42, 1),
           (0.753, 0.224, 0.169, 1), (0.482, 0.247, 0.627, 1), (0.122, 0.541, 0.62, 1))  # fmt: skip
NOTHING = (0.72, 0.74, 0.77, 1)


def colours(parts: Sequence[Segment]) -> list[tuple[float, ...]]:
    out: list[tuple[float, ...]] = []
    n = 0
    for part in parts:
        if part.kind == "nothing":
            out.append(NOTHING)
        else:
            out.append(PALETTE[n % len(PALETTE)])
            n += 1
    return out


class WheelDial(Widget):
    """The wheel: one slice per outcome, as wide as its odds, turned `rotation` degrees
    clockwise under a fixed pointer at the top."""

    rotation = NumericProperty(0.0)
    parts = ListProperty([])  # (start, sweep, colour) per segment

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._turn: Rotate | None = None
        self.bind(pos=self._draw, size=self._draw, parts=self._draw)
        self.bind(rotation=self._turned)

    def _turned(self, *_args: Any) -> None:
        if self._turn is not None:
            self._turn.angle = -self.rotation  # Kivy turns counter-clockwise
        else:
            self._draw()

    def _draw(self, *_args: Any) -> None:
        self.canvas.clear()
        ink = App.get_running_app().theme["ink"]
        side = max(0.0, min(self.width, self.height) - dp(40))
        cx, cy = self.center_x, self.y + (self.height - dp(40)) / 2
        with self.canvas:
            PushMatrix()
            self._turn = Rotate(angle=-self.rotation, origin=(cx, cy))
            Color(*ink)
            Ellipse(pos=(cx - side / 2 - dp(4), cy - side / 2 - dp(4)),
                    size=(side + dp(8), side + dp(8)))  # fmt: skip
            for start, sweep, colour in self.parts:
                Color(*colour)
                Ellipse(pos=(cx - side / 2, cy - side / 2), size=(side, side),
                        angle_start=start, angle_end=start + sweep, segments=180)  # fmt: skip
            PopMatrix()
            Color(*ink)  # the pointer, over the wheel's top
            top = cy + side / 2
            Triangle(
                points=(cx - dp(22), top + dp(36), cx + dp(22), top + dp(36), cx, top - dp(12))
            )


class Swatch(Widget):
    colour = ListProperty([0, 0, 0, 1])


class OddsRow(BoxLayout):
    pass


class OddsList(GridLayout):
    """A row per outcome: its colour on the wheel, its words and its chance. Rows are made when
    first needed and relabelled after (a kiosk redraws all day)."""

    def show(self, rows: Sequence[tuple[tuple[float, ...], str]], lang: str) -> None:
        while len(self.children) < len(rows):
            self.add_widget(OddsRow())
        while len(self.children) > len(rows):
            self.remove_widget(self.children[0])
        for row, (colour, words) in zip(reversed(self.children), rows, strict=True):
            row.ids.swatch.colour = colour
            say(row.ids.words, words, lang)


def _show_dial(dial: WheelDial, parts: Sequence[Segment]) -> None:
    drawn = [(p.start, p.sweep, c) for p, c in zip(parts, colours(parts), strict=True)]
    if drawn != list(dial.parts):
        dial.parts = drawn


class WheelScreen(KioskScreen):
    _spinning: Animation | None = None

    def refresh(self, flow: Flow) -> None:
        lang, ids, desk = flow.lang, self.ids, flow.wheel
        theme = App.get_running_app().theme
        rules = desk.rules()
        parts = desk.segments(rules)
        say(ids.title, render(Text.of("wheel.title"), lang), lang)
        _show_dial(ids.dial, parts)
        say(ids.how, "\n".join(render(t, lang) for t in desk.rule_lines(rules)) if rules else "",
            lang)  # fmt: skip
        say(ids.odds_title, render(Text.of("wheel.odds_title"), lang), lang)
        rows = []
        for part, colour in zip(parts, colours(parts), strict=True):
            line = Text.of("wheel.odds_line", outcome=part.words, odds=part.odds)
            rows.append((colour, render(line, lang)))
        ids.odds.show(rows, lang)
        say(ids.fair, render(Text.of("wheel.fair"), lang), lang)
        commitment = rules.commitment if rules else ""
        say(ids.commitment, f"{commitment[:32]}\n{commitment[32:]}", "en")
        spinning = desk.phase == "spinning"
        message = Text.of("wheel.spinning") if spinning else desk.message
        say(ids.message, render(message, lang), lang)
        ids.message.color = theme["ink" if spinning or message is None else "error"]
        ready = not spinning and desk.message is None and desk.ready()
        ids.actions.show(ids.spin, ready)
        say(ids.spin, render(Text.of("wheel.spin"), lang), lang)
        say(ids.back, render(Text.of("wheel.back"), lang), lang)
        ids.back.disabled = spinning
        if spinning and self._spinning is None:
            self._turn(flow)
        elif not spinning:
            if self._spinning is not None:
                self._spinning.cancel(ids.dial)
                self._spinning = None
            ids.dial.rotation = desk.rotation

    def _turn(self, flow: Flow) -> None:
        """Turn the dial to where the engine's outcome lies, slowing down as a wheel does."""
        dial = self.ids.dial
        dial.rotation = flow.wheel.rotation
        turning = Animation(rotation=flow.wheel.target, d=SPIN_S, t="out_quart")

        def stopped(*_args: Any) -> None:
            self._spinning = None
            flow.wheel_landed()

        turning.bind(on_complete=stopped)
        self._spinning = turning
        turning.start(dial)


class WheelResultScreen(KioskScreen):
    def refresh(self, flow: Flow) -> None:
        lang, ids, desk = flow.lang, self.ids, flow.wheel
        theme = App.get_running_app().theme
        rules = desk.rules()
        _show_dial(ids.dial, desk.segments(rules))
        ids.dial.rotation = desk.rotation
        ids.picture.source = desk.picture()  # the prize's, where the brand gave one
        say(ids.title, render(Text.of("wheel.title"), lang), lang)
        say(ids.headline, render(desk.headline(), lang), lang)
        ids.headline.color = theme["win" if desk.won else "ink"]
        say(ids.lines, "\n".join(render(t, lang) for t in desk.next_step()), lang)
        say(ids.back, render(Text.of("wheel.back"), lang), lang)
        say(ids.done, render(Text.of("button.done"), lang), lang)
