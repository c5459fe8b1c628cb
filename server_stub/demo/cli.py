"""`instore demo`: the whole store in one command, serving until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from codes.common.cli import whole_number
from server_stub.demo import guide, setup
from server_stub.demo.day import Day
from server_stub.demo.mailbox import Mailbox
from server_stub.demo.processes import (
    Children,
    Stopped,
    instore,
    stop_leftovers,
    stop_on_signals,
    wait_http,
)
from server_stub.demo.setup import Demo
from server_stub.serve_cli import port_taken

MARK = ".instore-demo"  # in the demo's folder: only such a folder is ever wiped


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the whole store on this computer: the central server with its dashboard, a demo"
        " campaign (1,000 codes and a PDF to print), two partners with a store each, a kiosk and"
        " a till in each store, the till's POS bridge, and a demo phone in the dashboard that"
        " shows every SMS and email sent. With a screen it opens the kiosk's window; without one,"
        " or with --script, it first plays a store's day step by step. Then it says what to try:"
        " an unused code of each prize for the shoppers' page, and who to sign in as."
        " It keeps running until Ctrl-C, which stops everything it started. Everything lives"
        " in --dir and is wiped at the next start."
    )
    parser.add_argument(
        "--script", action="store_true",
        help="play the scripted store day even when there is a screen (no kiosk window)",
    )  # fmt: skip
    parser.add_argument(
        "--exit", action="store_true",
        help="stop everything and exit once the day is played (for CI), instead of serving",
    )  # fmt: skip
    parser.add_argument("--port", type=whole_number(1), default=8765,
                        help="the central server's port (default 8765)")  # fmt: skip
    parser.add_argument("--bridge-port", type=whole_number(1), default=8781,
                        help="the North till's POS bridge's port (default 8781)")  # fmt: skip
    parser.add_argument(
        "--dir", default="instore-data/demo", metavar="DIR",
        help="the demo's folder: databases, codes, pictures, logs (default instore-data/demo);"
        " wiped at every start, so only a folder the demo made, or an empty one",
    )  # fmt: skip
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    if args.exit and not _scripted(args):
        args.script = True  # --exit means the day, to its end
    demo = Demo(Path(args.dir), args.port, args.bridge_port)
    leftovers = stop_leftovers(demo.folder)
    if leftovers:
        print(f"Stopped what an earlier demo left running: {', '.join(leftovers)}.", flush=True)
    refused = _refusal(demo)
    if refused:
        print(f"instore demo: {refused}", file=sys.stderr, flush=True)
        return 2
    shutil.rmtree(demo.folder, ignore_errors=True)
    demo.folder.mkdir(parents=True)
    (demo.folder / MARK).write_text("made by instore demo; wiped at its next start\n")
    children = Children(demo.folder)
    mailbox = Mailbox(demo.phone / "mail")
    stop_on_signals()
    try:
        return _play(args, demo, children, mailbox)
    except Stopped:
        print("\nStopping the demo: the server, the bridge, the devices' syncs...", flush=True)
        return 0
    finally:
        children.stop_all()
        mailbox.stop()
        if not children.running:
            print("Everything the demo started has stopped.", flush=True)


def _scripted(args: argparse.Namespace) -> bool:
    return bool(args.script) or not _has_screen()


def _has_screen() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _by_make() -> bool:
    """Whether `make demo` started the demo: make sets MAKELEVEL for the commands it runs."""
    return bool(os.environ.get("MAKELEVEL"))


def _refusal(demo: Demo) -> str:
    """Why the demo cannot start, before it starts anything ("" when it can)."""
    (server, change_server), (bridge, change_bridge) = _port_settings()
    if demo.port == demo.bridge_port:
        return f"{server} and {bridge} must differ"
    for port, change in ((demo.port, change_server), (demo.bridge_port, change_bridge)):
        taken = port_taken("127.0.0.1", port)
        if taken:
            return f"{taken}; start the demo with {change} (another free port)"
    # an earlier version's demo left no mark, but its campaign and server database
    made = any((demo.folder / name).exists() for name in (MARK, "campaign.toml", "server.db"))
    if demo.folder.exists() and any(demo.folder.iterdir()) and not made:
        return (f"{demo.folder} holds files the demo did not make, and the demo wipes its folder;"
                " choose another --dir")  # fmt: skip
    return ""


def _port_settings() -> tuple[tuple[str, str], tuple[str, str]]:
    """The server's and the bridge's port setting, each as named and as changed, the way the
    demo was started: `make demo`'s variables when make ran it, else the options."""
    if _by_make():
        return (("DEMO_PORT", "make demo DEMO_PORT=N"),
                ("BRIDGE_PORT", "make demo BRIDGE_PORT=N"))  # fmt: skip
    return ("--port", "--port N"), ("--bridge-port", "--bridge-port N")


def _play(args: argparse.Namespace, demo: Demo, children: Children, mailbox: Mailbox) -> int:
    started = time.monotonic()
    say = _say
    say("Setting up the demo store in " + str(demo.folder) + " ...")
    codes = setup.make_campaign(demo)
    say(f"Campaign 'Demo ice-cream lids': 1,000 codes ({demo.folder / 'codes.csv'}, which names"
        f" each code's prize) and their sheets to print ({demo.folder / 'codes.pdf'}): gold"
        f" {len(codes['gold'])}, silver {len(codes['silver'])}, music {len(codes['music'])}.")  # fmt: skip
    setup.prepare_server(demo)
    say(f"Its prizes are named and described in English, Hindi, Russian and Kazakh, in the"
        f" brand's colours with its logo and pictures ({setup.CONTENT}).")  # fmt: skip
    mailbox.start()
    server = children.start("server", demo.server_words(mailbox.address))
    if not wait_http(f"{demo.url}/v1/health", server):
        return _failed(demo, "server")
    say(f"The central server is up at {demo.url}/dashboard/ (log: {demo.folder / 'server.log'}).")
    setup.enroll_devices(demo)
    token = setup.start_bridge(demo, children)
    if not wait_http(f"{demo.bridge}/openapi.json", children.running["bridge"]):
        return _failed(demo, "bridge")
    scripted = _scripted(args)
    synced = [d for d in setup.DEVICES if scripted or d != "north-kiosk"]
    setup.start_schedulers(demo, children, synced)
    pictures = setup.write_pictures(demo, codes)
    say(f"Two stores, North Street (Mobi Telecom) and South Mall (Volt Electronics), each with a"
        f" kiosk and a till; the North till's POS bridge at {demo.bridge}. Ready in"
        f" {time.monotonic() - started:.0f} s.")  # fmt: skip
    if scripted:
        Day(demo, children, codes, token, mailbox.address, _say).play()
    else:
        _what_to_try(demo, pictures)
        _open_kiosk(demo, children, pictures)
    _serving(demo)
    command = "make demo" if _by_make() else "instore demo"
    for line in guide.things_to_try(demo, codes, command, window=not _has_screen()):
        print(line, flush=True)
    if args.exit:
        return 0
    return _serve(demo, children)


def _what_to_try(demo: Demo, pictures: dict[str, Path]) -> None:
    folder = pictures["gold"].parent
    _say(f"The kiosk's camera reads the pictures in {demo.folder / 'camera'}; packs to show it,"
         f" in {folder}: " + ", ".join(p.name for p in pictures.values())
         + f". The North manager's PIN is {setup.MANAGER_PIN} (hold the top right corner).")  # fmt: skip


def _open_kiosk(demo: Demo, children: Children, pictures: dict[str, Path]) -> None:
    camera = demo.folder / "camera"
    camera.mkdir(exist_ok=True)
    shutil.copy(pictures["silver"], camera / "pack.png")
    subprocess.run(
        [*instore(), "kiosk", "--db", demo.ledger("north-kiosk"), "--set-pin"],
        input=setup.MANAGER_PIN, text=True, capture_output=True, check=True,
    )  # fmt: skip
    children.start("kiosk", ["kiosk", "--db", demo.ledger("north-kiosk"), "--frames", str(camera),
                             "--size", "720x1280"], env={"KIVY_NO_ARGS": "1"})  # fmt: skip


def _serving(demo: Demo) -> None:
    lines = [
        f"The dashboard: {demo.url}/dashboard/ ; the demo phone (every SMS and email sent):"
        f" {demo.url}/dashboard/demo-phone ; shoppers' codes on a phone: {demo.url}/play/",
        "Sign in as:",
        *(f"    {u} / {setup.password(u)} ({what})" for u, _, _, what in setup.USERS),
    ]
    for line in lines:
        print(line, flush=True)


def _serve(demo: Demo, children: Children) -> int:
    _say("The store is open. Ctrl-C stops the demo and everything it started.")
    kiosk_said = False
    while True:
        server = children.running.get("server")
        if server is not None and server.poll() is not None:
            return _failed(demo, "server")
        kiosk = children.running.get("kiosk")
        if kiosk is not None and kiosk.poll() is not None and not kiosk_said:
            kiosk_said = True
            _say("The kiosk's window is closed; the server and the tills keep running until"
                 " Ctrl-C.")  # fmt: skip
        time.sleep(0.5)


def _failed(demo: Demo, name: str) -> int:
    log = demo.folder / f"{name}.log"
    tail = log.read_text(errors="replace").strip().splitlines()[-5:] if log.exists() else []
    print(f"instore demo: the {name} stopped; its log {log} ends:", file=sys.stderr)
    for line in tail:
        print(f"    {line}", file=sys.stderr)
    return 1


def _say(words: str) -> None:
    print(words, flush=True)
