"""`instore kiosk`: the shopper's kiosk on a tablet, and its manager PIN."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import phonenumbers

from codes.common.cli import emit
from codes.common.errors import InstoreError
from codes.qr_read import DECODERS
from kiosk.i18n import LANGUAGES
from kiosk.settings import KioskSettings


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        size = (0, 0)
    if not sep or min(size) < 320:
        raise argparse.ArgumentTypeError(f"{text!r}: give WIDTHxHEIGHT, e.g. 1080x1920")
    return size


def _country(text: str) -> str:
    code = text.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise argparse.ArgumentTypeError(f"{text!r}: give a two-letter country code, e.g. IN or KZ")
    return code


def _camera(text: str) -> int | Path:
    """A camera's number, or a video file's path."""
    return int(text) if text.strip().isdigit() else Path(text)


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "The shopper's kiosk: scan a code (camera or scanner) or type it, see the reward. A long"
        " press in the top right corner and the manager PIN open the store manager's screen."
        " When the ledger is enrolled with a server, redemptions are online-first and the kiosk"
        " syncs in the background. Ctrl-C or closing the window stops it cleanly."
    )
    parser.add_argument("--db", type=Path, required=True, help="this kiosk's ledger file")
    parser.add_argument("--fullscreen", action="store_true", help="fill the screen")
    parser.add_argument("--size", type=_size, default=(1080, 1920), metavar="WxH",
                        help="window size, e.g. 1080x1920 (portrait, the default) or 1920x1080")  # fmt: skip
    parser.add_argument("--lang", choices=LANGUAGES, default="en",
                        help="the language a shopper first sees (they can switch on any screen)")  # fmt: skip
    parser.add_argument("--frames", type=Path, metavar="DIR",
                        help="read the pictures in this folder as the camera, about one a second")  # fmt: skip
    parser.add_argument("--camera", type=_camera, metavar="N|FILE",
                        help="the camera to read codes from: its number (0 is the first camera) or"
                        " a video file played as the camera, e.g. a recorded clip of a pack held"
                        " to the lens (needs the 'camera' extra)")  # fmt: skip
    parser.add_argument("--decoder", choices=DECODERS, default="zxing", help="QR decoder")
    parser.add_argument("--country", default="IN", type=_country, metavar="CC",
                        help="the store's country, for reading phone numbers (default IN)")  # fmt: skip
    parser.add_argument("--cities", default="", metavar="NAMES",
                        help='cities a shopper may pick on the details screen, e.g. "Delhi,Mumbai"')  # fmt: skip
    parser.add_argument("--screenshots", type=Path, metavar="DIR",
                        help="save a picture of every screen as it is shown, and beside each a"
                        " .txt of every text on that screen, top to bottom (for checks and a"
                        " translator's review)")  # fmt: skip
    parser.add_argument("--set-pin", action="store_true",
                        help="set the manager PIN (4 or more digits, read from standard input)"
                        " and exit")  # fmt: skip
    parser.add_argument("--install-service", action="store_true",
                        help="write a systemd unit that starts this kiosk with the options given"
                        " here, restarts it if it crashes or hangs, and exit (docs/kiosk.md says"
                        " how to turn it on and lock the screen to the kiosk)")  # fmt: skip
    parser.add_argument("--unit-dir", type=Path, metavar="DIR",
                        help="with --install-service: the folder to write it to (default"
                        " ~/.config/systemd/user, or /etc/systemd/system as root)")  # fmt: skip
    parser.add_argument("--json", action="store_true",
                        help="with --set-pin or --install-service: answer as JSON")  # fmt: skip
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    if args.frames is not None and not args.frames.is_dir():
        raise InstoreError("no_frames", f"--frames {args.frames}: no such folder")
    if isinstance(args.camera, Path) and not args.camera.is_file():
        raise InstoreError(
            "no_camera_file",
            f"--camera {args.camera}: no such video file (or give a camera number)",
        )
    if args.set_pin:
        return _set_pin(args)
    if args.install_service:
        return _install_service(args)
    from kiosk import runner  # Kivy only when a window is wanted

    settings = KioskSettings(
        db=args.db, lang=args.lang, size=args.size, fullscreen=args.fullscreen,
        frames=args.frames, camera=args.camera, decoder=args.decoder,
        screenshots=args.screenshots, country=args.country,
        cities=tuple(c.strip() for c in args.cities.split(",") if c.strip()),
    )  # fmt: skip
    return runner.run(settings)


def _set_pin(args: argparse.Namespace) -> int:
    from kiosk.manager_lock import set_pin
    from terminal.ledger import Ledger

    pin = sys.stdin.readline().strip()
    ledger = Ledger(args.db)
    try:
        set_pin(ledger, pin)
    except ValueError as exc:
        raise InstoreError("bad_pin", str(exc)) from None
    finally:
        ledger.close()
    emit({"pin_set": True}, args.json, "manager PIN set; the lock is cleared")
    return 0


def _kiosk_command(args: argparse.Namespace) -> list[str]:
    """This kiosk's command line as the service runs it: absolute paths, no one-off options."""
    instore = Path(sys.executable).with_name("instore")
    command = [str(instore)] if instore.is_file() else [sys.executable, "-m", "instore_cli"]
    command += ["kiosk", "--db", str(args.db.resolve()), "--lang", args.lang,
                "--size", "x".join(map(str, args.size)), "--decoder", args.decoder,
                "--country", args.country]  # fmt: skip
    if args.fullscreen:
        command.append("--fullscreen")
    if args.frames is not None:
        command += ["--frames", str(args.frames.resolve())]
    if args.camera is not None:
        camera = args.camera.resolve() if isinstance(args.camera, Path) else args.camera
        command += ["--camera", str(camera)]
    if args.cities:
        command += ["--cities", args.cities]
    return command


def _install_service(args: argparse.Namespace) -> int:
    from kiosk.service import UNIT_NAME, install

    root = os.geteuid() == 0
    try:
        path = install(_kiosk_command(args), args.unit_dir, os.environ.get("SUDO_USER", ""))
    except OSError as exc:
        raise InstoreError("unit_not_written", f"cannot write the unit: {exc}") from None
    scope = "" if root else " --user"
    turn_on = f"systemctl{scope} daemon-reload && systemctl{scope} enable --now {UNIT_NAME}"
    emit({"unit": str(path), "turn_on": turn_on}, args.json,
         f"wrote {path}\nturn it on (now and at every start): {turn_on}")  # fmt: skip
    return 0
