"""QR symbols for printed codes, chosen to read from a phone or kiosk camera on a crumpled pack.

- Error correction Q (about 25% of the symbol can be lost): creases, smudges and glare on foil.
- The printed code text in QR alphanumeric mode (upper case, digits, hyphens): version 2, 25x25
  modules, the largest modules for a given print size.
- A quiet zone of 4 modules, as the QR standard asks; less makes scanners miss the finder patterns.
- Printed at 1 mm per module on the sheet and 8 px per module in PNGs: well above what a 640x480
  camera resolves at arm's length.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import zxingcpp
from PIL import Image

EC_LEVEL = "Q"
QUIET_ZONE = 4  # modules
PNG_MODULE_PX = 8


def qr_matrix(text: str) -> npt.NDArray[np.bool_]:
    """The QR symbol of `text` without quiet zone: True where a module is dark."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=EC_LEVEL)
    image = np.asarray(barcode.to_image(scale=1, add_quiet_zones=False))
    return image < 128


def qr_image(text: str, module_px: int = PNG_MODULE_PX) -> npt.NDArray[np.uint8]:
    """A greyscale picture (0 black, 255 white) with the quiet zone, `module_px` per module."""
    dark = np.pad(qr_matrix(text), QUIET_ZONE, constant_values=False)
    pixels = np.where(dark, 0, 255).astype(np.uint8)
    return np.kron(pixels, np.ones((module_px, module_px), dtype=np.uint8))


def write_png(text: str, path: Path, module_px: int = PNG_MODULE_PX) -> None:
    Image.fromarray(qr_image(text, module_px), mode="L").save(path, format="PNG")
