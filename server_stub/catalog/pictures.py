"""Pictures a brand gives for its kiosk (a tier's prize, a logo, the attract screen): decoded and
re-encoded here, so a device only ever receives a plain PNG or JPEG within the size limits."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from server_stub.errors import ApiError
from sync.protocol import MAX_PICTURE_BYTES

MAX_FILE_BYTES = 8 * 1024 * 1024  # a file given, before decoding
MAX_SIDE = 2048  # pixels, either side
MAX_PIXELS = 2_000_000  # width x height
JPEG_QUALITY = 85


@dataclass(frozen=True)
class Picture:
    kind: str  # png | jpeg
    data: bytes  # as re-encoded

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _bad(name: str, why: str) -> ApiError:
    return ApiError(422, "bad_picture", f"picture {name}: {why}")


def checked_picture(path: Path) -> Picture:
    """The picture at `path` decoded and encoded again (PNG stays PNG, JPEG stays JPEG, their
    metadata dropped), or a clear refusal naming the file and what is wrong with it."""
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _bad(name, f"the file is {size:,} bytes; at most {MAX_FILE_BYTES:,} are read")
        raw = path.read_bytes()
    except OSError as exc:
        raise _bad(name, f"cannot be read ({exc.strerror or exc})") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(raw))
            kind = {"PNG": "png", "JPEG": "jpeg"}.get(image.format or "")
            if kind is None:
                raise _bad(name, f"is {image.format or 'not a picture'}; give a PNG or a JPEG")
            width, height = image.size
            if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
                raise _bad(name, f"is {width}x{height} pixels; at most {MAX_SIDE} a side and"
                           f" {MAX_PIXELS:,} in all")  # fmt: skip
            image.load()
    except ApiError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning,
            Image.DecompressionBombError):  # fmt: skip
        raise _bad(name, "is not a PNG or JPEG picture that can be read") from None
    out = io.BytesIO()
    if kind == "png":
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    else:
        image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    data = out.getvalue()
    if len(data) > MAX_PICTURE_BYTES:
        raise _bad(name, f"is {len(data):,} bytes once re-encoded; at most {MAX_PICTURE_BYTES:,}"
                   " (make it smaller, or a JPEG)")  # fmt: skip
    return Picture(kind, data)
