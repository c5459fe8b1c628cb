"""Reading QR symbols from pictures: a file, its bytes, a PIL image or a camera's numpy frame.

zxing-cpp by default: about ten times quicker than zbar, and it reads damaged frames zbar misses.
zbar (pyzbar, which needs Debian's libzbar0) stays available for devices that already use it.
Only what a decoder read from a symbol is returned, never a guess.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import zxingcpp
from PIL import Image, UnidentifiedImageError

from codes.common.errors import InstoreError

Decoder = Literal["zxing", "pyzbar"]
DECODERS: tuple[Decoder, ...] = ("zxing", "pyzbar")

# what a picture may be: a path, a file's bytes, a PIL image, or a frame (grey, or BGR as cameras give)
Picture = str | Path | bytes | Image.Image | npt.NDArray[np.uint8]


class PictureError(InstoreError):
    """The picture cannot be read at all (as opposed to: it holds no code)."""


def read_codes(picture: Picture, decoder: Decoder = "zxing") -> list[str]:
    """The texts of the QR symbols in the picture, in reading order; [] when there are none."""
    image = _load(picture)
    if decoder == "zxing":
        # made per call: a BarcodeFormats kept in a global is reported as leaked by nanobind at
        # the exit of a process whose reader thread used it
        found = zxingcpp.read_barcodes(
            image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
        return [b.text for b in found if b.valid and b.text]
    if decoder == "pyzbar":
        return _read_with_zbar(image)
    raise PictureError("bad_decoder", f"no QR decoder named {decoder!r}; use zxing or pyzbar")


def _load(picture: Picture) -> npt.NDArray[np.uint8] | Image.Image:
    if isinstance(picture, np.ndarray):
        if picture.dtype != np.uint8 or picture.ndim not in (2, 3):
            raise PictureError(
                "bad_picture",
                "a frame must be 8-bit, grey (height x width) or colour (height x width x 3)",
            )
        if picture.ndim == 3 and picture.shape[2] != 3:
            raise PictureError("bad_picture", "a colour frame must have 3 channels (BGR)")
        return picture
    if isinstance(picture, Image.Image):
        return picture if picture.mode in ("L", "RGB") else picture.convert("RGB")
    source: Any = io.BytesIO(picture) if isinstance(picture, bytes) else Path(picture)
    try:
        with Image.open(source) as opened:
            opened.load()
            return opened.convert("L")
    except FileNotFoundError:
        raise PictureError("no_picture", f"there is no picture at {source}") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        what = "these bytes are" if isinstance(picture, bytes) else f"{source} is"
        raise PictureError("bad_picture", f"{what} not a picture this device can read") from exc


def _read_with_zbar(image: npt.NDArray[np.uint8] | Image.Image) -> list[str]:
    try:
        from pyzbar import pyzbar
    except ImportError as exc:  # the Python package or Debian's libzbar0 is missing
        raise PictureError(
            "decoder_missing", "the pyzbar decoder needs 'pip install pyzbar' and libzbar0"
        ) from exc
    if isinstance(image, np.ndarray) and image.ndim == 3:
        image = image.mean(axis=2).astype(np.uint8)  # zbar reads grey; the channel order is moot
    found = pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])
    return [text for r in found if (text := r.data.decode("utf-8", "replace"))]
