"""The kiosk in a real Kivy window (headless): touches, frames, screenshots of every screen."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import zxingcpp
from PIL import Image

from codes.common.claim_link import ClaimLink, mac_matches
from codes.qr import write_png
from kiosk.flow import Flow
from kiosk.frames import FolderFrames, FrameReader
from kiosk.i18n import LANGUAGES
from kiosk.manager_lock import set_pin
from kiosk.screens.common import DEBOUNCE_S, KLabel
from kiosk.settings import KioskSettings
from terminal.config import TerminalConfig
from tests.kiosk.conftest import Clocks, StoreFactory, send_slice
from tests.kiosk.tour import CATALOGUE, TOUR_CONFIG, tour, tour_flow
from tests.kiosk.ui import ARTIFACTS, SIZE_VARIABLE, Ui


def _labels(ui: Ui) -> str:
    return "\n".join(w.text for w in ui.widgets(KLabel))


def claim_link_of(url: str) -> ClaimLink:
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return ClaimLink(query["code"], query["event"], query["device"], query["mac"])


def test_every_screen_in_every_language(make_store: StoreFactory) -> None:
    store = make_store(TOUR_CONFIG, name="tour", ask_details=True, claim_tiers="gold")
    clocks = Clocks()
    flow = tour_flow(store, clocks)
    ui = Ui(flow)
    try:
        for lang in LANGUAGES:
            tour(ui, store, clocks, lang, ARTIFACTS / lang)
            assert len(list((ARTIFACTS / lang).glob("*.png"))) >= 13
            # each picture's words beside it; without the program's content, a catalogue prize
            # keeps the catalogue's own name in every language
            listed = (ARTIFACTS / lang / "loyalty-member.txt").read_text(encoding="utf-8")
            assert "Cinema ticket" in listed.splitlines(), listed
    finally:
        ui.close()


def test_landscape_is_laid_out_too(tmp_path: Path) -> None:
    """Kivy sets a window's size once per process: the tour runs again in one of 1920x1080."""
    out = ARTIFACTS / "landscape"
    done = subprocess.run(
        [sys.executable, "-m", "tests.kiosk.tour", str(tmp_path), str(out)],
        env={**os.environ, SIZE_VARIABLE: "1920x1080"}, capture_output=True, text=True,
        timeout=300, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert len(list(out.glob("*.png"))) >= 13


def test_a_shopper_types_a_code_by_touch(make_store: StoreFactory) -> None:
    store = make_store(name="touch")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    ui = Ui(flow)
    try:
        ui.tap(ui.button(text="Type a code"))
        assert ui.screen.name == "type"
        symbols = store.code(9).replace("-", "")[2:]
        ui.tap(ui.key(symbols[0]), twice=True)  # one finger, reported twice: one symbol
        assert flow.entry.symbols == symbols[0]
        for previous, symbol in itertools.pairwise(symbols):
            if symbol == previous:
                time.sleep(DEBOUNCE_S)  # the same key again, at a person's pace
            ui.tap(ui.key(symbol))
        assert flow.entry.display() == store.code(9)
        check = ui.button(text="Check my code")
        assert not check.disabled
        ui.tap(check)
        ui.wait(lambda: ui.screen.name == "result")
        assert "You won!" in _labels(ui)
        assert flow.terminal.ledger.one("SELECT COUNT(*) AS n FROM events")["n"] == 1  # type: ignore[index]
        ui.tap(ui.button(text="Done"))
        assert ui.screen.name == "attract"
    finally:
        ui.close()


def test_a_pack_in_front_of_the_camera_redeems_once(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store(name="camera")
    frames = tmp_path / "frames"
    frames.mkdir()
    for n in range(30):
        write_png(store.code(12), frames / f"{n:03d}.png")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    ui = Ui(flow)
    reader = FrameReader(FolderFrames(frames, interval_s=0.01, loop=False), flow.code_seen)
    try:
        reader.start()
        ui.wait(lambda: reader.frames_read == 30 and ui.screen.name == "result", timeout=30)
        assert flow.redemptions == 1 and ui.app.shown.count("result") == 1
        rows = flow.terminal.ledger.read("SELECT payload FROM events WHERE kind = 'redeem'")
        assert len(rows) == 1 and store.code(12) in rows[0]["payload"]
        assert "You won!" in _labels(ui)
    finally:
        reader.stop()
        ui.close()


def test_the_pin_lock_holds_across_a_restart(make_store: StoreFactory) -> None:
    store = make_store(name="pin")
    terminal = store.open()
    set_pin(terminal.ledger, "2468")
    ui = Ui(Flow(terminal, KioskSettings(db=store.path)))
    try:
        corner = ui.screen.ids.corner
        ui.hold(corner, 2.2)
        assert ui.screen.name == "pin"
        for _ in range(5):  # a wrong PIN of four keys, so no key is pressed twice in a row
            for digit in "1357":
                ui.tap(ui.key(digit))
            time.sleep(DEBOUNCE_S)  # Enter again, at a person's pace
            ui.tap(ui.button(action="pin.enter"))
        assert "Locked for 5 min" in _labels(ui)
    finally:
        ui.close()
    restarted = store.open()  # the kiosk was switched off and on
    flow = Flow(restarted, KioskSettings(db=store.path))
    ui = Ui(flow)
    try:
        flow.open_pin()
        ui.wait(lambda: ui.screen.name == "pin")
        assert "Locked for 5 min" in _labels(ui)
        for digit in "2468":
            flow.manager.pin_key(digit)
        assert not flow.manager.pin_key("pin.enter")  # locked: even the right PIN
    finally:
        ui.close()


def test_details_and_points_by_touch_on_widgets_laid_out_once(make_store: StoreFactory) -> None:
    """The details and loyalty screens are laid out in kv: touches type, pick, tick and spend,
    and every redraw relabels the same widgets (none is made afresh)."""
    store = make_store(TerminalConfig(catalogue=CATALOGUE), name="desks", ask_details=True)
    flow = Flow(store.open(), KioskSettings(db=store.path, cities=("Delhi",)))
    ui = Ui(flow)
    try:
        flow.code_seen(store.code(3))
        ui.wait(lambda: ui.screen.name == "details")
        laid_out = list(ui.widgets())
        for digit in "9876543210":
            ui.tap(ui.key(digit))
        ui.tap(ui.button(action="25_34"))
        tick = ui.screen.ids.consent
        for _ in range(3):  # ticked, unticked, ticked
            ui.tap(tick)
            time.sleep(DEBOUNCE_S)
        assert flow.details.phone == "9876543210" and flow.details.answers == {"age_band": "25_34"}
        assert flow.details.consent and tick.active
        assert ui.button(action="25_34").chosen
        assert [id(w) for w in ui.widgets()] == [id(w) for w in laid_out]  # kept alive: ids differ
        ui.tap(ui.button(text="Continue"))
        ui.wait(lambda: ui.screen.name == "result")
        (payload,) = [r["payload"] for r in flow.terminal.ledger.read(
            "SELECT payload FROM events WHERE kind = 'redeem'")]  # fmt: skip
        assert '"consent": true' in payload and '"age_band": "25_34"' in payload

        ui.tap(ui.button(text="Done"))
        ui.tap(ui.button(text="My points"))
        assert ui.screen.name == "loyalty"
        for digit in "9876543210":
            ui.tap(ui.key(digit))
        ui.tap(ui.button(text="Show my points"))
        assert flow.loyalty.member == "+919876543210"
        check_in = ui.button(text="Check in")
        ui.tap(check_in)
        assert flow.loyalty.balance == 10
        flow.terminal.accrue("+919876543210", 1000.0, "r-1")
        flow.loyalty.refresh_balance()
        ui.app.redraw()
        ui.tap(ui.button(action="cap"))  # the prize's card
        assert flow.loyalty.confirming is not None and "Spend 50 points on Cap?" in _labels(ui)
        ui.tap(ui.button(text="Yes"))
        assert flow.loyalty.balance == 60 and "Cap" in _labels(ui)
        assert ui.button(text="Check in") is check_in  # the member's part came back as it was
    finally:
        ui.close()


def test_a_claim_win_shows_a_qr_a_phone_can_follow_in_every_language(
    make_store: StoreFactory,
) -> None:
    """The result screen as the shopper sees it: the claim QR read back from the screenshot by
    zxing-cpp, its link signed by this kiosk; a voucher large; no QR where there is no link."""
    store = make_store(TerminalConfig(play_url="https://play.example.com"), name="qr",
                       claim_tiers="gold")  # fmt: skip
    flow = Flow(store.open(), KioskSettings(db=store.path))
    send_slice(flow.terminal, *(f"MUSIC-{n}K7Q-PX2M" for n in range(len(LANGUAGES))))
    device = flow.terminal.device
    out = ARTIFACTS / "prizes"
    ui = Ui(flow)
    try:
        for n, lang in enumerate(LANGUAGES):
            flow.start_over()
            flow.set_language(lang)
            gold = store.code(store.serial_of_tier("gold", n))
            flow.code_seen(gold)
            ui.wait(lambda: ui.screen.name == "result")
            assert ui.screen.ids.qr.opacity == 1
            shot = ui.shot(out / f"{lang}-claim.png")
            found = zxingcpp.read_barcodes(Image.open(shot).convert("L"))
            claims = {
                r.text for r in found if "/play/claim" in r.text
            }  # one QR, read once or twice
            assert len(claims) == 1, [r.text for r in found]
            read = next(r for r in found if r.text in claims)
            link = claim_link_of(read.text)
            assert link.code == gold and link.device_id == device.device_id
            assert mac_matches(device.secret, link)
            if lang == "en":
                assert "Scan this with your phone to claim your prize" in _labels(ui)
            flow.start_over()  # a new shopper, who picks the same language
            flow.set_language(lang)
            flow.code_seen(store.code(store.serial_of_tier("music", n)))
            ui.wait(lambda: ui.screen.ids.voucher.text != "")
            assert ui.screen.ids.voucher.text == f"MUSIC-{n}K7Q-PX2M"
            assert ui.screen.ids.qr.opacity == 0
            assert flow.lang == lang
            ui.shot(out / f"{lang}-voucher.png")
    finally:
        ui.close()
