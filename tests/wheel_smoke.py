"""The wheel, installed into a scratch virtual environment, runs a store from a folder away from
the checkout: the server migrates its database and shows the dashboard's sign-in page, a kiosk
enrolled with it runs headless and answers a code, and the redemption syncs to the server.

    .venv/bin/python -m tests.wheel_smoke      # CI runs it after `make test` (.ci/run)

Every check prints what it checks; the first that fails stops it, with what the command said,
and leaves the scratch folder to look into. Not collected by pytest: tests/test_wheel.py is the
fast check of the wheel's files.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.wheel_build import ROOT, build_wheel

COMMAND_TIMEOUT_S = 120
INSTALL_TIMEOUT_S = 900  # a fresh machine downloads Kivy, NumPy, ... once; pip caches them


class SmokeFailed(Exception):
    pass


STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"--- {time.monotonic() - STARTED:5.1f} s  {text}", flush=True)


class Store:
    """The scratch folder: the virtual environment, and the store's files beside it."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.venv = work / "venv"
        self.here = work / "store"  # every command runs here, so the checkout is not on sys.path
        self.here.mkdir(parents=True)
        home = work / "home"  # nothing of the machine's home (~/.kivy, ...) is read
        home.mkdir()
        self.env = {
            key: value for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
        }  # fmt: skip
        self.env.update(
            PATH=f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            HOME=str(home), KIVY_HOME=str(home / ".kivy"), XDG_CACHE_HOME=str(home / ".cache"),
            SDL_VIDEODRIVER="offscreen", KIVY_NO_ARGS="1",
        )  # fmt: skip

    def run(self, *args: str) -> str:
        """An installed command (`instore ...`, `python ...`), which must succeed."""
        program = str(self.venv / "bin" / args[0])
        done = subprocess.run(
            [program, *args[1:]], cwd=self.here, env=self.env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
        )  # fmt: skip
        out = done.stdout + done.stderr
        if done.returncode != 0 or "Traceback" in out:
            raise SmokeFailed(f"`{' '.join(args)}` exited {done.returncode}:\n{out}")
        return done.stdout

    def start(self, name: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        """An installed command in the background, its output to a log file."""
        log = self.work / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(self.venv / "bin" / args[0]), *args[1:]], cwd=self.here, env=self.env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return process, log


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, str, str]:
    """Status, content type and body; 0 when nothing answers yet."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            body = answer.read().decode("utf-8", "replace")
            return answer.status, answer.headers.get("content-type", ""), body
    except urllib.error.HTTPError as exc:
        return exc.code, "", ""
    except OSError:
        return 0, "", ""


def wait_for(
    what: str, ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, limit: float
) -> None:
    end = time.monotonic() + limit
    while not ready():
        if process.poll() is not None:
            raise SmokeFailed(f"{what}: it exited {process.returncode}:\n{log.read_text()}")
        if time.monotonic() > end:
            raise SmokeFailed(f"{what}: not within {limit:.0f} s:\n{log.read_text()}")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes], how: signal.Signals) -> int:
    if process.poll() is None:
        process.send_signal(how)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def install(store: Store) -> None:
    say("building the wheel from a clean copy of the checkout")
    wheel = build_wheel(store.work / "wheel")
    print(f"    {wheel.name}, {wheel.stat().st_size // 1024} KB")
    say("installing it with the server and kiosk extras into a scratch virtual environment")
    subprocess.run([sys.executable, "-m", "venv", str(store.venv)], check=True)
    done = subprocess.run(
        # --no-compile: a module is compiled when first imported, not all of NumPy and Kivy now
        [str(store.venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile",
         "-c", str(ROOT / "constraints.txt"), f"{wheel}[server,kiosk]"],
        capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
    )  # fmt: skip
    if done.returncode != 0:
        raise SmokeFailed(f"pip install failed:\n{done.stdout}{done.stderr}")
    where = store.run(
        "python", "-c", "import instore_cli, kiosk, server_stub; print(kiosk.__file__)"
    ).strip()
    if not where.startswith(str(store.venv)):
        raise SmokeFailed(f"kiosk imported from {where}, not from the scratch environment")
    print(f"    the kiosk runs from {Path(where).parent}")


def server_and_dashboard(store: Store) -> tuple[subprocess.Popen[bytes], str]:
    say("instore admin migrate: a new server database from the installed migrations")
    print("    " + store.run("instore", "admin", "--db", "server.db", "migrate").strip())
    store.run("instore", "codes", "new-campaign", "--id", "smoke-lids", "--prefix", "HV",
              "--out", "campaign.toml", "--tiers", "gold:1/10000,silver:1/100,music:*")  # fmt: skip
    store.run(
        "instore", "admin", "--db", "server.db", "campaign", "create", "--file", "campaign.toml"
    )
    store.run("instore", "admin", "--db", "server.db", "store", "create", "--id", "north",
              "--name", "North Street")  # fmt: skip
    store.run("instore", "admin", "--db", "server.db", "codes", "mint", "smoke-lids", "--count", "3",
              "--out", "codes.csv", "--png-dir", "qr")  # fmt: skip
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    say(f"instore server on {url}: GET /dashboard/login answers 200 with its form")
    server, log = store.start(
        "server", "instore", "server", "--db", "server.db", "--port", str(port)
    )
    wait_for("the server", lambda: get(f"{url}/v1/health")[0] == 200, server, log, 60)
    status, _type, page = get(f"{url}/dashboard/login")
    if status != 200 or "<form" not in page:
        raise SmokeFailed(f"GET /dashboard/login: {status}\n{page[:2000]}")
    status, kind, _css = get(f"{url}/dashboard/static/dashboard.css")
    if status != 200 or not kind.startswith("text/css"):
        raise SmokeFailed(f"GET /dashboard/static/dashboard.css: {status} {kind}")
    print("    the sign-in page and its style sheet: 200")
    return server, url


def kiosk(store: Store, url: str) -> None:
    say("a headless kiosk enrolled with the server scans a printed code and shows the reward")
    token = store.run("instore", "admin", "--db", "server.db", "device", "enroll", "--store",
                      "north", "--name", "Kiosk", "--token-only").strip()  # fmt: skip
    store.run("instore", "terminal", "init", "--db", "kiosk.db", "--server", url, "--token", token)
    code = (store.here / "codes.csv").read_text().splitlines()[1].split(",")[0]
    frames = store.here / "frames"
    frames.mkdir()
    shutil.copy(store.here / "qr" / f"{code}.png", frames / "pack.png")
    shots = store.here / "shots"
    app, log = store.start("kiosk", "instore", "kiosk", "--db", "kiosk.db", "--frames", "frames",
                           "--screenshots", "shots", "--size", "540x960")  # fmt: skip
    try:
        wait_for(
            "a screenshot of the reward", lambda: any(shots.glob("*-result.png")), app, log, 120
        )
    finally:
        code_at_exit = stop(app, signal.SIGINT)  # Ctrl-C, as a person stops it
    out = log.read_text()
    # a missing picture is only logged ("Image: Not found <path>"), the kiosk carries on
    if code_at_exit != 0 or any(sign in out for sign in ("Traceback", "Error", "Not found")):
        raise SmokeFailed(f"the kiosk (exit code {code_at_exit}) said:\n{out}")
    print(f"    screens shown: {', '.join(sorted(p.name for p in shots.glob('*.png')))}")
    say("the kiosk's redemption reaches the server")
    store.run("instore", "sync", "now", "--db", "kiosk.db")
    report = json.loads(store.run("instore", "admin", "--db", "server.db", "report",
                                  "redemptions", "--by", "store", "--json"))  # fmt: skip
    counted = [(row["key"], row["count"]) for row in report["rows"]]
    if counted != [("north", 1)]:
        raise SmokeFailed(f"the server counts {counted} redemptions by store, not north: 1")
    print("    1 redemption at North Street")


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    work = Path(tempfile.mkdtemp(prefix="instore-wheel-"))
    store = Store(work)
    server: subprocess.Popen[bytes] | None = None
    try:
        install(store)
        server, url = server_and_dashboard(store)
        kiosk(store, url)
    except (SmokeFailed, RuntimeError, subprocess.SubprocessError) as exc:
        print(f"FAILED: {exc}\n(the scratch folder is kept: {work})", file=sys.stderr, flush=True)
        return 1
    finally:
        if server is not None:
            stop(server, signal.SIGTERM)
    shutil.rmtree(work)
    print(f"the installed wheel runs a store ({time.monotonic() - STARTED:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
