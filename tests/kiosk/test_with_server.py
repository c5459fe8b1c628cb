"""The kiosk against a real server over HTTP: conflicts on the manager's screen, an outage, and
`instore kiosk` itself as a process that stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from codes.qr import write_png
from kiosk.flow import Flow, Screen
from kiosk.i18n import Text, render
from kiosk.manager_lock import set_pin
from kiosk.runner import syncer_for
from kiosk.settings import KioskSettings
from server_stub.catalog import enrollment
from sync.enroll import enroll
from sync.online import OnlineDevice
from sync.scheduler import ScheduleSettings
from terminal.engine import Terminal
from tests.kiosk.ui import Ui
from tests.live import live_server
from tests.world import World

FAST = ScheduleSettings(interval_s=0.5, jitter_s=0.0, retry_s=0.2, after_operation_s=0.1)


def _enrolled(world: World, url: str, store: str, name: str) -> Path:
    made = enrollment.enroll_device(world.engine, store, name)
    path = world.tmp / f"{name.replace(' ', '-')}.db"
    enroll(path, url, made["token"])
    return path


def test_the_manager_sees_a_conflict_that_came_from_the_server(world: World) -> None:
    world.setup()
    code = world.code(42)
    with live_server(world.engine, world.service) as url:
        till = OnlineDevice(_enrolled(world, url, "s1", "Till A"), background=False)
        kiosk_path = _enrolled(world, url, "s2", "Kiosk B")
        offline_kiosk = Terminal(kiosk_path)  # no claimer: it redeems offline
        try:
            assert offline_kiosk.redeem(code).status == "accepted_offline"
            assert till.terminal.redeem(code).status == "accepted_online"
        finally:
            offline_kiosk.close()
            till.close()
        kiosk = OnlineDevice(kiosk_path, FAST)
        try:
            flow = Flow(kiosk.terminal, KioskSettings(db=kiosk_path))
            deadline = time.monotonic() + 20
            while not flow.manager.view().conflicts and time.monotonic() < deadline:
                time.sleep(0.1)
            (line,) = flow.manager.view().conflicts
            said = render(line, "en")  # the manager's lines are words of the kiosk's language
            assert code in said and "Till A" in said
            set_pin(kiosk.terminal.ledger, "2468")
            ui = Ui(flow)
            try:
                flow.open_pin()
                for digit in "2468":
                    flow.manager.pin_key(digit)
                flow.manager.pin_key("pin.enter")
                ui.wait(lambda: ui.screen.name == "manager")
                texts = [w.text for w in ui.screen.walk() if hasattr(w, "text")]
                assert any(code in t and "Till A" in t for t in texts)
                assert any("Conflicts" in t and ": 1" in t for t in texts)
            finally:
                ui.close()
        finally:
            kiosk.close()


def test_a_kiosk_whose_server_goes_away_keeps_accepting_and_says_so(world: World) -> None:
    world.setup()
    with live_server(world.engine, world.service) as url:
        path = _enrolled(world, url, "s1", "Kiosk")
        device = OnlineDevice(path, FAST)
        flow = Flow(device.terminal, KioskSettings(db=path), after_operation=device.after_operation,
                    before_operation=device.refresh)  # fmt: skip
        view = flow.code_seen(world.code(1))
        assert view is not None and view.status == "accepted_online"
        assert Text.of("result.offline") not in view.lines
        flow.manager.syncer = syncer_for(device)
        flow.manager.sync_now(wait=True)  # the manager's "sync now": progress, then the outcome
        outcome = flow.manager.sync_outcome
        assert outcome is not None and render(outcome, "en").startswith("Synced in")
        assert not flow.manager.syncing
    try:  # the server is gone
        flow.manager.sync_now(wait=True)
        outcome = flow.manager.sync_outcome
        assert outcome is not None and render(outcome, "en").startswith("Sync failed")
        view = flow.code_seen(world.code(2))
        assert view is not None and view.status == "accepted_offline" and view.won
        assert render(view.lines[0], "en").startswith("Confirmed on this kiosk")
        flow.start_over()
        assert flow.screen is Screen.ATTRACT and not flow.online
        flow.camera_ok = False
        ui = Ui(flow)
        try:
            words = [w.text for w in ui.screen.walk() if hasattr(w, "text")]
            assert any("offline" in t for t in words)
            assert any("camera is not working" in t for t in words)  # and the keypad still is
            assert any("Type a code" in t for t in words)
        finally:
            ui.close()
    finally:
        device.close()


def test_instore_kiosk_runs_syncs_and_stops_on_ctrl_c(world: World, tmp_path: Path) -> None:
    world.setup()
    frames, shots = tmp_path / "frames", tmp_path / "shots"
    frames.mkdir()
    write_png(world.code(77), frames / "001.png")
    with live_server(world.engine, world.service) as url:
        path = _enrolled(world, url, "s1", "Kiosk")
        kiosk = subprocess.Popen(
            [sys.executable, "-m", "instore_cli", "kiosk", "--db", str(path), "--frames",
             str(frames), "--screenshots", str(shots), "--size", "720x1280"],
            env={**os.environ, "SDL_VIDEODRIVER": "offscreen"}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not list(shots.glob("*-result.png")) and time.monotonic() < deadline:
                assert kiosk.poll() is None, kiosk.communicate()
                time.sleep(0.2)
            assert [p.name for p in sorted(shots.glob("*.png"))][:2] == [
                "001-attract.png", "002-result.png",
            ]  # fmt: skip
            kiosk.send_signal(signal.SIGINT)
            _out, err = kiosk.communicate(timeout=30)
        finally:
            if kiosk.poll() is None:
                kiosk.kill()
        assert kiosk.returncode == 0, err
        assert "Traceback" not in err and "ERROR" not in err
        with world.engine.connect() as conn:
            from sqlalchemy import select

            from server_stub.database.schema import claims

            assert conn.execute(select(claims).where(claims.c.serial == 77)).first() is not None
    ledger = sqlite3.connect(path)
    try:
        (online,) = ledger.execute(
            "SELECT COUNT(*) FROM events WHERE kind = 'redeem' AND offline = 0"
        ).fetchone()
    finally:
        ledger.close()
    assert online == 1  # redeemed online-first, and closed cleanly (the file opens)
