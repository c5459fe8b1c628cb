"""A stored PDF's pages drawn as PNG images on the server (pdfium, through pypdfium2), so a
verifier reads an invoice or an ID in the page itself and no PDF reader of theirs ever opens a
file a stranger sent.

Drawn on request and kept nowhere: the image is the answer to one request. A document that
retention or erasure deleted is gone at once, with nothing drawn from it left behind (the
dashboard reads the file from the store first). Bounds, whatever the file declares: pages past
MAX_PAGES are not drawn, and a page is drawn at most WIDTH_PX wide and MAX_PIXELS in all (a
page declared 200 inches square is drawn small, not as 14,400 x 14,400 pixels).

The server calls these through prizes/pdf_process.py, in a drawing process of its own with a
deadline and a memory limit: nothing bounds how long pdfium draws a page a stranger wrote.
"""

from __future__ import annotations

import io
import math
import threading

import pypdfium2 as pdfium
from PIL import Image

from server_stub.errors import ApiError

MAX_PAGES = 50  # as uploads.MAX_PDF_PAGES: no stored PDF has more
WIDTH_PX = 1200  # an A4 page at about 145 dpi: an invoice's small print reads
MAX_PIXELS = 4_000_000  # 16 MB drawn at most, about 0.3 s of pdfium's time at worst
MAX_SCALE = 4.0  # a tiny page (a receipt declared 1 inch wide) is not blown up past 288 dpi
PNG_LEVEL = 1  # zlib's least effort: a scanned page's noise costs the most at higher levels, for a few per cent
# pdfium is not thread-safe: one document open at a time in this process (the server's threads
# share it; its other processes have pdfium of their own)
_PDFIUM = threading.Lock()


def _unreadable() -> ApiError:
    return ApiError(422, "pdf_unreadable", "This PDF cannot be drawn; download it instead.")


def page_count(data: bytes) -> int:
    """The PDF's pages (at most MAX_PAGES are drawn)."""
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            raise _unreadable() from None
        try:
            return len(document)
        finally:
            document.close()


def render_png(data: bytes, page: int, width: int = WIDTH_PX) -> bytes:
    """Page `page` (0 for the first) drawn as a PNG about `width` pixels wide. 404 for a page
    the PDF has not or that is past MAX_PAGES, 422 for a PDF pdfium cannot read."""
    width = max(100, min(width, WIDTH_PX))
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            raise _unreadable() from None
        try:
            if not 0 <= page < min(len(document), MAX_PAGES):
                raise ApiError(404, "not_found", "The PDF has no such page.")
            drawn = document[page]
            try:
                points_wide, points_high = drawn.get_size()
                if not (points_wide > 0 and points_high > 0):
                    raise _unreadable()
                scale = _scale(points_wide, points_high, width)
                bitmap = drawn.render(scale=scale, may_draw_forms=False)
                image: Image.Image = bitmap.to_pil()
            except pdfium.PdfiumError:
                raise _unreadable() from None
            finally:
                drawn.close()
        finally:
            document.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", compress_level=PNG_LEVEL)
    return out.getvalue()


def _scale(points_wide: float, points_high: float, width: int) -> float:
    """Pixels per point: `width` across, within MAX_PIXELS and MAX_SCALE."""
    scale = min(width / points_wide, MAX_SCALE)
    area = points_wide * points_high * scale * scale
    if area > MAX_PIXELS:
        scale *= math.sqrt(MAX_PIXELS / area)
    return max(scale, 1e-3)
