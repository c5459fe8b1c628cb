"""The camera path as it runs on a kiosk: `cv2.VideoCapture` reads a recorded clip of a pack moving
in front of the lens (with blur and glare), the frame reader decodes it in its worker thread, and
the flow redeems what it reads: the one pack gives exactly one redemption."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from codes.qr_read import read_codes
from kiosk.flow import Flow, Screen
from kiosk.frames import FrameReader, OpenCVFrames, source_for
from kiosk.settings import KioskSettings
from tests.kiosk.camera_clip import Clip, make_clip
from tests.kiosk.conftest import StoreFactory


def frames_of(clip: Clip) -> list[list[str]]:
    """What the decoder reads in each frame of the clip, as written to disk."""
    capture = cv2.VideoCapture(str(clip.path))
    read: list[list[str]] = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        read.append(read_codes(np.asarray(frame, dtype=np.uint8)))
    capture.release()
    return read


def test_the_clip_is_hard_in_the_ways_a_camera_is(tmp_path: Path, make_store: StoreFactory) -> None:
    """Blurred and glared frames of the pack do not read; clean ones do; the empty ones are empty."""
    store = make_store(name="clip")
    code = store.code(store.serial_of_tier("music"))
    clip = make_clip(code, tmp_path / "pack.avi")
    read = frames_of(clip)
    assert len(read) == len(clip.kinds)
    for kind, codes in zip(clip.kinds, read, strict=True):
        assert codes == ([code] if kind == "clean" else []), kind
    assert {"blur", "glare", "clean", "empty"} <= set(clip.kinds)


def test_a_pack_moving_past_the_lens_gives_exactly_one_redemption(
    tmp_path: Path, make_store: StoreFactory
) -> None:
    store = make_store(name="camera")
    code = store.code(store.serial_of_tier("music"))
    clip = make_clip(code, tmp_path / "pack.avi")
    flow = Flow(store.open(), KioskSettings(db=store.path, camera=clip.path))
    source = source_for(None, clip.path)  # what `instore kiosk --camera pack.avi` opens
    assert isinstance(source, OpenCVFrames) and source.available, source.description
    sightings: list[str] = []

    def seen(text: str) -> None:
        sightings.append(text)
        flow.code_seen(text)

    reader = FrameReader(source, seen)
    began = time.monotonic()
    reader.start()
    reader._thread.join(timeout=30)  # the clip ends, and with it the source
    took = time.monotonic() - began
    reader.stop()
    assert reader.frames_read == len(clip.kinds)
    assert took >= clip.seconds * 0.8, "a clip plays at its own frame rate, as a camera gives it"
    assert sightings.count(code) == clip.kinds.count("clean") > 1  # seen again and again
    redeemed = flow.terminal.ledger.one(
        "SELECT COUNT(*) AS n, MAX(payload) AS payload FROM events WHERE kind = 'redeem'"
    )
    assert redeemed is not None and redeemed["n"] == 1 and code in redeemed["payload"]
    assert flow.screen is Screen.RESULT and flow.result is not None and flow.result.won


@pytest.mark.parametrize("given", ["0", "3"])
def test_a_camera_number_is_a_device_and_anything_else_a_file(given: str) -> None:
    from kiosk.cli import _camera

    assert _camera(given) == int(given)
    assert _camera("clips/pack.avi") == Path("clips/pack.avi")


def test_a_camera_that_is_not_there_is_said_so(tmp_path: Path) -> None:
    missing = OpenCVFrames(tmp_path / "none.avi")
    assert not missing.available and missing.description.startswith("no clip")
