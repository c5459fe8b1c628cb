"""prizes/pdf_pages: one page of a claim's PDF drawn as a PNG on the server, as the verifier's
page asks for it (pdfium draws it 1,200 pixels wide, Pillow writes the PNG); against Pillow
opening the same scan and writing it as PNG, measured in the same run.

Two scans: an invoice as a phone's scanner app saves one (A4 at 150 dpi, text on paper with a
camera's faint noise, JPEG inside the PDF), and a page of heavy noise, the worst a scan can be
for a PNG. Wall time and this thread's CPU time, since the machine may be shared."""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from bench.report import Row, print_table
from server_stub.prizes.pdf_pages import PNG_LEVEL, WIDTH_PX, render_png

RUNS = 7
TARGET_MS = 500


def invoice_scan() -> tuple[bytes, Image.Image]:
    """A4 at 150 dpi: a shop's header, 40 lines of items, a stamp; faint noise, slightly soft,
    saved as JPEG in a PDF. The same bytes every run."""
    rng = np.random.default_rng(27)
    page = Image.new("RGB", (1240, 1754), (246, 244, 238))
    draw = ImageDraw.Draw(page)
    draw.rectangle((80, 80, 1160, 240), outline=(30, 30, 30), width=3)
    draw.text((110, 120), "FROSTY MART  -  TAX INVOICE  No. INV-2026-118273", fill=(10, 10, 10))
    for line in range(40):
        words = f"{line + 1:02d}  Ice cream lid 500 ml  x1   {99 + line}.00"
        draw.text((110, 300 + line * 32), words, fill=(20, 20, 20))
    draw.ellipse((880, 1540, 1120, 1700), outline=(40, 60, 170), width=6)
    noisy = np.asarray(page).astype(np.int16) + rng.normal(0, 4, (1754, 1240, 3)).astype(np.int16)
    scan = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(0.6)
    )
    out = io.BytesIO()
    scan.save(out, "PDF", resolution=150, quality=85)
    return out.getvalue(), scan


def noise_scan() -> tuple[bytes, Image.Image]:
    """The worst case: every pixel noise (grey, 0 to 40 below white), as prizes_bench's."""
    rng = np.random.default_rng(26)
    scan = Image.fromarray((255 - rng.integers(0, 40, (1754, 1240))).astype(np.uint8))
    out = io.BytesIO()
    scan.save(out, "PDF", resolution=150)
    return out.getvalue(), scan


def measured(work: Callable[[], object]) -> tuple[float, float]:
    """Median wall and CPU milliseconds of RUNS calls, after one to warm."""
    work()
    walls, cpus = [], []
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.thread_time()
        work()
        cpus.append((time.thread_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def pillow_png(scan: Image.Image) -> bytes:
    """The baseline: the scan, already decoded, made as wide as ours and written as PNG."""
    height = round(scan.height * WIDTH_PX / scan.width)
    out = io.BytesIO()
    scan.convert("RGB").resize((WIDTH_PX, height), Image.Resampling.BILINEAR).save(
        out, "PNG", compress_level=PNG_LEVEL
    )
    return out.getvalue()


def run() -> None:
    rows = []
    baseline_text = ""
    for name, (data, scan) in (("an invoice scan", invoice_scan()),
                               ("a page of pure noise", noise_scan())):  # fmt: skip
        base_wall, _ = measured(lambda scan=scan: pillow_png(scan))  # type: ignore[misc]
        wall, cpu = measured(lambda data=data: render_png(data, 0))  # type: ignore[misc]
        if not baseline_text:
            baseline_text = f"Pillow resizing the decoded invoice scan (bilinear) and writing it as PNG: {base_wall:.0f} ms"
        rows.append(
            Row(f"{name}: one page drawn as PNG, {WIDTH_PX} px wide (wall ms)", f"{wall:.0f}",
                f"<= {TARGET_MS}", wall <= TARGET_MS,
                f"{wall / base_wall:.2f}x Pillow's resize+PNG of it ({cpu:.0f} ms of CPU)")
        )  # fmt: skip
    print_table(
        f"prizes/ (a claim's PDF page on the server, median of {RUNS})", baseline_text, rows
    )


if __name__ == "__main__":
    run()
