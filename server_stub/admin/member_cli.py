"""`instore admin member`: members of the loyalty program as the contact centre and the helpdesk
see them: register one by phone, look one up by phone or card, block and unblock."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from codes.card_print import Fonts, write_card
from server_stub.loyalty import lots, member_cards, members

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]
Say = Callable[[argparse.Namespace, dict[str, Any], str], int]


def register(groups: Any, command: Command, say: Say) -> None:
    group = groups.add_parser(
        "member", help="loyalty members: register, look up, block"
    ).add_subparsers(dest="action", metavar="ACTION", required=True)

    def _add(engine: Engine, args: argparse.Namespace) -> int:
        with engine.begin() as conn:
            made, new = members.register(conn, args.phone, card=args.card, lang=args.lang,
                                         via="centre", now=time.time(),
                                         region=args.region)  # fmt: skip
        said = "registered" if new else "was already registered"
        return say(args, {**made.as_dict(), "new": new},
                   f"member {made.id} ({made.phone}{_card(made)}) {said}")  # fmt: skip

    p = command(
        group, "add",
        "register a member as the contact centre does. One phone is one member: a phone"
        " registered before (at a till, a kiosk, on the web or by USSD) gives back that member,"
        " and a card given to a member who has none is added to them",
        _add,
    )  # fmt: skip
    p.add_argument("--phone", required=True, metavar="P",
                   help="the member's mobile number, e.g. +77011234567 (with the country code;"
                   " without it, read as a number of --region)")  # fmt: skip
    p.add_argument("--card", metavar="C", help="the loyalty card's number, if they have one")
    p.add_argument("--lang", default="en", metavar="L",
                   help="the language of their texts and menus: en, hi, ru or kk (default en)")  # fmt: skip
    _region(p)

    def _show(engine: Engine, args: argparse.Namespace) -> int:
        with engine.connect() as conn:
            found = members.must_find(conn, args.member, args.region)
            held = lots.balance(conn, found.id, time.time())
        data = {**found.as_dict(), "available": held.available, "pending": held.pending,
                "expiring": [{"on": e.on.isoformat(), "points": e.points} for e in held.expiring]}  # fmt: skip
        return say(args, data, _describe(found, held))

    p = command(group, "show",
                "a member's phone, card, language, whether blocked, and their points: what"
                " they can spend, what still waits out the returns window, what expires when",
                _show)  # fmt: skip
    _member_arg(p)

    def _block(engine: Engine, args: argparse.Namespace) -> int:
        with engine.begin() as conn:
            found = members.must_find(conn, args.member, args.region)
            done = members.block(conn, found.id, args.reason, time.time())
        return say(args, done.as_dict(), f"member {done.id} ({done.phone}{_card(done)}) blocked:"
                   " they earn and spend nothing until unblocked")  # fmt: skip

    p = command(group, "block", "stop a member earning and spending points (a stolen card, a"
                " fraud inquiry); their points stay", _block)  # fmt: skip
    _member_arg(p)
    p.add_argument("--reason", required=True, help="why, for the helpdesk, e.g. 'card stolen'")

    def _unblock(engine: Engine, args: argparse.Namespace) -> int:
        with engine.begin() as conn:
            found = members.must_find(conn, args.member, args.region)
            done = members.unblock(conn, found.id)
        return say(args, done.as_dict(), f"member {done.id} ({done.phone}{_card(done)})"
                   " unblocked: they earn and spend again")  # fmt: skip

    p = command(group, "unblock", "let a blocked member earn and spend again", _unblock)
    _member_arg(p)

    def _print_card(engine: Engine, args: argparse.Namespace) -> int:
        from server_stub.play.web import FONTS  # the kiosk's fonts; here only: web loads FastAPI

        with engine.connect() as conn:
            face = member_cards.card_face(conn, args.phone, args.card, args.region)
        written = write_card(Path(args.out), face, Fonts(FONTS))
        return say(args, {"out": str(written), "qr": face.qr_text, "program": face.title,
                          "shown": face.shown},
                   f"card for {face.shown} written to {written} (its QR holds {face.qr_text})")  # fmt: skip

    p = command(
        group, "card",
        "write a member card to print: its QR (member: and the phone in international form,"
        " or the card number), the program's name and the member's number, mostly hidden. A"
        " bank card's size at 300 dpi, as a PNG, or a PDF to print at actual size. The kiosk's points"
        " screen and the tills read the QR",
        _print_card,
    )  # fmt: skip
    p.add_argument("--phone", required=True, metavar="P",
                   help="the member's mobile number, e.g. +919876543210")  # fmt: skip
    p.add_argument("--card", metavar="C",
                   help="put this card number in the QR instead of the phone (it must be the"
                   " member's card, see 'member add --card')")  # fmt: skip
    p.add_argument("--out", required=True, metavar="FILE",
                   help="where to write the card: card.png or card.pdf")  # fmt: skip
    _region(p)


def _member_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("member", metavar="PHONE_OR_CARD",
                   help="the member's phone in any form (+7 701 123 45 67) or card number")  # fmt: skip
    _region(p)


def _region(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", metavar="CC",
                   help="the country a number without its country code is from, e.g. KZ"
                   " (default: the program's, see 'program set --region'; else by --lang,"
                   " else IN)")  # fmt: skip


def _card(m: members.Member) -> str:
    return f", card {m.card}" if m.card else ""


def _describe(m: members.Member, held: lots.Balance) -> str:
    lines = [f"member {m.id}: {m.phone or '-'}{_card(m)}, language {m.lang}, registered by"
             f" {m.registered_via}"]  # fmt: skip
    if m.blocked is not None:
        lines.append(f"BLOCKED: {m.blocked_reason}")
    lines.append(f"{held.available:,} points to spend, {held.pending:,} waiting out the returns"
                 " window")  # fmt: skip
    lines += [f"{e.points:,} points expire on {e.on:%d %B %Y}" for e in held.expiring]
    return "\n".join(lines)
