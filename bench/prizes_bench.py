"""prizes/: a shopper's upload checked (uploads.check_upload): a 5 MB phone photo decoded, drawn
again without metadata and hashed, and a scanned multi-page invoice parsed for scripts; against
Pillow's own open and save of the same photo, measured in the same run."""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable

import numpy as np
from PIL import Image

from bench.report import Row, print_table
from server_stub.prizes.uploads import JPEG_QUALITY, check_upload

RUNS = 5


def phone_photo() -> bytes:
    """A 12-megapixel JPEG at quality 95, about 5 MB: gradients under fine noise, as a camera's
    sensor leaves; the same bytes every run."""
    rng = np.random.default_rng(25)
    y = np.linspace(0.0, 1.0, 3000)[:, None]
    x = np.linspace(0.0, 1.0, 4000)[None, :]
    scene = np.stack(
        np.broadcast_arrays(y * 200 + x * 40, x * 220 + y * 0, (1 - y) * 180 + 20 + x * 0), axis=2
    )
    noise = rng.integers(0, 256, scene.shape)
    pixels = (scene * 0.89 + noise * 0.11).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=95)
    return out.getvalue()


def scanned_invoice(pages: int = 10) -> bytes:
    """A PDF of `pages` A4 scans at 150 dpi, as a phone's scanner app saves one."""
    rng = np.random.default_rng(26)
    scans = [
        Image.fromarray((255 - rng.integers(0, 40, (1754, 1240))).astype(np.uint8))
        for _ in range(pages)
    ]
    out = io.BytesIO()
    scans[0].save(out, "PDF", save_all=True, append_images=scans[1:], resolution=150)
    return out.getvalue()


def median_s(work: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def plain_pillow(data: bytes) -> bytes:
    """The baseline: open, decode and save again, nothing checked or hashed."""
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def run() -> None:
    photo, invoice = phone_photo(), scanned_invoice()
    baseline = median_s(lambda: plain_pillow(photo))
    checked = median_s(lambda: check_upload("IMG_0001.jpg", photo))
    parsed = median_s(lambda: check_upload("invoice.pdf", invoice))
    rows = [
        Row(f"a {len(photo) / 2**20:.1f} MB photo checked, re-encoded and hashed",
            f"{checked * 1000:.0f} ms", "<= 1 s", checked <= 1.0,
            f"{checked / baseline:.2f}x Pillow's open+save"),
        Row(f"a 10-page scanned PDF ({len(invoice) / 2**20:.1f} MB) checked for scripts and files",
            f"{parsed * 1000:.0f} ms", "report", None, f"{parsed / baseline:.2f}x Pillow's open+save"),
    ]  # fmt: skip
    print_table(
        "prizes/ (uploads)",
        f"Pillow opening and saving the same photo at quality {JPEG_QUALITY}:"
        f" {baseline * 1000:.0f} ms (median of {RUNS})",
        rows,
    )


if __name__ == "__main__":
    run()
