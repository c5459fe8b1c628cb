"""The Kivy app: a ScreenManager over the flow. It forwards touches, keys and codes to the flow
and redraws the screen the flow names; it decides nothing itself.

Keys from a keyboard-wedge scanner arrive as typed text ending in Enter, on any screen.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics.opengl import GL_RENDERER, glFinish, glGetString
from kivy.lang import Builder
from kivy.properties import DictProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.flow import Flow, Screen
from kiosk.i18n import font, script
from kiosk.screens.attract import AttractScreen
from kiosk.screens.common import LARGE_TEXT, texts_shown
from kiosk.screens.details import DetailsScreen
from kiosk.screens.idle import IdlePrompt
from kiosk.screens.keypad import KeypadScreen
from kiosk.screens.loyalty import LoyaltyScreen
from kiosk.screens.manager import ManagerScreen
from kiosk.screens.pin import PinScreen
from kiosk.screens.result import ResultScreen
from kiosk.screens.sound import Sounds
from kiosk.screens.wheel import WheelResultScreen, WheelScreen

SCREENS = Path(__file__).parent / "screens"
KV_FILES = ("common", "attract", "keypad", "result", "details", "loyalty", "pin", "manager", "idle",
            "wheel")  # fmt: skip

# text at least 4.5:1 against the paper (tests/kiosk checks each pair)
THEME = {
    "paper": (0.969, 0.957, 0.933, 1),  # F7F4EE
    "field": (1, 1, 1, 1),
    "ink": (0.106, 0.137, 0.2, 1),  # 1B2333
    "muted": (0.29, 0.32, 0.38, 1),  # 4A5161
    "primary": (0.043, 0.431, 0.31, 1),  # 0B6E4F, white text on it
    "secondary": (0.145, 0.251, 0.42, 1),  # 25406B, white text on it
    "win": (0.043, 0.431, 0.31, 1),
    "warn": (0.53, 0.31, 0.0, 1),  # 874F00
    "error": (0.643, 0.086, 0.102, 1),  # A4161A
    "button_text": (1, 1, 1, 1),  # on primary (a brand's theme may set it)
}
_loaded = False


def _software_gl() -> bool:
    renderer = glGetString(GL_RENDERER) or b""
    return b"llvmpipe" in renderer or b"softpipe" in renderer


def _finish_frame(*_args: Any) -> None:
    glFinish()


class KioskApp(App):
    lang = StringProperty("en")
    theme = DictProperty(THEME)
    text_scale = NumericProperty(1.0)  # every label's and button's words: LARGE_TEXT or 1

    def __init__(self, flow: Flow, screenshots: Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.flow = flow
        self.screenshots = screenshots
        self.shots: list[Path] = []
        self.shown: list[str] = []  # every screen as it was shown, in order
        self.title = "instore kiosk"
        self._scanned = ""
        self._showing: tuple[str, int] = ("", 0)
        self._idle = IdlePrompt(flow=flow)
        self._tick: Any = None
        self.sounds: Sounds | None = None  # loaded with the window

    # kv calls these with `app.lang` among the arguments, so a language switch redraws text
    def fonts(self, lang: str, bold: bool = False) -> str:
        return font(lang, bold)

    def script_of(self, lang: str) -> str:
        return script(lang)

    def build(self) -> ScreenManager:
        global _loaded
        if not _loaded:  # kv rules are global to Kivy: loaded once per process
            for name in KV_FILES:
                Builder.load_file(str(SCREENS / f"{name}.kv"))
            _loaded = True
        self._idle = IdlePrompt(flow=self.flow)
        self.sounds = Sounds()
        manager = ScreenManager(transition=NoTransition())
        screens = (AttractScreen(), KeypadScreen(), ResultScreen(), DetailsScreen(),
                   LoyaltyScreen(), PinScreen(), ManagerScreen(), WheelScreen(),
                   WheelResultScreen())  # fmt: skip
        for screen in screens:
            screen.flow = self.flow
            manager.add_widget(screen)
        self.flow.listen(self._changed)
        Window.bind(on_textinput=self._text, on_key_down=self._key, on_touch_down=self._touch)
        if _software_gl():
            # Mesa's software renderer (a tablet without a GPU driver, or headless) frees what a
            # frame used only once the frame is finished; with nothing else finishing frames it
            # held 1.9 GB after 750 results. Finishing each frame keeps a 14-hour day flat.
            Window.bind(on_flip=_finish_frame)
        self._tick = Clock.schedule_interval(lambda _dt: self.flow.tick(), 1.0)
        Clock.schedule_once(lambda _dt: self.redraw(), 0)
        return manager

    def on_stop(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
        Window.unbind(on_textinput=self._text, on_key_down=self._key, on_touch_down=self._touch)
        Window.unbind(on_flip=_finish_frame)

    def _changed(self) -> None:
        # the flow may change in a worker thread (a decoded frame, an online claim): redraw on
        # Kivy's thread (what kivy.clock.mainthread does)
        Clock.schedule_once(lambda _dt: self.redraw(), 0)

    def redraw(self) -> None:
        """Show the screen the flow names, as it now is."""
        if self.root is None:
            return
        flow = self.flow
        self.lang = flow.lang
        self.text_scale = LARGE_TEXT if flow.large_text else 1.0
        colours = flow.brand.colours(THEME)  # the brand's look, where its theme reads well
        if colours != self.theme:
            self.theme = colours
        name = flow.screen.value
        screen = self.root.get_screen(name)
        screen.refresh(flow)
        showing = (name, id(flow.result) if flow.screen is Screen.RESULT else 0)
        if showing != self._showing:  # another screen, or another answer on the result screen
            self._showing = showing
            self.root.current = name
            self.shown.append(name)
            if flow.screen is Screen.RESULT and flow.result is not None and flow.result.won:
                self.play("win")
            if self.screenshots is not None:
                Clock.schedule_once(lambda _dt, n=name: self.screenshot(n), 0.15)
        if flow.idle_left is not None:
            self._idle.refresh(flow)
            if self._idle.parent is None:
                self._idle.open(animation=False)
        elif self._idle.parent is not None:
            self._idle.dismiss(animation=False)

    def screenshot(self, name: str, folder: Path | None = None) -> Path:
        """The window as it is now, saved as `<seq>-<screen>.png`, and beside it `<seq>-<screen>.txt`
        with every text shown, top to bottom (for tests and a translator's review)."""
        folder = folder or self.screenshots
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{len(self.shots) + 1:03d}-{name}.png"
        taken = Path(Window.screenshot(name=str(folder / "shot.png")))
        taken.replace(target)
        shown = [self.root.current_screen] + ([self._idle] if self._idle.parent else [])
        target.with_suffix(".txt").write_text(
            "".join(f"{line}\n" for line in texts_shown(shown)), encoding="utf-8"
        )
        self.shots.append(target)
        return target

    def play(self, name: str) -> None:
        """A sound (a key, a win), unless the manager turned them off."""
        if self.sounds is not None and self.flow.manager.sounds_on:
            self.sounds.play(name)

    def _touch(self, *_args: Any) -> bool:
        self.flow.touched()
        return False  # the touch goes on to the widgets

    # -- the keyboard-wedge scanner ----------------------------------------------------------

    def _text(self, _window: Any, text: str) -> None:
        self._scanned += text
        self.flow.touched()

    def _key(self, _window: Any, key: int, *_args: Any) -> bool:
        if key not in (13, 271):  # Enter, keypad Enter
            return False
        code, self._scanned = self._scanned.strip(), ""
        if code:
            threading.Thread(target=self.flow.code_seen, args=(code,), daemon=True).start()
        elif self.flow.screen is Screen.TYPE:
            threading.Thread(target=self.flow.submit, daemon=True).start()
        return True
