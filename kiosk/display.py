"""The kiosk's window fitted to the display it opens on.

The screens are laid out for a design size (1080x1920 portrait, 1920x1080 landscape). A window of
another size shows the same layout scaled: Kivy's density (pixels per dp and sp) is the window's
size over the design size, so every heading and button keeps its place and no word breaks where
the design kept it whole. A window larger than the display is shrunk to fit it first (a 720x1280
window was cut off on a 1024-high screen), leaving room for a title bar and a panel.

Plain Python (no Kivy): `runner.configure_kivy` applies the fit before the window opens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

PORTRAIT = (1080, 1920)
LANDSCAPE = (1920, 1080)
# a window that is not fullscreen shares the display with a title bar and a panel or two
FRAME = (0, 96)
# SDL drivers with no real display behind them: the window is the size asked (tests, headless)
NO_DISPLAY = ("offscreen", "dummy")
_SDL_INIT_VIDEO = 0x20


@dataclass(frozen=True)
class Fit:
    size: tuple[int, int]  # the window, in pixels
    density: float  # Kivy's pixels per dp: the design laid out in that window


def design_for(size: tuple[int, int]) -> tuple[int, int]:
    return PORTRAIT if size[1] >= size[0] else LANDSCAPE


def fit(wanted: tuple[int, int], display: tuple[int, int] | None, fullscreen: bool) -> Fit:
    """The window for `wanted` (the --size) on a display of `display` pixels (None: unknown)."""
    width, height = wanted
    if fullscreen and display:
        width, height = display
    elif display:
        room_w, room_h = display[0] - FRAME[0], display[1] - FRAME[1]
        shrink = min(1.0, room_w / width, room_h / height)
        width, height = int(width * shrink), int(height * shrink)
    design = design_for((width, height))
    density = min(width / design[0], height / design[1])
    return Fit((width, height), round(density, 4))


def _sdl() -> ctypes.CDLL | None:
    """The SDL2 library Kivy's window uses (its wheel's own copy, else the system's)."""
    spec = importlib.util.find_spec("kivy")
    if spec is not None and spec.origin:
        bundled = sorted((Path(spec.origin).parent.parent / "Kivy.libs").glob("libSDL2-2*"))
        if bundled:
            return ctypes.CDLL(str(bundled[0]))
    found = ctypes.util.find_library("SDL2-2.0") or ctypes.util.find_library("SDL2")
    return ctypes.CDLL(found) if found else None


class _Mode(ctypes.Structure):
    _fields_ = [("format", ctypes.c_uint32), ("w", ctypes.c_int), ("h", ctypes.c_int),
                ("refresh_rate", ctypes.c_int), ("driverdata", ctypes.c_void_p)]  # fmt: skip


def display_size() -> tuple[int, int] | None:
    """The first display's size in pixels, asked of SDL before any window opens; None when there
    is no real display (headless) or SDL cannot say."""
    if os.environ.get("SDL_VIDEODRIVER", "").lower() in NO_DISPLAY:
        return None
    try:
        sdl = _sdl()
        if sdl is None or sdl.SDL_InitSubSystem(_SDL_INIT_VIDEO) != 0:
            return None
        try:
            mode = _Mode()
            if sdl.SDL_GetDesktopDisplayMode(0, ctypes.byref(mode)) != 0:
                return None
            return (mode.w, mode.h) if mode.w > 0 and mode.h > 0 else None
        finally:
            sdl.SDL_QuitSubSystem(_SDL_INIT_VIDEO)
    except OSError:
        return None
