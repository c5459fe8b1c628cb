"""The kiosk's memory over a day of a branded campaign with the bonus wheel, measured in a process
of its own (Kivy sets its window up once per process):
`python -m bench.kiosk_brand_probe FOLDER [CYCLES]` prints one JSON object.

Every cycle goes through the real screens in a 360x640 window (software drawing costs by the
pixel; a texture or widget kept per cycle leaks at any size):
the example brand's content is in the ledger (its theme, logo, the prizes' pictures and the
attract screen's picture); the language changes every cycle and the attract screen's rotation
moves on a picture. One cycle in five is a member's: the points screen by member card, a check-in,
the wheel's rules, Spin! (the dial turns, for a tenth of a second here), the wheel's result
(points, a prize or nothing), Done. The other four scan a pack: its branded result, Done.

Resident size is read after a warm-up (every screen, picture and language drawn at least once)
and after the last cycle. CYCLES (the bench's INSTORE_BENCH_BRAND_CYCLES) is fewer than the
target's 10,000 so that `make bench` stays within minutes; the growth per cycle after the
warm-up is what the bench scales to 10,000.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")

from bench.kiosk_probe import _rss_mb
from codes.campaign import Campaign, parse_tiers
from kiosk.runner import configure_kivy
from kiosk.settings import KioskSettings
from terminal.config import TerminalConfig, TierRule
from terminal.provision import provision

CYCLES = 1_000  # about 3 minutes on two busy cores; 10,000 take ten times as long
WARM = 200
SPIN_EVERY = 5
KEY = bytes(range(32))
BRAND = Path(__file__).resolve().parents[1] / "docs" / "examples" / "campaign-content"
TIERS = ("gold", "silver", "music")
# a prize in one pack of four each, so a result shows each of the brand's pictures
CAMPAIGN = Campaign(id="bench-brand", prefix="HB", issued=10**8,
                    tiers=parse_tiers("gold:1/4,silver:1/4,music:*"))  # fmt: skip
CONFIG = TerminalConfig(tier_rules=tuple(TierRule(t, offline_count=10**6) for t in TIERS))
WHEEL = {
    "campaign": CAMPAIGN.id, "per_day": 1, "commitment": "ab" * 32, "open": True,
    "outcomes": [{"label": "50 points", "weight": 40, "points": 50, "kind": "points"},
                 {"label": "cap", "weight": 20, "points": 0, "kind": "prize"},
                 {"label": "nothing", "weight": 40, "points": 0, "kind": "nothing"}],
}  # fmt: skip
OUTCOMES = ("50 points", "cap", "nothing", "50 points", "nothing")


def branded_ledger(folder: Path, spins: int) -> Path:
    """A kiosk's ledger with the example brand's content and `spins` outcomes of the wheel held,
    as sync leaves them."""
    from server_stub.catalog.campaign_content import read_content
    from sync.content import put_grant_content
    from terminal.ledger import Ledger
    from terminal.ledger_wheel import HeldSpin

    path = folder / "brand.db"
    provision(path, [(CAMPAIGN, KEY)], device_name="brand", store_id="s1", config=CONFIG)
    ledger = Ledger(path)
    try:
        with ledger.write() as conn:
            labels = [str(o["label"]) for o in WHEEL["outcomes"]]  # type: ignore[attr-defined]
            put_grant_content(
                conn, CAMPAIGN.id, read_content(BRAND / "content.toml", list(TIERS), labels)
            )
            held = [HeldSpin(CAMPAIGN.id, i, OUTCOMES[i % len(OUTCOMES)]) for i in range(spins)]
            Ledger.hold_wheels(conn, [WHEEL], held)
    finally:
        ledger.close()
    return path


def main(folder: Path, cycles: int) -> None:
    ledger = branded_ledger(folder, cycles // SPIN_EVERY + 1)
    configure_kivy(KioskSettings(db=ledger, size=(360, 640)))
    from kivy.base import EventLoop

    from codes.campaign_cipher import CampaignCipher
    from kiosk.app import THEME, KioskApp
    from kiosk.flow import Flow, Screen
    from kiosk.i18n import LANGUAGES
    from kiosk.screens import wheel as wheel_screen
    from terminal.engine import Terminal

    # the same animation, shorter: each of its frames drawn as ever
    wheel_screen.SPIN_S = 0.1  # type: ignore[attr-defined]
    cipher = CampaignCipher(CAMPAIGN, KEY)
    terminal = Terminal(ledger)
    flow = Flow(terminal, KioskSettings(db=ledger))
    app = KioskApp(flow)
    app._run_prepare()
    for _ in range(10):
        EventLoop.idle()

    def shown(screen: Screen) -> None:
        end = time.monotonic() + 30
        while app.root.current != screen.value or not app.shown or app.shown[-1] != screen.value:
            if time.monotonic() > end:
                raise RuntimeError(f"the kiosk did not show {screen.value} ({flow.screen})")
            EventLoop.idle()
        EventLoop.idle()  # the frame with it drawn

    began = time.perf_counter()
    rss: dict[str, float] = {}
    spins = 0
    for cycle in range(1, cycles + 1):
        flow.set_language(LANGUAGES[cycle % len(LANGUAGES)])
        attract = app.root.get_screen(Screen.ATTRACT.value)
        attract.slide += 1  # the rotation's next picture, as its clock would turn it
        attract.refresh(flow)  # drawn with the next screen's first frame
        if cycle % SPIN_EVERY == 0:
            flow.open_loyalty()
            assert flow.loyalty.member_card(f"member:+7701{cycle:07d}")
            flow.loyalty.check_in()
            shown(Screen.LOYALTY)
            flow.open_wheel()
            shown(Screen.WHEEL)
            flow.spin_wheel()
            assert flow.wheel.result is not None and flow.wheel.result.ok, flow.wheel.message
            shown(Screen.WHEEL_RESULT)
            spins += 1
        else:
            assert flow.code_seen(cipher.encode(cycle)) is not None
            shown(Screen.RESULT)
            if cycle == 1:  # the brand's look and pictures, not the kiosk's own
                art = app.root.get_screen(Screen.RESULT.value).ids.art.source
                assert ".pictures" in art and app.theme["paper"] != THEME["paper"], art
        flow.start_over()
        shown(Screen.ATTRACT)
        if cycle == min(WARM, cycles):
            rss["warm"] = _rss_mb()
    rss["end"] = _rss_mb()
    print(json.dumps({
        "cycles": cycles, "spins": spins, "warm_cycles": min(WARM, cycles),
        "rss_warm_mb": rss["warm"], "rss_end_mb": rss["end"],
        "seconds": time.perf_counter() - began,
    }))  # fmt: skip
    app._stop()
    terminal.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else CYCLES)
