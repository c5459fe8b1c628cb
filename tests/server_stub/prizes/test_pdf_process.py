"""A claim's PDF drawn in a process of its own (prizes/pdf_process.py), as a stranger's PDF
would try it: a page that takes pdfium minutes is cut off at the deadline and refused at once
from then on, a content stream that inflates past the drawing process's memory limit stops there, and an honest PDF draws right after either, in a new drawing process."""

from __future__ import annotations

import io
import time
import zlib
from collections.abc import Iterator

import pytest
from PIL import Image

from server_stub.errors import ApiError
from server_stub.prizes import pdf_process

FILL = b"0 0 m 600 840 l 0 840 l h f\n"  # a triangle over half the page, filled


def pdf_of(content: bytes, pages: int = 1) -> bytes:
    """A PDF of `pages` pages, each drawing `content` (a Flate stream: it may inflate a lot)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (3 + i) for i in range(pages)), pages),
        *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 840] /Contents %d 0 R >>"
          % (3 + pages)] * pages,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content),
    ]  # fmt: skip
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % at for at in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, table,
    )  # fmt: skip
    return bytes(out)


def slow_pdf(pages: int = 1) -> bytes:
    """7 KB that keep pdfium drawing for minutes a page: 100,000 fills over the page."""
    return pdf_of(zlib.compress(FILL * 100_000, 9), pages)


def honest_pdf() -> bytes:
    scan = io.BytesIO()
    pages = [Image.new("RGB", (600, 850), "white"), Image.new("RGB", (600, 850), "gray")]
    pages[0].save(scan, "PDF", save_all=True, append_images=pages[1:], resolution=72)
    return scan.getvalue()


@pytest.fixture
def drawer(monkeypatch: pytest.MonkeyPatch) -> Iterator[pdf_process.Drawer]:
    monkeypatch.setattr(pdf_process, "DEADLINE_S", 1.5)
    made = pdf_process.Drawer()
    yield made
    made.close()


def _refused(work: object) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(ApiError) as info:
        work()  # type: ignore[operator]
    return info.value.code, time.monotonic() - started


def test_a_page_that_draws_for_minutes_is_cut_off_and_refused_at_once_from_then_on(
    drawer: pdf_process.Drawer,
) -> None:
    honest, slow = honest_pdf(), slow_pdf()
    assert drawer.page_count(honest) == 2  # the drawing process started
    code, took = _refused(lambda: drawer.render_png(slow, 0))
    assert code == "pdf_slow" and took < 1.5 + 3  # the deadline, and killing the process
    code, took = _refused(lambda: drawer.page_count(slow))
    assert code == "pdf_slow" and took < 0.5  # remembered: nothing drawn again
    drawn = Image.open(io.BytesIO(drawer.render_png(honest, 1)))  # a new drawing process
    assert drawn.format == "PNG" and drawn.getpixel((10, 10)) == (128, 128, 128)
    assert _refused(lambda: drawer.render_png(honest, 5))[0] == "not_found"


def test_a_stream_that_inflates_past_the_memory_limit_stops_there(
    drawer: pdf_process.Drawer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf_process, "MEMORY_BYTES", 400 << 20)  # 1 GB in the server
    squeeze = zlib.compressobj(9)
    spaces = b" " * (1 << 20)
    bomb = b"".join([*(squeeze.compress(spaces) for _ in range(600)), squeeze.flush()])
    assert len(bomb) < 1024 * 1024  # 600 MB inflated, in an upload of 10 MB at most
    code, _took = _refused(lambda: drawer.render_png(pdf_of(bomb), 0))
    assert code in ("pdf_unreadable", "pdf_slow")
    assert drawer.page_count(honest_pdf()) == 2


def test_requests_past_those_waiting_are_told_to_come_back(
    drawer: pdf_process.Drawer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf_process, "MAX_WAITING", 0)
    with pytest.raises(ApiError) as info:
        drawer.render_png(honest_pdf(), 0)
    assert (info.value.status, info.value.code) == (503, "pdf_busy")
    assert info.value.headers["Retry-After"] == "5"
