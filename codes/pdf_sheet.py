"""Printable A4 sheets of QR codes with the code text under each and dashed cut lines.

The PDF is written by hand, streaming page by page, because a print run can hold hundreds of
thousands of codes: each QR is a tiny 1-bit image mask inside the page's compressed content, so a
sheet stays small and memory stays flat however long the run.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from codes import qr

MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
MARGIN = 10 * MM
COLUMNS, ROWS = 4, 6
CELL_W = (PAGE_W - 2 * MARGIN) / COLUMNS
CELL_H = (PAGE_H - 2 * MARGIN - 8 * MM) / ROWS  # 8 mm at the bottom for the page footer
MODULE = 1.0 * MM
TEXT_PT = 9
PER_PAGE = COLUMNS * ROWS


class SheetWriter:
    """`with SheetWriter(path, title) as sheet: sheet.add(code_text)`."""

    def __init__(self, path: Path, title: str) -> None:
        self.path = path
        self.title = title
        self._out: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._cells: list[tuple[str, str]] = []
        self._next_id = 4  # 1 catalog, 2 page tree, 3 font
        self.codes = 0
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        self._object(
            3,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold /Encoding /WinAnsiEncoding >>",
        )

    def __enter__(self) -> SheetWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._out.close()
            self.path.unlink(missing_ok=True)  # never leave half a sheet that looks whole

    def add(self, code: str, note: str = "") -> None:
        """One code on the next free cell; `note` goes into the page footer (e.g. serials)."""
        self._cells.append((code, note))
        self.codes += 1
        if len(self._cells) == PER_PAGE:
            self._flush_page()

    def close(self) -> None:
        if self._cells:
            self._flush_page()
        kids = b" ".join(b"%d 0 R" % p for p in self._pages)
        self._object(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self._pages)))
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        xref = self._out.tell()
        count = max(self._offsets) + 1
        lines = [b"xref\n0 %d\n0000000000 65535 f \n" % count]
        lines += [b"%010d 00000 n \n" % self._offsets[i] for i in range(1, count)]
        self._write(b"".join(lines))
        self._write(
            b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref)
        )
        self._out.close()

    # -- internals -------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        self._out.write(data)

    def _object(self, number: int, body: bytes) -> None:
        self._offsets[number] = self._out.tell()
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _flush_page(self) -> None:
        ops: list[bytes] = [_cut_lines()]
        for index, (code, _note) in enumerate(self._cells):
            ops.append(_cell(index, code))
        first, last = self._cells[0][1], self._cells[-1][1]
        page_no = len(self._pages) + 1
        footer = f"{self.title}  -  sheet {page_no}" + (f"  -  {first} to {last}" if first else "")
        ops.append(_text(MARGIN, MARGIN - 2, 7, footer))
        content = zlib.compress(b"\n".join(ops), 6)
        content_id, page_id = self._new_id(), self._new_id()
        self._object(
            content_id,
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
            % (len(content), content),
        )
        self._object(
            page_id,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R"
            b" /Resources << /Font << /F1 3 0 R >> >> >>" % (PAGE_W, PAGE_H, content_id),
        )
        self._pages.append(page_id)
        self._cells = []


def _cut_lines() -> bytes:
    ops = [b"q 0.6 G 0.3 w [3 3] 0 d"]
    bottom = PAGE_H - MARGIN - ROWS * CELL_H
    for c in range(COLUMNS + 1):
        x = MARGIN + c * CELL_W
        ops.append(b"%.2f %.2f m %.2f %.2f l S" % (x, bottom, x, PAGE_H - MARGIN))
    for r in range(ROWS + 1):
        y = PAGE_H - MARGIN - r * CELL_H
        ops.append(b"%.2f %.2f m %.2f %.2f l S" % (MARGIN, y, PAGE_W - MARGIN, y))
    ops.append(b"Q")
    return b"\n".join(ops)


def _cell(index: int, code: str) -> bytes:
    row, col = divmod(index, COLUMNS)
    left = MARGIN + col * CELL_W
    top = PAGE_H - MARGIN - row * CELL_H
    dark = qr.qr_matrix(code)
    size = dark.shape[0] * MODULE
    x = left + (CELL_W - size) / 2
    y = top - (qr.QUIET_ZONE + 1) * MODULE - size
    text_w = len(code) * 0.6 * TEXT_PT  # Courier: every glyph is 0.6 em wide
    return b"q %.3f 0 0 %.3f %.3f %.3f cm\n%s\nQ\n" % (size, size, x, y, _image_mask(dark)) + _text(
        left + (CELL_W - text_w) / 2, y - qr.QUIET_ZONE * MODULE, TEXT_PT, code
    )


def _image_mask(dark: npt.NDArray[np.bool_]) -> bytes:
    """An inline 1-bit image mask: 0 bits are painted black, so dark modules are 0."""
    height, width = dark.shape
    bits = np.packbits(~dark, axis=1)  # rows padded to whole bytes, as PDF wants
    return b"BI /W %d /H %d /IM true /BPC 1 /F /AHx ID %s> EI" % (
        width,
        height,
        bits.tobytes().hex().encode("ascii"),
    )


def _text(x: float, y: float, size: float, text: str) -> bytes:
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"BT /F1 %g Tf %.2f %.2f Td (%s) Tj ET" % (size, x, y, safe.encode("latin-1", "replace"))
