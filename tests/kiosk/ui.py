"""A real Kivy window, headless (SDL offscreen), driven by touches as a shopper would.

Kivy keeps one window per process: every test builds its app into it and takes it out again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kiosk.runner import configure_kivy
from kiosk.settings import KioskSettings

SIZE_VARIABLE = "INSTORE_TEST_KIOSK_SIZE"  # Kivy sets the window's size once per process
_width, _height = os.environ.get(SIZE_VARIABLE, "1080x1920").split("x")
configure_kivy(KioskSettings(db=Path("unused"), size=(int(_width), int(_height))))

from kivy.base import EventLoop  # noqa: E402  (after the configuration above)
from kivy.core.window import Window  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402

from kiosk.app import KioskApp  # noqa: E402
from kiosk.flow import Flow  # noqa: E402
from kiosk.screens.common import KButton, PressedOnce, texts_shown  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "kiosk"


class Ui:
    def __init__(self, flow: Flow, screenshots: Path | None = None) -> None:
        self.flow = flow
        self.app = KioskApp(flow, screenshots)
        self.app._run_prepare()  # App.run() without its endless loop: the test drives it
        self.spin(10)

    def spin(self, frames: int = 4) -> None:
        for _ in range(frames):
            EventLoop.idle()

    def wait(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < end, "the kiosk did not get there in time"
            self.spin(1)
            time.sleep(0.01)
        self.spin()

    @property
    def screen(self) -> Any:
        return self.app.root.current_screen

    def widgets(self, kind: type = KButton) -> Iterator[Any]:
        for widget in self.screen.walk(restrict=True):
            if isinstance(widget, kind):
                yield widget

    def button(self, text: str = "", action: str = "") -> Any:
        """The button of the current screen whose words hold `text` (or whose action is: a
        button or anything else pressed, such as a prize's card)."""
        for b in self.widgets(PressedOnce):
            if (action and b.action == action) or (text and text in getattr(b, "text", "")):
                return b
        raise AssertionError(f"no button {text or action!r} on {self.screen.name}")

    def key(self, text: str) -> Any:
        """The button whose words are exactly `text` (a keypad key)."""
        found = [b for b in self.widgets() if b.text == text]
        assert len(found) == 1, f"{len(found)} buttons {text!r} on {self.screen.name}"
        return found[0]

    def tap(self, widget: Any, twice: bool = False) -> None:
        """A finger on the widget; `twice`: the touch reported twice, as two providers can."""
        x, y = widget.to_window(*widget.center)
        for _ in range(2 if twice else 1):
            touch = UnitTestTouch(x, y)
            touch.touch_down()
            touch.touch_up()
        self.spin()

    def hold(self, widget: Any, seconds: float) -> None:
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.spin(1)
            time.sleep(0.02)
        touch.touch_up()
        self.spin()

    def shot(self, path: Path) -> Path:
        """The window as a picture at `path`, and beside it a .txt of every text shown, top to
        bottom (as `instore kiosk --screenshots` writes them: for tests and a translator)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.spin(3)
        taken = Path(Window.screenshot(name=str(path.parent / "shot.png")))
        taken.replace(path)
        shown = [self.screen] + ([self.app._idle] if self.app._idle.parent else [])
        path.with_suffix(".txt").write_text(
            "".join(f"{line}\n" for line in texts_shown(shown)), encoding="utf-8"
        )
        return path

    def close(self) -> None:
        self.app._stop()
        self.spin(2)
