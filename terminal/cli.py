"""`instore terminal ...`: the offline engine from a shell, for store staff and scripts."""

from __future__ import annotations

import argparse
import math
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
        "undo a redemption, a points event (refund) or a wheel prize not handed over",
        _single(lambda t, a: t.void(a.event_id, a.reason, a.actor)),
        "Undo a redemption, a points event (a refund) or a spin of the bonus wheel, on the device"
        " that made it. A wheel prize the shopper shows at the counter (the kiosk's screen gives"
        " its reference, e.g. W-1A2B-3C4D) is handed over with nothing to do here; when it cannot"
        " be handed over, void the spin by that reference: the member may spin again today and"
        " the prize goes back to the wheel.",
    )  # fmt: skip
    void.add_argument(
        "event_id", metavar="CODE_OR_EVENT",
        help="the code as printed (its redemption here is undone), a wheel spin's reference"
             " (W-1A2B-3C4D), or an event id from --json",
    )  # fmt: skip
    void.add_argument("--reason", required=True, help="why, in a few words")
    void.add_argument("--actor", default="")

    accrue = command(
        "accrue", "give a member points for a purchase",
        _single(lambda t, a: t.accrue(a.member, a.amount, a.receipt, a.actor, _basket(a))),
        "Give a member points for a purchase, by the store's earn rules. Some products may earn"
        " more or less than others (a partner's multipliers by product category): name what the"
        " basket held of them with --category, e.g. --category fuel=40 --category snacks=5.50;"
        " the rest of the amount counts once.",
    )  # fmt: skip
    accrue.add_argument("--member", required=True, help="card number or phone")
    accrue.add_argument("--amount", required=True, type=float, help="purchase amount")
    accrue.add_argument("--receipt", required=True, help="receipt id: a receipt earns once")
    accrue.add_argument("--actor", default="", help="who gives the points (cashier's name)")
    accrue.add_argument("--category", action="append", type=_category, default=[],
                        metavar="NAME=AMOUNT",
                        help="the amount spent on one product category, e.g. fuel=40 (may repeat)")  # fmt: skip

    spend = command(
        "spend", "exchange a member's points for an item", _spend,
        "Exchange a member's points for an item. A spend above the program's threshold needs"
        " the code texted to the member's phone: the first try texts it and says so; ask the"
        " member to read it out, then run the same spend again with --code DIGITS. Without the"
        " server such a spend cannot be confirmed and is refused.",
    )  # fmt: skip
    spend.add_argument("--member", required=True, help="card number or phone")
    spend.add_argument("--points", required=True, type=whole_number(1),
                       help="what the item costs in points")  # fmt: skip
    spend.add_argument("--item", required=True, help="the item, by its id in the prize catalogue")
    spend.add_argument("--actor", default="", help="who hands the item over (cashier's name)")
    spend.add_argument("--code", type=_digits, metavar="DIGITS",
                       help="the code the member was texted for this spend, as they read it out")  # fmt: skip

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

    spin = command(
        "spin",
        "spin the bonus wheel for a member (once a day after a check-in or a purchase here)",
        _single(lambda t, a: t.spin(a.member, a.campaign, a.actor)),
        "Spin the bonus wheel for a member. The outcome is this device's next one of the"
        " server's draw, never chance on the device; it needs no network. A member spins as"
        " many times a day as the wheel allows, after a check-in or a purchase here that day.",
    )  # fmt: skip
    spin.add_argument("--member", required=True)
    spin.add_argument("--campaign", help="the wheel's campaign (default: the one open wheel)")
    spin.add_argument("--actor", default="")

    command("verify", "check that no event was removed or altered", _verify,
            "Check the ledger's signed event chain: exit 1 and name the first bad event"
            " when one was removed or altered.")  # fmt: skip


def _print(result: Result, as_json: bool, next_step: str = "") -> None:
    """The result's sentence for people, after the code it is about; the status word (for
    scripts) only in --json."""
    warn = "".join(f" WARNING: {w}" for w in result.warnings)
    then = f" {next_step}" if next_step else ""
    code = f"{result.code}: " if result.code else ""
    emit(result.to_dict(), as_json, f"{code}{result.message}{then}{warn}".strip())


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


def _category(text: str) -> tuple[str, float]:
    """--category NAME=AMOUNT."""
    name, sep, amount = text.partition("=")
    try:
        value = float(amount.replace(",", "."))
    except ValueError:
        value = math.nan
    if not sep or not name.strip() or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r}: give a category as NAME=AMOUNT, e.g. fuel=40")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a category's amount is 0 or more")
    return name.strip(), value


def _basket(args: argparse.Namespace) -> dict[str, float] | None:
    """The --category amounts by name (a name given twice adds up); None without any."""
    basket: dict[str, float] = {}
    for name, amount in args.category:
        basket[name] = basket.get(name, 0.0) + amount
    return basket or None


def _digits(text: str) -> str:
    code = text.strip().replace(" ", "")
    if not code.isascii() or not code.isdigit() or len(code) > 12:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the member's code is the digits from their SMS, e.g. 123456"
        )
    return code


# after the terminal's own words, what a manager at a shell does next
_NEXT_STEP = {
    Status.NEEDS_CODE: "Then run this spend again with --code DIGITS.",
    Status.WRONG_CODE: "Run it again with the right --code, or without --code for a new one.",
}


def _spend(args: argparse.Namespace) -> int:
    with args.open_terminal(args.db) as terminal:
        result = terminal.spend(args.member, args.points, args.item, args.actor, args.code)
    _print(result, args.json, _NEXT_STEP.get(result.status, ""))
    return exit_status(result.status)


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
