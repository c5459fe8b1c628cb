"""The receipt as a picture, for a printer that prints pictures: the text of the receipt, each
voucher code large, and each claim QR drawn where it belongs (a QR does not fit in 40 characters
of text). Black on white, one bit a dot, 576 dots wide: an 80 mm printer's line at 203 dpi."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from codes.qr import qr_image
from pos_plugin.receipt import Part

DOTS = 576
MARGIN = 16
TEXT_PX = 22
BIG_PX = 44
QR_MODULE_DOTS = 6  # 0.75 mm a module at 203 dpi: read by a phone at arm's length


def receipt_picture(parts: Sequence[Part]) -> Image.Image:
    """The receipt drawn top to bottom, one part under the other."""
    text_font = ImageFont.load_default(size=TEXT_PX)
    pieces: list[Image.Image] = []
    for part in parts:
        if part.kind == "qr":
            pieces.append(_qr(part.text))
        elif part.kind == "big":
            pieces.append(_words(part.text, _fitting(part.text, BIG_PX), frame=True))
        elif part.text and set(part.text) == {"-"}:
            pieces.append(_rule())
        else:
            pieces.append(_words(part.text, text_font))
    height = sum(p.height for p in pieces) + 2 * MARGIN
    sheet = Image.new("1", (DOTS, height), 1)
    y = MARGIN
    for piece in pieces:
        sheet.paste(piece, ((DOTS - piece.width) // 2 if piece.width < DOTS else 0, y))
        y += piece.height
    return sheet


def receipt_png(parts: Sequence[Part]) -> str:
    """The picture as PNG, base64 (how a JSON answer carries it)."""
    out = io.BytesIO()
    receipt_picture(parts).save(out, format="PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")


def _fitting(text: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The font at `size`, or smaller until the text fits the line."""
    while True:
        font = ImageFont.load_default(size=size)
        if font.getlength(text) <= DOTS - 2 * MARGIN - 24 or size <= TEXT_PX:
            return font
        size -= 2


def _words(
    text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, frame: bool = False
) -> Image.Image:
    line_px = int(font.getbbox("Hg")[3]) + 6
    pad = 14 if frame else 0
    piece = Image.new("1", (DOTS, line_px + 2 * pad), 1)
    draw = ImageDraw.Draw(piece)
    x = (DOTS - font.getlength(text)) / 2 if frame else MARGIN
    draw.text((x, pad + 2), text, font=font, fill=0)
    if frame:
        draw.rectangle((MARGIN, 2, DOTS - MARGIN - 1, piece.height - 3), outline=0, width=3)
    return piece


def _rule() -> Image.Image:
    """A text receipt's line of dashes, drawn as a line across."""
    piece = Image.new("1", (DOTS, 20), 1)
    ImageDraw.Draw(piece).line((MARGIN, 10, DOTS - MARGIN, 10), fill=0, width=2)
    return piece


def _qr(link: str) -> Image.Image:
    symbol = Image.fromarray(qr_image(link, module_px=1), mode="L").convert("1")
    size = symbol.width * QR_MODULE_DOTS
    while size > DOTS and size > symbol.width:  # a very long link: smaller modules, still whole
        size -= symbol.width
    return symbol.resize((size, size), Image.Resampling.NEAREST)
