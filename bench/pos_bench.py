"""pos_plugin/: scan-to-answer through the Python API and the HTTP bridge, and a camera frame."""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import numpy.typing as npt
import requests
import zxingcpp

from bench.report import Row, print_table
from bench.terminal_bench import CAMPAIGN, CONFIG, KEY
from codes.campaign_cipher import CampaignCipher
from codes.qr import qr_image
from pos_plugin.bridge import Bridge
from pos_plugin.checkout import Till
from pos_plugin.http_server import BridgeServer
from pos_plugin.token import bridge_token
from terminal.engine import Terminal
from terminal.provision import provision

SCANS = 2000
QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def _p50_p99(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def _timed(calls: int, call: Callable[[int], object]) -> list[float]:
    times = []
    for i in range(calls):
        t = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - t) * 1000)
    return times


class _Constant(BaseHTTPRequestHandler):
    """The floor for any loopback JSON call: a stdlib handler that answers a constant."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"status": "valid"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _http_ms(url: str, headers: dict[str, str], codes: list[str]) -> list[float]:
    with requests.Session() as session:
        session.post(url, json={"code": codes[0]}, headers=headers, timeout=5)  # connect once
        return _timed(
            len(codes),
            lambda i: session.post(
                url, data=json.dumps({"code": codes[i]}), headers=headers, timeout=5
            ),
        )


def _frame(code: str) -> npt.NDArray[np.uint8]:
    """A 640x480 BGR camera frame: the code's QR on a noisy background."""
    rng = np.random.default_rng(1)
    frame = rng.integers(80, 170, size=(480, 640), dtype=np.uint8)
    symbol = qr_image(code, module_px=6)
    frame[100 : 100 + symbol.shape[0], 200 : 200 + symbol.shape[1]] = symbol
    return np.repeat(frame[:, :, None], 3, axis=2)


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "till.db"
        provision(path, [(CAMPAIGN, KEY)], device_name="bench", config=CONFIG)
        cipher = CampaignCipher(CAMPAIGN, KEY)
        codes = [cipher.encode(s) for s in range(SCANS)]
        till = Till(Terminal(path))
        api50, api99 = _p50_p99(_timed(SCANS, lambda i: till.scan(codes[i])))

        constant = ThreadingHTTPServer(("127.0.0.1", 0), _Constant)
        threading.Thread(target=constant.serve_forever, daemon=True).start()
        raw50, raw99 = _p50_p99(
            _http_ms(f"http://127.0.0.1:{constant.server_address[1]}/", {}, codes)
        )
        constant.shutdown()

        server = BridgeServer(Bridge(till))
        server.start()
        auth = {"Authorization": f"Bearer {bridge_token(till.terminal.ledger)}",
                "Content-Type": "application/json"}  # fmt: skip
        http50, http99 = _p50_p99(_http_ms(f"{server.url}/v1/scan", auth, codes))
        server.shutdown()
        server.server_close()

        frame = _frame(codes[7])
        decode = statistics.median(_timed(200, lambda _: zxingcpp.read_barcodes(frame, formats=QR)))
        answers = [till.scan(frame) for _ in range(3)]
        assert all(a.status == "valid" and a.code == codes[7] for a in answers)
        image = statistics.median(_timed(200, lambda _: till.scan(frame)))
        till.close()
    rows = [
        Row("typed code, scan to answer, Python API: p99", f"{api99:.2f} ms", "<= 5 ms",
            api99 <= 5, f"p50 {api50:.2f} ms"),
        Row("typed code, scan to answer, HTTP bridge: p99", f"{http99:.2f} ms", "<= 15 ms",
            http99 <= 15, f"{http99 / raw99:.1f}x a constant answer (p50 {http50:.2f} ms)"),
        Row("640x480 frame: decode + check, median", f"{image:.2f} ms", "<= 10 ms", image <= 10,
            f"{image / decode:.2f}x zxing-cpp decoding alone ({decode:.2f} ms)"),
    ]  # fmt: skip
    print_table(
        "pos_plugin/",
        f"loopback HTTP call answered with a constant by the standard library server: p50"
        f" {raw50:.2f} ms, p99 {raw99:.2f} ms",
        rows,
    )


if __name__ == "__main__":
    run()
