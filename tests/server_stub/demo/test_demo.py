"""`instore demo` as a newcomer runs it: the scripted day told to its end (after an earlier demo
was killed with -9, whose leftovers it stops first), Ctrl-C in the middle stopping every process
it started, and a taken port named with the option (or under make, the variable) that changes it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server_stub.demo import setup
from terminal.ledger import Ledger
from terminal.ledger_content import content_of
from tests.live import free_port

INSTORE = str(Path(sys.executable).parent / "instore")
READY = "Two stores, North Street"  # said once every process has started


@dataclass
class Run:
    code: int
    out: str
    err: str
    folder: Path


def _env() -> dict[str, str]:
    """No display, and not run by make (`make test` sets MAKELEVEL for pytest)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MAKELEVEL")}  # fmt: skip
    return env | {"PYTHONUNBUFFERED": "1"}


def _start(folder: Path, *options: str) -> subprocess.Popen[str]:
    words = [INSTORE, "demo", "--dir", str(folder), "--port", str(free_port()),
             "--bridge-port", str(free_port()), *options]  # fmt: skip
    return subprocess.Popen(words, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_env())  # fmt: skip


def _until(process: subprocess.Popen[str], words: str, timeout_s: float = 90) -> str:
    """What the demo printed up to the line holding `words`."""
    assert process.stdout is not None
    said = []
    deadline = time.monotonic() + timeout_s
    for line in process.stdout:
        said.append(line)
        if words in line:
            return "".join(said)
        assert time.monotonic() < deadline, "".join(said)
    raise AssertionError("the demo ended before saying " + words + ":\n" + "".join(said))


def _recorded(folder: Path) -> list[int]:
    pids = json.loads((folder / "pids.json").read_text())
    return [pids["demo"], *pids["children"].values()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[1].startswith("Z"))


def _all_gone(pids: list[int], wait_s: float = 15) -> list[int]:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, list[int]]]:
    """A demo killed with -9 once all it runs has started, then `--script --exit` in its folder."""
    folder = tmp_path_factory.mktemp("demo") / "demo"
    killed = _start(folder, "--script")
    try:
        _until(killed, READY)
        left = _recorded(folder)
    finally:
        killed.kill()
        killed.wait(10)
        assert killed.stdout is not None
        killed.stdout.close()
    done = subprocess.run(
        [INSTORE, "demo", "--script", "--exit", "--dir", str(folder), "--port", str(free_port()),
         "--bridge-port", str(free_port())],
        capture_output=True, text=True, timeout=180, env=_env(),
    )  # fmt: skip
    yield Run(done.returncode, done.stdout, done.stderr, folder), left
    for pid in _all_gone(left, 0):  # nothing of ours left behind, whatever a test said
        os.kill(pid, signal.SIGKILL)


def test_a_run_after_a_kill_9_stops_the_leftovers_first_and_starts_clean(
    day: tuple[Run, list[int]],
) -> None:
    run, left = day
    assert run.code == 0, run.out + run.err
    assert "Stopped what an earlier demo left running" in run.out
    assert "its server (pid" in run.out and "its bridge (pid" in run.out
    assert _all_gone(left) == []
    # a clean start: one conflict, the first claim number
    assert "conflict 1, code" in run.out and "(proposal 1)" in run.out


def test_the_scripted_day_is_told_as_a_store_manager_reads_it(day: tuple[Run, list[int]]) -> None:
    out = day[0].out
    assert "no gold" not in out.lower() and "warning" not in out.lower()
    assert "North Street till (the POS program through its bridge)" in out
    assert "South Mall kiosk: a shopper scans" in out
    assert "already redeemed at another store" in out  # online: refused at once
    # the outage: the same code in both stores, caught by the sync, resolved by two people
    # first is the till whose sync reached the server first: the demo's, or a till's scheduler
    north, south = "North Street (North till)", "South Mall (South till)"
    assert f"redeemed at {north} first, then at {south}" in out or (
        f"redeemed at {south} first, then at {north}" in out
    )
    assert "hal-helpdesk proposes" in out and "cam-manager, a second person, approves it" in out
    assert "North Street till, cashier ann: Redeemed offline (will sync): " in out
    assert "accepted_offline" not in out
    told = [line for line in out.splitlines() if "South Mall's till tells its manager" in line]
    for line in told:  # when South's till synced second (its scheduler may have been first)
        assert "redeemed here by bob at " in line and "by North till at " in line, line
        assert "was already redeemed at North Street" in line and "dev-" not in line, line
    assert "Voucher: MUSIC-DEMO-" in out
    # the gold coin: claimed from the kiosk's QR, verified, approved, dispatched, and told
    assert "/play/claim?code=" in out and "&mac=" in out
    (number,) = set(re.findall(r"CL-[0-9A-Z]{8}", out))
    assert f"files claim {number}" in out
    assert "1 claim dispatched" in out
    assert f"SMS to +919876543210: Your prize (claim {number}) is on its way with India Post" in out
    assert f"Email to asha@example.com: Claim {number}: your prize is on its way" in out
    # points at one partner, spent at another, and who owes whom
    assert "200 points spent; balance now 40" in out
    assert "Mobi Telecom (mobi) owes Volt Electronics (volt) 10.00 for 200 points" in out
    assert "You have 40 points." in out  # USSD
    assert "/dashboard/demo-phone" in out and "ann-admin / demo-ann-admin-2026" in out
    # the steps are numbered, not put at invented hours beside the real times the tills print
    assert "=== 2. The line to head office is down" in out
    assert not re.search(r"=== \d{1,2}:\d\d", out)


def test_the_kiosks_hold_the_prizes_names_in_the_shoppers_languages(
    day: tuple[Run, list[int]],
) -> None:
    run = day[0]
    assert "Its prizes are named and described in English, Hindi, Russian and Kazakh" in run.out
    ledger = Ledger(str(run.folder / "north-kiosk.db"))
    try:
        content = content_of(ledger, setup.CAMPAIGN)
    finally:
        ledger.close()
    assert content is not None and content.theme is not None
    assert content.tiers["silver"].name["ru"] == "Серебряная монета"
    assert content.tiers["music"].name["kk"] == "3 айлық музыкалық жазылым"


def test_after_the_day_it_says_what_to_try_with_codes_nobody_used(
    day: tuple[Run, list[int]],
) -> None:
    run = day[0]
    played, _, after = run.out.partition("What to try now:")
    assert after, run.out
    found = dict(re.findall(r"(gold|silver|music) (HV-[0-9A-Z-]+)", after.split("\n")[1]))
    tiers = setup.codes_by_tier(run.folder / "codes.csv")
    assert set(found) == {"gold", "silver", "music"}
    for tier, code in found.items():
        assert code in tiers[tier] and code not in played  # that prize, and not used by the day
    assert "/play/" in after and "/dashboard/demo-phone" in after
    assert "The kiosk's window needs a display" in after and "instore demo opens" in after


def test_ctrl_c_in_the_middle_stops_every_process_it_started(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    demo = _start(folder, "--script")
    try:
        _until(demo, READY)
        pids = _recorded(folder)
        assert len(pids) == 7  # the demo, server, bridge and four sync schedulers
        demo.send_signal(signal.SIGINT)
        out, _ = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode == 0, out
    assert "Everything the demo started has stopped." in out
    assert _all_gone(pids) == []
    assert not (folder / "pids.json").exists()


def test_a_taken_port_is_named_with_the_option_or_the_make_variable_to_change_it(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # typed as `instore demo`: the option; through `make demo` (MAKELEVEL set): its variable
        for option, make, change in (("--port", False, "--port N"),
                                     ("--bridge-port", True, "make demo BRIDGE_PORT=N")):  # fmt: skip
            other = "--bridge-port" if option == "--port" else "--port"
            run = subprocess.run(
                [INSTORE, "demo", "--script", "--exit", "--dir", str(tmp_path / "demo"),
                 option, str(port), other, str(free_port())],
                capture_output=True, text=True, timeout=60,
                env=_env() | ({"MAKELEVEL": "1"} if make else {}),
            )  # fmt: skip
            assert run.returncode == 2, run.stdout + run.stderr
            assert f"port {port} on 127.0.0.1 is taken" in run.stderr
            assert f"start the demo with {change} (another free port)" in run.stderr
    assert not (tmp_path / "demo").exists()  # nothing started, nothing made
