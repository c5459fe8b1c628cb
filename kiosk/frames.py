"""Where pictures come from, behind one interface, and the worker that reads codes off them.

- `FolderFrames`: the images of a folder in name order, about one a second, looping (`--frames`),
  for demos and tests without a camera;
- `OpenCVFrames`: a camera through OpenCV (the `camera` extra), in a loop of our own, or a
  recorded clip played as that camera would give it (`--camera FILE`);
- `NoCamera`: nothing to read; the attract screen says so and keypad and scanner still work.

`FrameReader` runs in its own thread, never the UI's: it takes each frame, decodes it with
zxing-cpp (or pyzbar) and hands every code it reads to a callback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from PIL import Image

from codes.qr_read import Decoder, PictureError, read_codes

Frame = npt.NDArray[np.uint8]
PICTURES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


class FrameSource(Protocol):
    available: bool
    description: str

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        """Frames until `stop` is set (or the source ends)."""
        ...

    def close(self) -> None: ...


class NoCamera:
    available = False
    description = "no camera"

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        return iter(())

    def close(self) -> None:
        pass


class FolderFrames:
    """A folder of pictures read as a camera: name order, `interval_s` apart, looping."""

    def __init__(self, folder: Path, interval_s: float = 1.0, loop: bool = True) -> None:
        self.files = sorted(p for p in folder.iterdir() if p.suffix.lower() in PICTURES)
        self.interval_s = interval_s
        self.loop = loop
        self.available = bool(self.files)
        self.description = f"{len(self.files)} pictures in {folder}"

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        while self.files and not stop.is_set():
            for path in self.files:
                if stop.is_set():
                    return
                try:
                    with Image.open(path) as image:
                        yield np.asarray(image.convert("L"))
                except OSError:
                    continue  # a picture being copied in, or not a picture: the next one
                stop.wait(self.interval_s)
            if not self.loop:
                return

    def close(self) -> None:
        pass


class OpenCVFrames:
    """A camera through OpenCV: a device by its index, or a recorded clip by its path
    (`cv2.VideoCapture` takes either). A clip plays once at its own frame rate, as a camera would
    give it, then the source ends. Kivy's own OpenCV camera provider is not used: it breaks on
    OpenCV 5, and this loop also keeps decoding off the UI thread."""

    def __init__(self, camera: int | Path = 0) -> None:
        self._capture: Any = None
        self.clip = isinstance(camera, Path)
        self._interval_s = 0.0
        try:
            import cv2  # type: ignore[import-not-found,unused-ignore]  # the `camera` extra

            capture = cv2.VideoCapture(str(camera) if self.clip else camera)
            if capture.isOpened():
                self._capture = capture
                fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
                self._interval_s = 1.0 / fps if self.clip and 0 < fps <= 240 else 0.0
            else:
                capture.release()
        except ImportError:
            pass
        self.available = self._capture is not None
        what = f"clip {camera}" if self.clip else f"camera {camera}"
        self.description = what if self.available else f"no {what}"

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        due = time.monotonic()
        while self._capture is not None and not stop.is_set():
            ok, frame = self._capture.read()
            if not ok:
                if self.clip:
                    return  # the clip has ended
                stop.wait(0.1)  # a camera that missed a frame: the next one
                continue
            yield frame
            if self._interval_s:  # a clip at its own pace, not as fast as it decodes
                due += self._interval_s
                stop.wait(max(0.0, due - time.monotonic()))

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class FrameReader:
    """Reads codes off a source's frames in a worker thread; `on_code(text)` for each."""

    def __init__(
        self, source: FrameSource, on_code: Callable[[str], object], decoder: Decoder = "zxing",
        on_frame: Callable[[Frame], None] | None = None,
        on_codes: Callable[[list[str]], object] | None = None,
    ) -> None:  # fmt: skip
        self.source = source
        self.on_code = on_code
        self.decoder = decoder
        self.on_frame = on_frame
        self.on_codes = on_codes  # given: every frame's codes, none too, instead of on_code
        self.frames_read = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frames", daemon=True)

    def start(self) -> None:
        if self.source.available:
            self._thread.start()

    def _run(self) -> None:
        for frame in self.source.frames(self._stop):
            self.frames_read += 1
            if self.on_frame is not None:
                self.on_frame(frame)
            try:
                codes = read_codes(frame, self.decoder)
            except PictureError:
                continue
            if self.on_codes is not None:
                self.on_codes(list(codes))
                continue
            for text in codes:
                self.on_code(text)

    def stop(self) -> None:
        """Stop reading and release the camera."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.source.close()


def source_for(
    frames: Path | None, camera: int | Path | None, interval_s: float = 1.0
) -> FrameSource:
    if frames is not None:
        return FolderFrames(frames, interval_s)
    if camera is not None:
        return OpenCVFrames(camera)
    return NoCamera()
