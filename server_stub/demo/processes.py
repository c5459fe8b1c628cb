"""The programs the demo starts: each `instore ...` in a process group of its own, its output in
a log file, every pid recorded in pids.json, so Ctrl-C, SIGTERM or the next run (after a
`kill -9` of this one) stops all of them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PIDS = "pids.json"


def instore() -> list[str]:
    """The `instore` command this demo runs as (the venv's script beside its Python)."""
    script = Path(sys.executable).parent / "instore"
    return [str(script)] if script.exists() else [sys.executable, "-m", "instore_cli"]


class Stopped(Exception):
    """Ctrl-C or SIGTERM: the demo winds down."""


def stop_on_signals() -> None:
    """SIGTERM ends the demo as Ctrl-C does: the children are stopped on the way out."""

    def stop(signum: int, frame: object) -> None:
        raise Stopped(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


@dataclass
class Children:
    """The processes this demo started, by name."""

    folder: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, words: Sequence[str], env: Mapping[str, str] | None = None,
              log: bool = True) -> subprocess.Popen[bytes]:  # fmt: skip
        """`instore WORDS` in the background, its own process group (Ctrl-C at the terminal
        reaches the demo only, which stops them in order), its output in NAME.log."""
        out = open(self.folder / f"{name}.log", "ab") if log else subprocess.DEVNULL  # noqa: SIM115
        try:
            process = subprocess.Popen(
                [*instore(), *words], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                env={**os.environ, **(env or {})}, start_new_session=True,
            )  # fmt: skip
        finally:
            if log and not isinstance(out, int):
                out.close()
        self.running[name] = process
        self.record()
        return process

    def record(self) -> None:
        pids = {name: p.pid for name, p in self.running.items() if p.poll() is None}
        (self.folder / PIDS).write_text(json.dumps({"demo": os.getpid(), "children": pids}))

    def stop(self, name: str, wait_s: float = 10.0) -> None:
        process = self.running.pop(name, None)
        if process is not None:
            _stop_group(process.pid, wait_s, process)
            self.record()

    def stop_all(self) -> None:
        """Every child, the newest first (the server last: the others talk to it)."""
        for name in reversed(list(self.running)):
            process = self.running[name]
            if process.poll() is None:
                _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name, process in list(self.running.items()):
            _stop_group(process.pid, max(0.1, deadline - time.monotonic()), process)
            del self.running[name]
        if self.folder.exists():
            (self.folder / PIDS).unlink(missing_ok=True)


def stop_leftovers(folder: Path) -> list[str]:
    """Processes an earlier demo recorded and left running (it was killed with -9): stopped,
    named; pids now owned by some other program are left alone."""
    try:
        recorded = json.loads((folder / PIDS).read_text())
    except (OSError, ValueError):
        return []
    said = []
    demo = recorded.get("demo")
    if isinstance(demo, int) and demo != os.getpid() and _is_instore(demo):
        _stop_one(demo)
        said.append(f"the earlier demo (pid {demo})")
    for name, pid in dict(recorded.get("children", {})).items():
        if isinstance(pid, int) and _is_instore(pid):
            _stop_group(pid, 10.0)
            said.append(f"its {name} (pid {pid})")
    return said


def wait_http(url: str, process: subprocess.Popen[bytes] | None, wait_s: float = 30.0) -> bool:
    """Whether `url` answered 200 before the process ended or `wait_s` passed."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    return False


def _is_instore(pid: int) -> bool:
    """Alive and running instore: a pid recorded long ago may belong to anyone by now."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # another user's: not ours
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return sys.platform != "linux"
    try:
        return b"instore" in cmdline.read_bytes()
    except OSError:
        return False


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _stop_one(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _stop_group(pid: int, wait_s: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """SIGTERM to the process group, then SIGKILL to what is left of it after `wait_s`."""
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process is not None:
            if process.poll() is not None:
                break
        elif not _alive(pid):
            break
        time.sleep(0.05)
    _signal_group(pid, signal.SIGKILL)  # whatever of the group is left (a child of a child)
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (ended, not yet reaped by its parent) is not running
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][:1] != "Z"
    except (OSError, IndexError):
        return True
