"""A kiosk that keeps itself running: the systemd unit `instore kiosk --install-service` writes,
the notify protocol the app speaks (ready, watchdog pings), and a kiosk killed mid-session after a
redemption that comes back on its attract screen with the redemption still in its ledger."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import service
from tests.kiosk.camera_clip import make_clip
from tests.kiosk.conftest import StoreFactory


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    """Where systemd would listen: a unix datagram socket whose path goes in NOTIFY_SOCKET."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(0.2)
    yield sock
    sock.close()


def received(sock: socket.socket) -> list[str]:
    got = []
    while True:
        try:
            got.append(sock.recv(4096).decode())
        except (TimeoutError, BlockingIOError):
            return got


def test_the_notify_protocol_reaches_systemds_socket(
    notify_socket: socket.socket, tmp_path: Path
) -> None:
    assert service.notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "notify")})
    assert received(notify_socket) == ["READY=1"]
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    abstract.bind(f"\0instore-test-{os.getpid()}")
    abstract.settimeout(0.2)
    with abstract:
        assert service.notify("WATCHDOG=1", {"NOTIFY_SOCKET": f"@instore-test-{os.getpid()}"})
        assert received(abstract) == ["WATCHDOG=1"]
    assert not service.notify("READY=1", {})  # not run by systemd: nothing to tell
    assert not service.notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "gone")})
    assert service.watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert service.watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert service.watchdog_interval({}) is None


def test_install_service_writes_a_unit_that_restarts_and_is_watched(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store(name="unit")
    units = tmp_path / "units"
    done = subprocess.run(
        [sys.executable, "-m", "instore_cli", "kiosk", "--db", str(store.path), "--fullscreen",
         "--lang", "hi", "--camera", "0", "--install-service", "--unit-dir", str(units), "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    unit = Path(answer["unit"])
    assert unit == units / service.UNIT_NAME and "enable --now instore-kiosk" in answer["turn_on"]
    text = unit.read_text()
    for line in ("Type=notify", "Restart=on-failure", f"WatchdogSec={service.WATCHDOG_S}",
                 "StartLimitIntervalSec=0"):  # fmt: skip
        assert line in text.splitlines(), line
    (exec_start,) = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    assert f"kiosk --db {store.path.resolve()} --lang hi" in exec_start
    assert "--fullscreen" in exec_start and "--camera 0" in exec_start
    assert "--install-service" not in exec_start and "--unit-dir" not in exec_start
    if shutil.which("systemd-analyze"):  # systemd's own reading of the file, where it is here
        checked = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                                 text=True, timeout=60)  # fmt: skip
        assert "instore-kiosk.service" not in checked.stderr, checked.stderr


def _kiosk(db: Path, shots: Path, notify: Path, *more: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "NOTIFY_SOCKET": str(notify),
           "WATCHDOG_USEC": "1000000"}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "instore_cli", "kiosk", "--db", str(db), "--screenshots",
         str(shots), "--size", "540x960", *more],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for(kiosk: subprocess.Popen[str], shots: Path, screen: str) -> None:
    deadline = time.monotonic() + 60
    while not list(shots.glob(f"*-{screen}.png")):
        assert kiosk.poll() is None, kiosk.communicate()
        assert time.monotonic() < deadline, f"no {screen} screen"
        time.sleep(0.1)


def test_a_kiosk_killed_mid_session_comes_back_to_its_attract_screen_with_nothing_lost(
    make_store: StoreFactory, tmp_path: Path, notify_socket: socket.socket
) -> None:
    store = make_store(name="crash")
    code = store.code(store.serial_of_tier("music"))
    clip = make_clip(code, tmp_path / "pack.avi")
    notify = tmp_path / "notify"
    first = tmp_path / "first"
    kiosk = _kiosk(store.path, first, notify, "--camera", str(clip.path))
    try:
        _wait_for(kiosk, first, "result")  # the pack was read and redeemed: the shopper's win
        time.sleep(1.2)  # the watchdog pings every half second
        kiosk.send_signal(signal.SIGKILL)  # a crash: no clean stop, nothing flushed on the way out
        kiosk.wait(30)
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
    told = received(notify_socket)
    assert told[0] == "READY=1" and told.count("WATCHDOG=1") >= 1, told
    assert "STOPPING=1" not in told

    ledger = sqlite3.connect(store.path)
    try:
        rows = ledger.execute("SELECT payload, state FROM events WHERE kind = 'redeem'").fetchall()
    finally:
        ledger.close()
    assert len(rows) == 1 and code in rows[0][0] and rows[0][1] == "pending"  # still to sync

    # systemd starts it again (here without the clip: a real camera's pack does not replay)
    second = tmp_path / "second"
    kiosk = _kiosk(store.path, second, notify)
    try:
        _wait_for(kiosk, second, "attract")
        time.sleep(0.5)
        assert [p.name for p in sorted(second.glob("*.png"))] == ["001-attract.png"]
        kiosk.send_signal(signal.SIGINT)
        _out, err = kiosk.communicate(timeout=30)
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
    assert kiosk.returncode == 0 and "Traceback" not in err, err
    assert received(notify_socket)[-1] == "STOPPING=1"  # a clean stop says so; no restart
    ledger = sqlite3.connect(store.path)
    try:
        (count,) = ledger.execute("SELECT COUNT(*) FROM events WHERE kind = 'redeem'").fetchone()
    finally:
        ledger.close()
    assert count == 1
