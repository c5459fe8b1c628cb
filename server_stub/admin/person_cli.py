"""`instore admin person ...`: one person's data, found by their phone (or a loyalty member's
card), exported or erased on request; and `instore admin documents purge`: claim documents deleted once their job is done.
The work is in `prizes/person_export.py`, `prizes/person_erase.py` and `prizes/retention.py`;
docs/privacy.md says what is kept."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import phonenumbers
from sqlalchemy import Engine

from codes.common.cli import counted, whole_number
from codes.common.errors import InstoreError
from server_stub.errors import ApiError
from server_stub.loyalty.members import normalise_card
from server_stub.prizes import person_erase, person_export, person_member, retention
from server_stub.prizes.documents import DocumentStore, store_for
from server_stub.prizes.person_rows import named
from server_stub.settings import ServerSettings

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]


def register(groups: Any, command: Command) -> None:
    people = groups.add_parser(
        "person",
        help="one person's data, found by their phone or loyalty card: export it, or erase it on"
        " request",
    ).add_subparsers(dest="action", metavar="ACTION", required=True)
    p = command(
        people, "export",
        "everything the server holds about one phone number (or loyalty card), in one JSON:"
        " each prize claim"
        " (name, address, email, ID and invoice numbers, city, status, every step and who took"
        " it, the documents' details), the messages sent to them, the codes they entered and"
        " the vouchers given, their loyalty membership (card, language, when they joined, each"
        " purchase's points with partner, store and dates, their spends, wheel spins and USSD"
        " sessions), and how many one-time passwords, visits and attempts are on record. Give"
        " it to the person who asked; with --out, their documents too",
        _export,
    )  # fmt: skip
    _person_flags(p)
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="also copy their documents (ID card, invoice) into this folder, which is"
                   " made readable by you alone; the JSON names each file")  # fmt: skip
    _documents_flag(p)
    p = command(
        people, "erase",
        "erase one person on their request: their name, address, email, ID and invoice numbers,"
        " city, phone and loyalty card number leave every table, their documents are deleted"
        " and messages not yet sent are cancelled. Their claims stay as numbers and steps, and"
        " their loyalty points' records stay under their member number, so counts, the"
        " partners' settlement and the audit trail stay whole; a claim not yet decided is"
        " withdrawn. Without --yes it only says what it would erase. Refused unless --force: a"
        " prize being shipped (approved or dispatched), or a member with points left (erasure"
        " forfeits them). A number or card the server does not know is refused",
        _erase,
    )  # fmt: skip
    _person_flags(p)
    p.add_argument("--yes", action="store_true",
                   help="really erase (it cannot be undone)")  # fmt: skip
    p.add_argument("--force", action="store_true",
                   help="erase even while a prize is being shipped to them (the parcel may"
                   " then not arrive), or while they have loyalty points left (they lose"
                   " them)")  # fmt: skip
    p.add_argument("--by", default="", metavar="NAME",
                   help="who carries out the request, for each claim's timeline (default: your"
                   " login name)")  # fmt: skip
    _documents_flag(p)

    documents = groups.add_parser(
        "documents", help="the documents winners sent with prize claims"
    ).add_subparsers(dest="action", metavar="ACTION", required=True)
    p = command(
        documents, "purge",
        "delete the documents (ID cards, invoices) of prize claims delivered, or last"
        " rejected, more than --days ago; each claim keeps its steps and a line saying so. The"
        " server does this by itself every hour; run it by hand after changing --days. Safe to"
        " run again: what is gone stays gone",
        _purge,
    )  # fmt: skip
    p.add_argument("--days", type=whole_number(0), default=retention.KEEP_DAYS, metavar="DAYS",
                   help=f"keep documents this many days after delivery or rejection"
                   f" (default {retention.KEEP_DAYS})")  # fmt: skip
    _documents_flag(p)


def _person_flags(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--phone", type=_phone, metavar="NUMBER",
                       help="their phone number with its country code, e.g. +919876543210"
                       " (spaces do not matter)")  # fmt: skip
    which.add_argument("--card", type=_card, metavar="CARD",
                       help="instead of --phone, the number on their loyalty card, e.g. ZQ55"
                       " AA77 (spaces, dashes and case do not matter): for a member who gave no"
                       " phone. A card whose member has a phone finds everything held about that"
                       " phone too")  # fmt: skip


def _documents_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--documents-dir", metavar="DIR",
                   help="where the server keeps claim documents, if not the default (a folder"
                   " beside the SQLite database, server.db.documents; ./instore-documents with"
                   " PostgreSQL; or INSTORE_DOCUMENTS_DIR): the same as instore server's"
                   " --documents-dir")  # fmt: skip


def _phone(text: str) -> str:
    """+919876543210 from "+91 98765 43210": the form every table keeps a phone in."""
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise argparse.ArgumentTypeError(
            f"{text!r}: write the number with + and its country code, e.g. +919876543210"
        ) from None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _card(text: str) -> str:
    """ZQ55AA77 from "zq55 aa-77": the form `members` keeps a card in."""
    try:
        return normalise_card(text)
    except ApiError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a card number is the 4 to 32 letters and digits printed on the card"
        ) from None


def _key(engine: Engine, args: argparse.Namespace) -> str:
    """What the person is found by: their phone, or the card's member's phone (said on stderr,
    so the manager knows whose data it is), or the card of a member without one."""
    if args.phone:
        return str(args.phone)
    phone = person_member.phone_of_card(engine, args.card)
    if phone is None:
        return str(args.card)
    print(f"card {args.card} is the loyalty card of {phone}: everything held about that phone"
          " is included", file=sys.stderr, flush=True)  # fmt: skip
    return phone


def _store(args: argparse.Namespace) -> DocumentStore:
    settings = ServerSettings.from_environment()
    if args.documents_dir:
        settings = dataclasses.replace(settings, documents_dir=args.documents_dir)
    return store_for(settings, args.db)


def _export(engine: Engine, args: argparse.Namespace) -> int:
    store = _store(args) if args.out else None
    key = _key(engine, args)
    data = person_export.export(engine, key, store, args.out)
    print(json.dumps(data, default=str, ensure_ascii=False, indent=None if args.json else 2))
    if not args.json:
        copied = sum("file" in d for c in data["claims"] for d in c["documents"])
        where = f"; {counted(copied, 'document')} copied to {args.out}" if args.out else ""
        member = data["member"]
        joined = (
            f"; loyalty member {member['id']}: {counted(len(member['lots']), 'purchase')} with"
            f" points, {counted(len(member['spends']), 'spend')} of a purchase's points,"
            f" {counted(len(member['wheel_spins']), 'wheel spin')},"
            f" {member['points_left']} points left"
            if member
            else ""
        )
        print(f"{counted(len(data['claims']), 'claim')} of {named(key)}{joined}{where}",
              file=sys.stderr)  # fmt: skip
    return 0


def _erase(engine: Engine, args: argparse.Namespace) -> int:
    key = _key(engine, args)
    if not args.yes:
        plan = person_erase.plan(engine, key)
        if not plan["known"]:
            return _unknown(args, person_erase.unknown(key))
        if args.json:
            print(json.dumps({"erased": False, **plan}), flush=True)
        else:
            print(_plan_words(key, plan), flush=True)
        print("instore: nothing erased: add --yes to erase it", file=sys.stderr)
        return 1
    by = args.by or f"{_login()} (instore admin)"
    try:
        done = person_erase.erase(engine, _store(args), key, by, force=args.force)
    except ApiError as exc:
        if exc.status == 404:
            return _unknown(args, exc.message)
        if exc.status != 409:
            raise
        if args.json:
            print(json.dumps({"error": exc.code, "message": exc.message}), flush=True)
        print(f"instore: nothing erased: {exc.message} (--force)", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"erased": True, **done}), flush=True)
        return 0
    waiting = (
        f"; {counted(done['waiting'], 'redemption')} of a device whose events have a gap keep"
        f" the number until the gap closes: erase {named(key)} again then"
        if done["waiting"]
        else ""
    )
    print(
        f"erased {named(key)}: {counted(done['claims'], 'claim')} kept without the person"
        f" ({done['withdrawn']} withdrawn), {counted(done['documents'], 'document')} deleted,"
        f" {counted(done['messages'], 'message')} emptied, {counted(done['redemptions'], 'redemption')}"
        f" and {counted(done['sms'], 'SMS', 'SMS')} now under {done['phone']}{waiting}",
        flush=True,
    )  # fmt: skip
    if done["member"] is not None:
        print(f"loyalty member {done['member']}: phone and card removed, blocked; their points'"
              " records stay under the member number for the partners' accounts", flush=True)  # fmt: skip
    return 0


def _unknown(args: argparse.Namespace, message: str) -> int:
    """A number nobody has is an answer, not a usage mistake: exit 1, as `claim show` does."""
    if args.json:
        print(json.dumps({"error": "unknown_person", "message": message}), flush=True)
    print(f"instore: nothing erased: {message}", file=sys.stderr, flush=True)
    return 1


def _plan_words(key: str, plan: dict[str, Any]) -> str:
    lines = [f"erasing {named(key)} would:"]
    for claim in plan["claims"]:
        lines.append(f"  claim {claim['number']} ({claim['status']}): {claim['will_be']}")
    if not plan["claims"]:
        lines.append("  (no prize claims)")
    member = plan["member"]
    if member is not None:
        left = member["points_left"]
        lines.append(
            f"  loyalty member {member['id']}: remove their phone and card and block them; keep"
            f" {counted(member['lots'], 'purchase')} with points,"
            f" {counted(member['lot_uses'], 'use')} of them and"
            f" {counted(member['wheel_spins'], 'wheel spin')} under the member number, for the"
            " partners' accounts"
        )  # fmt: skip
        if left:
            lines.append(f"  {left} points left are forfeited: erased only with --force")
    lines.append(
        f"  delete {counted(plan['documents'], 'document')}; empty"
        f" {counted(plan['messages'], 'message')}; put {counted(plan['redemptions'], 'redemption')},"
        f" {counted(plan['sms'], 'SMS', 'SMS')} and {counted(plan['one_time_passwords'], 'one-time password')}"
        f" under a placeholder; end {counted(plan['visits'], 'visit')}; delete"
        f" {counted(plan['ussd_sessions'], 'USSD session')}"
    )  # fmt: skip
    return "\n".join(lines)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this user id (a container)
        return f"uid {os.getuid()}"


def _purge(engine: Engine, args: argparse.Namespace) -> int:
    if args.documents_dir and not Path(args.documents_dir).is_dir():
        raise InstoreError("usage", f"there is no folder {args.documents_dir}")
    done = retention.purge(engine, _store(args), args.days)
    text = done.summary()
    print(json.dumps(done.as_dict()) if args.json else text, flush=True)
    return 0
