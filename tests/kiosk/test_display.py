"""The kiosk's window fits the display it opens on, the design scaled (kiosk/display.py)."""

from __future__ import annotations

import pytest

from kiosk.display import FRAME, fit


def test_the_design_size_on_a_display_large_enough_is_as_designed() -> None:
    assert fit((1080, 1920), (2160, 3840), fullscreen=False).density == 1.0
    assert fit((1920, 1080), None, fullscreen=False).size == (1920, 1080)


def test_a_window_taller_than_the_display_is_shrunk_to_fit_it() -> None:
    """The demo's 720x1280 window was cut off on a 1280x1024 screen."""
    got = fit((720, 1280), (1280, 1024), fullscreen=False)
    width, height = got.size
    assert height <= 1024 - FRAME[1] and width <= 1280
    assert width / height == pytest.approx(720 / 1280, rel=0.01)  # not stretched
    assert got.density == pytest.approx(height / 1920, rel=0.01)  # the design, scaled


def test_fullscreen_takes_the_display_and_scales_the_design_into_it() -> None:
    got = fit((1080, 1920), (800, 1280), fullscreen=True)
    assert got.size == (800, 1280)
    assert got.density == pytest.approx(1280 / 1920, rel=0.01)  # the tighter side decides
    landscape = fit((1080, 1920), (1366, 768), fullscreen=True)
    assert landscape.density == pytest.approx(768 / 1080, rel=0.01)  # the landscape design


def test_a_smaller_window_shows_the_same_layout_smaller() -> None:
    assert fit((540, 960), None, fullscreen=False).density == 0.5
