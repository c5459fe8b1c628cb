"""A recorded clip of a pack moving in front of the kiosk's lens, made at test time: the real QR
of a minted code on a card that enters, crosses a cluttered background and leaves, with frames
smeared by motion blur and frames washed out by glare, as a shopper's hand and a store's lights
give them. MJPG in an .avi: OpenCV writes and reads it with no codec to download."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from codes.qr import qr_image

WIDTH, HEIGHT = 640, 480
FPS = 12.0
CARD = 230  # px: the pack's printed panel, QR and margin


@dataclass(frozen=True)
class Clip:
    path: Path
    kinds: tuple[str, ...]  # each frame: "empty", "clean", "blur" or "glare"

    @property
    def seconds(self) -> float:
        return len(self.kinds) / FPS


# the pack's path: (kind, centre x as a share of the width); off screen at the ends
PATH: tuple[tuple[str, float], ...] = (
    ("empty", -0.4), ("empty", -0.2), ("blur", 0.05), ("blur", 0.15), ("clean", 0.25),
    ("glare", 0.3), ("clean", 0.35), ("clean", 0.4), ("glare", 0.45), ("blur", 0.5),
    ("clean", 0.55), ("clean", 0.6), ("glare", 0.62), ("clean", 0.66), ("blur", 0.75),
    ("blur", 0.88), ("empty", 1.3), ("empty", 1.4), ("empty", 1.5), ("empty", 1.6),
)  # fmt: skip


def background(rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """A store's counter: a shaded wall, shelves of boxes, sensor noise."""
    ramp = np.linspace(90, 170, WIDTH, dtype=np.float32)[None, :, None]
    frame = np.broadcast_to(ramp, (HEIGHT, WIDTH, 3)).copy()
    for _ in range(14):
        x, y = int(rng.integers(0, WIDTH - 60)), int(rng.integers(0, HEIGHT - 60))
        w, h = int(rng.integers(30, 120)), int(rng.integers(20, 90))
        frame[y : y + h, x : x + w] = rng.integers(40, 220, 3)
    return frame.clip(0, 255).astype(np.uint8)


def card(code: str) -> npt.NDArray[np.uint8]:
    """The pack's panel: the code's QR (with its quiet zone) on the pack's colour."""
    grey = qr_image(code, module_px=5)
    panel = np.full((CARD, CARD, 3), (40, 120, 200), np.uint8)  # BGR: an orange pack
    top = (CARD - grey.shape[0]) // 2
    left = (CARD - grey.shape[1]) // 2
    panel[top : top + grey.shape[0], left : left + grey.shape[1]] = grey[:, :, None]
    return panel


def _place(frame: npt.NDArray[np.uint8], panel: npt.NDArray[np.uint8], share: float) -> None:
    x = int(share * WIDTH) - CARD // 2
    y = (HEIGHT - CARD) // 2 + int(20 * np.sin(share * 6))  # a hand is never quite level
    left, right = max(0, x), min(WIDTH, x + CARD)
    if right > left:
        frame[y : y + CARD, left:right] = panel[:, left - x : right - x]


def _blur(frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Motion blur along the pack's way: a horizontal smear over 31 px."""
    kernel = np.full((1, 31), 1 / 31, np.float32)
    return np.asarray(cv2.filter2D(frame, -1, kernel), dtype=np.uint8)


def _glare(frame: npt.NDArray[np.uint8], share: float) -> npt.NDArray[np.uint8]:
    """A ceiling light's reflection across the glossy pack: a blown-out patch over the QR."""
    light = np.zeros((HEIGHT, WIDTH), np.float32)
    centre = (int(share * WIDTH), HEIGHT // 2)
    cv2.ellipse(light, centre, (95, 70), 30, 0, 360, 1.0, -1)
    soft = np.asarray(cv2.GaussianBlur(light, (0, 0), 12), dtype=np.float32)[:, :, None]
    glared = frame.astype(np.float32) * (1 - soft) + 255 * soft
    return glared.clip(0, 255).astype(np.uint8)


def make_clip(code: str, path: Path, seed: int = 7) -> Clip:
    rng = np.random.default_rng(seed)
    scene = background(rng)
    panel = card(code)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), FPS, (WIDTH, HEIGHT))
    assert writer.isOpened(), "OpenCV cannot write MJPG here"
    try:
        for kind, share in PATH:
            frame = scene.copy()
            _place(frame, panel, share)
            if kind == "blur":
                frame = _blur(frame)
            elif kind == "glare":
                frame = _glare(frame, share)
            noise = rng.normal(0, 4, frame.shape)  # a camera's sensor
            writer.write((frame + noise).clip(0, 255).astype(np.uint8))
    finally:
        writer.release()
    return Clip(path, tuple(kind for kind, _ in PATH))
