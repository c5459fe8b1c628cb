"""After Done, a pack still in front of the camera does not bring its result back: it must leave
the view first (the demo sat on "You won!" for good)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from codes.qr import write_png
from kiosk.flow import Screen
from kiosk.frames import FolderFrames, FrameReader
from tests.kiosk.conftest import Kiosk


def test_a_pack_left_in_view_after_done_is_ignored_until_it_leaves(kiosk: Kiosk) -> None:
    flow, code = kiosk.flow, kiosk.store.code(7)
    flow.camera_saw([code])
    assert flow.screen is Screen.RESULT and flow.result is not None and flow.result.won
    flow.act("button.done")
    for _ in range(30):  # a frame every 0.1 s for 3 s, the pack still there
        kiosk.clocks.tick(0.1)
        flow.camera_saw([code])
        assert flow.screen.value == "attract"
    kiosk.clocks.tick(0.3)
    flow.camera_saw([])  # a blurred frame: not gone yet
    flow.camera_saw([code])
    assert flow.screen.value == "attract"
    kiosk.clocks.tick(1.2)
    flow.camera_saw([])  # unseen for over a second: it has left
    flow.camera_saw([code])  # shown again: its answer, not a second redemption
    assert flow.screen is Screen.RESULT and flow.result is not None and flow.result.won
    assert kiosk.redemptions() == 1
    other = kiosk.store.code(8)  # another pack meanwhile is read at once
    flow.act("button.done")
    flow.camera_saw([code, other])
    assert flow.screen is Screen.RESULT and kiosk.redemptions() == 2


def test_the_reader_reports_frames_without_a_code(kiosk: Kiosk, tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    write_png(kiosk.store.code(9), frames / "0.png")
    Image.new("L", (400, 400), 255).save(frames / "1.png")
    seen: list[list[str]] = []
    reader = FrameReader(FolderFrames(frames, 0.0, loop=False), print, on_codes=seen.append)
    reader.start()
    reader._thread.join(timeout=10)  # the folder is read once, then the source ends
    reader.stop()
    assert seen == [[kiosk.store.code(9)], []]
