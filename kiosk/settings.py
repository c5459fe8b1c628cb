"""The kiosk's settings: one typed object, given by `instore kiosk` and by tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codes.qr_read import Decoder
from kiosk.i18n import LANGUAGES


@dataclass(frozen=True)
class KioskSettings:
    db: Path
    lang: str = "en"
    size: tuple[int, int] = (1080, 1920)  # portrait tablet
    fullscreen: bool = False
    frames: Path | None = None  # a folder of pictures to read as the camera
    camera: int | Path | None = None  # an OpenCV camera index, or a recorded clip's path
    decoder: Decoder = "zxing"  # or "pyzbar"
    screenshots: Path | None = None
    actor: str = "kiosk"  # who redeemed, in the ledger and at the server
    country: str = "IN"  # for reading phone numbers
    cities: tuple[str, ...] = ()  # the details screen offers these
    same_code_window_s: float = 10.0  # a pack held to the camera shows one result, not two
    left_view_s: float = 1.0  # after Done, unseen this long by the camera: the pack has left
    idle_s: float = 60.0  # untouched this long: "still there?"
    idle_countdown_s: float = 20.0  # then back to the start, the session wiped
    pin_attempts: int = 5
    pin_lock_s: float = 300.0
    frame_interval_s: float = 1.0  # --frames: one picture about every second

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"language {self.lang!r}: choose one of {', '.join(LANGUAGES)}")
