"""`instore pos ...`: the till's console, its loopback bridge for the POS, its token, pictures."""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from codes.common.cli import emit, whole_number
from codes.qr_read import DECODERS
from pos_plugin.settings import DEFAULT_PORT, PosSettings


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "The cashier's till. Without an action: the console, where a scanned or typed code goes"
        " into the basket ('check CODE' only says what a code is) and 'pay RECEIPT TOTAL'"
        " redeems what it holds; 'help' lists the rest. 'serve' runs the bridge a POS program"
        " calls over loopback HTTP."
    )
    parser.add_argument("--db", type=Path, help="this till's ledger file (for the console)")
    _till_options(parser)
    parser.set_defaults(run=_console)
    sub = parser.add_subparsers(dest="command", metavar="ACTION")

    serve = sub.add_parser(
        "serve", help="run the bridge a POS program calls (this machine only)",
        description="Serve the till to the POS program on 127.0.0.1: scan, checkout, apply, pay,"
        " cancel, refund, member, spend and status, as JSON (OpenAPI at /openapi.json). Every"
        " call needs 'Authorization: Bearer TOKEN' with the token 'instore pos token' shows.",
    )  # fmt: skip
    serve.add_argument("--db", type=Path, required=True, help="this till's ledger file")
    serve.add_argument("--port", type=whole_number(1), default=DEFAULT_PORT,
                       help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")  # fmt: skip
    _till_options(serve)
    serve.set_defaults(run=_serve)

    token = sub.add_parser(
        "token", help="show the token the POS program must send to the bridge",
        description="Print this till's bridge token; the POS program sends it as"
        " 'Authorization: Bearer TOKEN'. --rotate makes a new one and the old one stops working.",
    )  # fmt: skip
    token.add_argument("--db", type=Path, required=True, help="this till's ledger file")
    token.add_argument("--rotate", action="store_true", help="replace the token")
    token.add_argument("--json", action="store_true", help='answer {"token": ...}')
    token.set_defaults(run=_token)

    images = sub.add_parser(
        "scan-image", help="read the code in each picture and say what it is",
        description="For each picture (PNG, JPEG...), in the order given: the code it shows and"
        " whether it can be redeemed here. A picture without a readable code says no_code.",
    )  # fmt: skip
    images.add_argument("--db", type=Path, required=True, help="this till's ledger file")
    images.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    images.add_argument("--json", action="store_true", help="one JSON object per picture")
    _till_options(images)
    images.set_defaults(run=_scan_images)


def _till_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cashier", default="", help="who is at the till (limits count per cashier)"
    )
    parser.add_argument("--decoder", choices=DECODERS, default="zxing",
                        help="QR decoder for pictures (default zxing)")  # fmt: skip


def _settings(args: argparse.Namespace) -> PosSettings:
    port = getattr(args, "port", DEFAULT_PORT)
    return PosSettings(cashier=args.cashier, decoder=args.decoder, port=port)


def _console(args: argparse.Namespace) -> int:
    from pos_plugin.checkout import Till
    from pos_plugin.console import CashierConsole

    if args.db is None:
        from codes.common.errors import InstoreError

        raise InstoreError(
            "usage", "say which till: instore pos --db FILE (see 'instore pos --help')"
        )
    till = Till.open(args.db, _settings(args))
    try:
        CashierConsole(till, stdin=None if sys.stdin.isatty() else sys.stdin).cmdloop()
    finally:
        till.close()
    return 0


def _serve(args: argparse.Namespace) -> int:
    from pos_plugin.bridge import Bridge
    from pos_plugin.checkout import Till
    from pos_plugin.http_server import BridgeServer
    from pos_plugin.token import bridge_token
    from sync.cli import describe
    from sync.cycle import CycleReport

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", stream=sys.stdout)
    log = logging.getLogger("instore.pos")
    log.setLevel(logging.INFO)

    def synced(report: CycleReport) -> None:
        if not report.ok or report.pushed or any(report.pulled.values()):
            log.info("sync: %s", describe(report))

    settings = _settings(args)
    till = Till.open(args.db, settings, on_sync=synced)
    bridge_token(till.terminal.ledger)  # made now, so the POS can be given it
    try:
        server = BridgeServer(Bridge(till), settings.host, settings.port)
    except OSError as exc:
        till.close()
        taken = exc.errno == errno.EADDRINUSE
        why = "is taken by another program" if taken else f"cannot be used ({exc.strerror})"
        print(f"instore pos serve: port {settings.port} on {settings.host} {why}; start the"
              " bridge on another with --port N", file=sys.stderr)  # fmt: skip
        return 2

    def finish(_signal: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, finish)
    print(f"till bridge on {server.url} (token: instore pos token --db {args.db})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        till.close()
    return 0


def _token(args: argparse.Namespace) -> int:
    from pos_plugin.token import bridge_token
    from terminal.ledger import Ledger

    ledger = Ledger(args.db)
    try:
        token = bridge_token(ledger, rotate=args.rotate)
    finally:
        ledger.close()
    emit({"token": token}, args.json, token)
    return 0


def _scan_images(args: argparse.Namespace) -> int:
    from pos_plugin.answers import NOT_READABLE
    from pos_plugin.checkout import Till
    from terminal.results import exit_status

    till = Till.open(args.db, _settings(args), sync=False)
    worst = 0  # 0 every picture holds a valid code, 1 one was refused, 2 one could not be read
    try:
        for image in args.images:
            code, unreadable = till.read(image)
            answer = unreadable if unreadable is not None else till.scan(code or "")
            shown = answer.code or code
            data = {"image": str(image), "code": shown, "status": answer.status}
            emit(data, args.json, f"{image}: {shown or '-'}  {answer.message}")
            status = 2 if answer.status == NOT_READABLE else exit_status(answer.status)
            worst = max(worst, status)
    finally:
        till.close()
    return worst
