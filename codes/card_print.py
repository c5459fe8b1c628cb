"""A member card to print: the card's QR (codes/member_card.py), the program's name and the
member's number, mostly hidden, on a bank card's size (85.6 x 54 mm) at 300 dpi, as a PNG or a
one-page PDF of exactly that size.

The QR takes the card's left side at up to 1.5 mm per module, whole pixels each (1.4 mm for a
phone's version 2 symbol, Q correction; its quiet zone is the card's white): a kiosk camera reads
it at arm's length, a till's scanner at once. The words are drawn with the fonts the
caller names (Noto Sans; Noto Sans Devanagari for a name in Hindi), or Pillow's own when none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from codes import qr
from codes.common.errors import InstoreError

DPI = 300
CARD_MM = (85.6, 54.0)  # ISO/IEC 7810 ID-1, a bank card
MODULE_MM = 1.5
SUFFIXES = (".png", ".pdf")
INK, PAPER = (27, 35, 51), (255, 255, 255)


def _px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


@dataclass(frozen=True)
class CardFace:
    """What one card shows."""

    qr_text: str  # member_qr_text(...)
    title: str  # the program's name
    shown: str  # the member as printed, masked(...)


@dataclass(frozen=True)
class Fonts:
    """The faces to draw words with: Latin and Cyrillic, and Devanagari (regular, bold)."""

    folder: Path | None = None

    def face(self, words: str, bold: bool, size: int) -> ImageFont.FreeTypeFont:
        devanagari = any("\u0900" <= ch <= "\u097f" for ch in words)
        name = ("NotoSansDevanagari" if devanagari else "NotoSans") + (
            "-Bold" if bold else "-Regular"
        )
        path = self.folder / f"{name}.ttf" if self.folder is not None else None
        if path is not None and path.is_file():
            return ImageFont.truetype(str(path), size)
        return ImageFont.load_default(size)  # type: ignore[return-value]


class CardError(InstoreError):
    """The card cannot be written as asked (a file type other than .png or .pdf)."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_card_file", message)


def card_image(face: CardFace, fonts: Fonts = Fonts()) -> Image.Image:
    """The card as a 300 dpi RGB picture."""
    width, height = _px(CARD_MM[0]), _px(CARD_MM[1])
    card = Image.new("RGB", (width, height), PAPER)
    margin = _px(4)
    modules = qr.qr_matrix(face.qr_text).shape[0] + 2 * qr.QUIET_ZONE
    # whole pixels per module (a scanner reads even modules best), smaller for a denser symbol
    module_px = min(_px(MODULE_MM), (height - margin) // modules)
    symbol = Image.fromarray(qr.qr_image(face.qr_text, module_px=module_px), mode="L")
    top = (height - symbol.height) // 2
    card.paste(symbol.convert("RGB"), (margin // 2, top))
    draw = ImageDraw.Draw(card)
    left = margin // 2 + symbol.width + margin // 2
    room = width - left - margin
    y = top + _px(2)
    for line in _wrapped(draw, face.title, fonts.face(face.title, True, _px(5)), room)[:3]:
        font = fonts.face(line, True, _px(5))
        draw.text((left, y), line, font=font, fill=INK)
        y += _line_height(draw, line, font) + _px(1.5)
    number = _fitted(draw, face.shown, fonts, room, _px(4.2))
    draw.text((left, top + symbol.height - _px(2) - _line_height(draw, face.shown, number)),
              face.shown, font=number, fill=INK)  # fmt: skip
    return card


def write_card(path: Path, face: CardFace, fonts: Fonts = Fonts()) -> Path:
    """The card to `path`: a PNG, or a PDF one card in size, by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise CardError(f"a card is written as .png or .pdf, not {path.name!r}")
    image = card_image(face, fonts)
    if suffix == ".pdf":
        image.save(path, "PDF", resolution=DPI)
    else:
        image.save(path, "PNG", dpi=(DPI, DPI))
    return path


def _line_height(draw: ImageDraw.ImageDraw, words: str, font: ImageFont.FreeTypeFont) -> int:
    *_, bottom = draw.textbbox((0, 0), words or " ", font=font)
    return int(bottom)


def _width(draw: ImageDraw.ImageDraw, words: str, font: ImageFont.FreeTypeFont) -> float:
    return float(draw.textlength(words, font=font))


def _wrapped(
    draw: ImageDraw.ImageDraw, words: str, font: ImageFont.FreeTypeFont, room: int
) -> list[str]:
    """Words in lines no wider than `room` (a word wider than that keeps a line of its own)."""
    lines: list[str] = []
    for word in words.split():
        if lines and _width(draw, f"{lines[-1]} {word}", font) <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _fitted(
    draw: ImageDraw.ImageDraw, words: str, fonts: Fonts, room: int, size: int
) -> ImageFont.FreeTypeFont:
    """The regular face at `size`, smaller until `words` fit on one line of `room`."""
    font = fonts.face(words, False, size)
    while size > 12 and _width(draw, words, font) > room:
        size -= 2
        font = fonts.face(words, False, size)
    return font
