"""`instore terminal ...`: the offline engine from a shell, for store staff and scripts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from codes import campaign as campaign_file
from codes.common.cli import counted, emit, whole_number
from codes.common.errors import InstoreError
from terminal import status_text
from terminal.engine import Terminal
from terminal.ledger import Device, Ledger
from terminal.provision import provision
from terminal.results import Result, Status, exit_status

Runner = Callable[[argparse.Namespace], int]


Enroller = Callable[[Path, str, str], Device]
Opener = Callable[[Path], AbstractContextManager[Terminal]]


@contextmanager
def offline(path: Path, read_only: bool = False) -> Iterator[Terminal]:
    terminal = Terminal(path, read_only=read_only)
    try:
        yield terminal
    finally:
        terminal.close()


def register(
    parser: argparse.ArgumentParser, enroller: Enroller | None = None, opener: Opener = offline
) -> None:
    """The terminal's commands; `enroller` (from sync) makes `init --server --token` work, and
    `opener` (from sync too) opens an enrolled device online-first."""
    sub = parser.add_subparsers(dest="command", metavar="ACTION")
    sub.required = True

    def command(
        name: str, help_text: str, run: object, description: str = ""
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=description or help_text)
        p.add_argument("--db", required=True, type=Path, help="this device's ledger file")
        p.add_argument(
            "--json", action="store_true", help="one JSON object per result, one per line"
        )
        p.set_defaults(run=run, open_terminal=opener)
        return p

    init = command(
        "init", "set up this device's ledger", _initialiser(enroller),
        "Set up the ledger of a device. With --server and --token the device enrolls with the"
        " central server; for development and tests, --campaign loads a campaign and its key"
        " directly from a campaign file.",
    )  # fmt: skip
    init.add_argument("--server", help="central server address, e.g. http://10.0.0.5:8000")
    init.add_argument("--token", help="one-time enrollment token from the server's admin")
    init.add_argument("--campaign", type=Path, action="append", default=[], metavar="CAMPAIGN_FILE",
                      help="development: load this campaign and its key (may repeat)")  # fmt: skip
    init.add_argument("--device-name", default="", help="a name staff recognise, e.g. 'Till 2'")
    init.add_argument("--store", default="", help="store id, e.g. store-12")

    command("status", "is this device in sync: pending, conflicts, alerts", _status)

    for name, words in (
        ("check", "say what codes are, changing nothing"),
        ("redeem", "redeem codes"),
    ):
        p = command(name, words, _codes)
        p.add_argument("codes", nargs="*", metavar="CODE")
        p.add_argument("--from", dest="from_file", type=Path, metavar="FILE",
                       help="read codes from a file, one per line ('-' for standard input)")  # fmt: skip
        p.add_argument("--actor", default="", help="who is redeeming (cashier or kiosk name)")
        p.add_argument("--member", default="", help="loyalty member, if known")

    void = command(
        "void",
        "undo a redemption or a points event (refund)",
        _single(lambda t, a: t.void(a.event_id, a.reason, a.actor)),
    )
    void.add_argument(
        "event_id", metavar="CODE_OR_EVENT",
        help="the code as printed (its redemption here is undone), or an event id from --json",
    )  # fmt: skip
    void.add_argument("--reason", required=True, help="why, in a few words")
    void.add_argument("--actor", default="")

    accrue = command(
        "accrue",
        "give a member points for a purchase",
        _single(lambda t, a: t.accrue(a.member, a.amount, a.receipt, a.actor)),
    )
    accrue.add_argument("--member", required=True)
    accrue.add_argument("--amount", required=True, type=float, help="purchase amount")
    accrue.add_argument("--receipt", required=True, help="receipt id: a receipt earns once")
    accrue.add_argument("--actor", default="")

    spend = command(
        "spend",
        "exchange a member's points for an item",
        _single(lambda t, a: t.spend(a.member, a.points, a.item, a.actor)),
    )
    spend.add_argument("--member", required=True)
    spend.add_argument("--points", required=True, type=whole_number(1))
    spend.add_argument("--item", required=True)
    spend.add_argument("--actor", default="")

    balance = command(
        "balance",
        "a member's points",
        _single(lambda t, a: t.balance(a.member)),
    )
    balance.add_argument("--member", required=True)

    checkin = command(
        "checkin",
        "a member's visit bonus, once a day per store",
        _single(lambda t, a: t.checkin(a.member, a.actor)),
    )
    checkin.add_argument("--member", required=True)
    checkin.add_argument("--actor", default="")

    command("verify", "check that no event was removed or altered", _verify,
            "Check the ledger's signed event chain: exit 1 and name the first bad event"
            " when one was removed or altered.")  # fmt: skip


def _print(result: Result, as_json: bool) -> None:
    warn = "".join(f" WARNING: {w}" for w in result.warnings)
    emit(
        result.to_dict(),
        as_json,
        f"{result.code or result.member or ''} {result.status.value}: {result.message}{warn}".strip(),
    )


def _initialiser(enroller: Enroller | None) -> Runner:
    def run(args: argparse.Namespace) -> int:
        if args.server or args.token:
            if not (args.server and args.token):
                raise InstoreError("usage", "give both --server URL and --token TOKEN")
            if enroller is None:
                raise InstoreError("not_available", "enrolling needs the sync part of instore")
            device = enroller(args.db, args.server, args.token)
            campaigns = _campaign_ids(args.db)
        elif not args.campaign:
            raise InstoreError(
                "usage",
                "give --server URL and --token TOKEN (or, for development, --campaign FILE)",
            )
        else:
            loaded = [campaign_file.load(path) for path in args.campaign]
            device = provision(
                args.db, [(c, c.campaign_key()) for c in loaded], args.device_name, args.store
            )
            campaigns = [c.id for c in loaded]
        emit(
            {"device_id": device.device_id, "device_name": device.name, "store_id": device.store_id,
             "campaigns": campaigns},
            args.json,
            f"device {device.name} ({device.device_id}) ready with campaign(s) " + ", ".join(campaigns),
        )  # fmt: skip
        return 0

    return run


def _campaign_ids(path: Path) -> list[str]:
    ledger = Ledger(path)
    try:
        return ledger.campaign_ids()
    finally:
        ledger.close()


def _status(args: argparse.Namespace) -> int:
    terminal = Terminal(args.db, read_only=True)
    try:
        s = terminal.status()
    finally:
        terminal.close()
    text = "\n".join(status_text.lines(s))
    emit(s, args.json, text)
    return 0


def _read_codes(args: argparse.Namespace) -> Iterator[str]:
    yield from args.codes
    if args.from_file is not None:
        stream = (
            sys.stdin
            if str(args.from_file) == "-"
            else args.from_file.open(encoding="utf-8", errors="replace")
        )
        for line in stream:
            if line.strip():
                yield line.strip()


def _codes(args: argparse.Namespace) -> int:
    if not args.codes and args.from_file is None:
        raise InstoreError("usage", "give one or more codes, or --from FILE")
    all_ok = True
    # checking changes nothing, so it needs no server and works on a ledger nobody may write
    opened = (
        offline(args.db, read_only=True) if args.command == "check" else args.open_terminal(args.db)
    )
    with opened as terminal:
        for code in _read_codes(args):
            if args.command == "check":
                result = terminal.check(code)
                all_ok &= result.status is Status.VALID
            else:
                context = {"member": args.member} if args.member else {}
                result = terminal.redeem(code, actor=args.actor, context=context)
                all_ok &= result.ok
            _print(result, args.json)
    return 0 if all_ok else 1


def _single(action: Callable[[Terminal, argparse.Namespace], Result]) -> Runner:
    """A command that asks the terminal one thing and prints the answer."""

    def run(args: argparse.Namespace) -> int:
        with args.open_terminal(args.db) as terminal:
            result = action(terminal, args)
        _print(result, args.json)
        return exit_status(result.status)

    return run


def _verify(args: argparse.Namespace) -> int:
    ledger = Ledger(args.db, read_only=True)
    try:
        broken = ledger.verify_chain()
        count = ledger.event_count()
    finally:
        ledger.close()
    if broken is None:
        emit(
            {"ok": True, "events": count},
            args.json,
            f"chain intact: {counted(count, 'event')} verified",
        )
        return 0
    seq, why = broken
    emit({"ok": False, "first_bad_seq": seq, "reason": why}, args.json, f"chain broken: {why}")
    return 1
