"""The kiosk's figures measured in a process of its own (Kivy sets its window up once per process):
`python -m bench.kiosk_probe LEDGER frames|memory` prints one JSON object.

- frames (a 1080x1920 window): a camera frame decoded, the code checked and durably redeemed,
  and the result screen drawn (one in four a gold coin to claim: its QR and what comes next); the baseline is the same decode and redeem with no window;
- memory: resident size after 10,000 scan -> result -> attract cycles against after 100, in a
  540x960 window (software drawing costs by the pixel; what could leak is per widget and
  texture, and shows at any size).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")

from kiosk.runner import configure_kivy
from kiosk.settings import KioskSettings

FRAMES = 300
CYCLES = int(os.environ.get("INSTORE_BENCH_KIOSK_CYCLES", "10000"))


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(ledger: Path, what: str) -> None:
    size = (1080, 1920) if what == "frames" else (540, 960)
    configure_kivy(KioskSettings(db=ledger, size=size))
    from kivy.base import EventLoop

    from bench.kiosk_bench import WINS
    from bench.pos_bench import _frame
    from bench.terminal_bench import CAMPAIGN, KEY
    from codes.campaign_cipher import CampaignCipher
    from codes.qr_read import read_codes
    from kiosk.app import KioskApp
    from kiosk.flow import Flow, Screen
    from terminal.engine import Terminal

    cipher = CampaignCipher(WINS if what == "frames" else CAMPAIGN, KEY)
    terminal = Terminal(ledger)
    flow = Flow(terminal, KioskSettings(db=ledger))
    app = KioskApp(flow)
    app._run_prepare()
    for _ in range(10):
        EventLoop.idle()

    def shown(screen: Screen) -> None:
        while app.root.current != screen.value or not app.shown or app.shown[-1] != screen.value:
            EventLoop.idle()
        EventLoop.idle()  # the frame with it drawn

    serial = iter(range(10**6))
    if what == "frames":
        window, bare = [], []
        for _ in range(FRAMES):
            frame = _frame(cipher.encode(next(serial)))
            began = time.perf_counter()
            (code,) = read_codes(frame)
            flow.code_seen(code)
            shown(Screen.RESULT)
            window.append((time.perf_counter() - began) * 1000)
            flow.start_over()
            shown(Screen.ATTRACT)
        plain = Flow(terminal, KioskSettings(db=ledger))  # no window: decode and redeem alone
        for _ in range(FRAMES):
            frame = _frame(cipher.encode(next(serial)))
            began = time.perf_counter()
            (code,) = read_codes(frame)
            plain.code_seen(code)
            bare.append((time.perf_counter() - began) * 1000)
        ordered = sorted(window)
        got = {
            "frame_p50_ms": statistics.median(window),
            "frame_p95_ms": ordered[int(len(ordered) * 0.95) - 1],
            "bare_p50_ms": statistics.median(bare),
        }
    else:
        rss: dict[int, float] = {}
        for cycle in range(1, CYCLES + 1):
            flow.code_seen(cipher.encode(next(serial)))
            shown(Screen.RESULT)
            flow.start_over()
            shown(Screen.ATTRACT)
            if cycle in (100, CYCLES):
                rss[cycle] = _rss_mb()
        got = {"cycles": CYCLES, "rss_100_mb": rss[100], "rss_end_mb": rss[CYCLES]}
    print(json.dumps(got))
    app._stop()
    terminal.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
