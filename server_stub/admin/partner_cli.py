"""`instore admin program|partner|catalogue`: the loyalty program's rules and content, its
partners and their earn rules, and the prizes members take for points (server_stub/loyalty,
catalog/prize_catalogue, catalog/program_content)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from codes.common.cli import whole_number
from server_stub.admin.content_cli import summary
from server_stub.catalog import prize_catalogue, program_content
from server_stub.loyalty import partners, program
from sync.protocol import EARN_RULE_FIELDS

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]
Say = Callable[[argparse.Namespace, dict[str, Any], str], int]
Table = Callable[[argparse.Namespace, list[dict[str, Any]]], int]
_DAY = r"\d{4}-\d{2}-\d{2}"


def register(groups: Any, command: Command, say: Say, table: Table) -> None:
    _program(groups, command, say)
    _partner(groups, command, say, table)
    _catalogue(groups, command, say, table)


def _program(groups: Any, command: Command, say: Say) -> None:
    group = groups.add_parser(
        "program",
        help="the loyalty program's rules (returns window, expiry, one-time passwords)"
        " and what kiosks show of it (prizes' names and pictures, its look)",
    ).add_subparsers(dest="action", metavar="ACTION", required=True)

    def _set(engine: Engine, args: argparse.Namespace) -> int:
        with engine.begin() as conn:
            done = program.set_program(
                conn, name=args.name, pending_days=args.pending_days,
                expiry_months=args.expiry_months, otp_above=args.otp_above,
                expiry_notice_days=args.notice_days, region=args.region,
            )  # fmt: skip
        return say(args, done.as_dict(), "program saved: " + _describe(done))

    p = command(
        group, "set",
        "change the program's rules for every partner; what you leave out stays. New rules"
        " apply to points earned from now on: points already earned keep their dates",
        _set,
    )  # fmt: skip
    p.add_argument("--pending-days", type=whole_number(0), metavar="N",
                   help="points earned wait N days (the returns window) before they can be"
                   " spent; a return takes back waiting points first (default 14)")  # fmt: skip
    p.add_argument("--expiry-months", type=whole_number(1), metavar="M",
                   help="points expire M months after they were earned (default 12)")  # fmt: skip
    p.add_argument("--otp-above", type=whole_number(0), metavar="POINTS",
                   help="a spend of more points asks for the code texted to the member's phone;"
                   " 0: never (default 0)")  # fmt: skip
    p.add_argument("--notice-days", type=whole_number(0), metavar="D",
                   help="members get a text D days before their points expire (default 30)")  # fmt: skip
    p.add_argument("--name", help="the program's name, as members see it")
    p.add_argument("--region", metavar="CC",
                   help="the country a phone number typed without its country code is from,"
                   " e.g. KZ, so '8 701 123 45 67' at a till is the member +77011234567;"
                   " '' for none (then: by the member's language, else IN)")  # fmt: skip

    def _show(engine: Engine, args: argparse.Namespace) -> int:
        with engine.connect() as conn:
            now = program.program(conn)
        return say(args, now.as_dict(), _describe(now))

    command(group, "show", "show the program's rules", _show)

    def _content(engine: Engine, args: argparse.Namespace) -> int:
        done = program_content.load_program_content(engine, args.file)
        text = summary("program content", f"{len(done['prizes'])} prize(s)", done)
        return say(args, done, text)

    p = command(
        group, "content",
        "load what shoppers see of the program on the kiosks: each catalogue prize's name, a one"
        " line description and a picture, in each language, and the program's look (colours,"
        " logo, attract-screen pictures; a campaign's own look wins over it). The file is TOML"
        " (see docs/campaign-content.md, 'The program's content'); pictures are PNG or JPEG"
        " files beside it, at most 512 KB each once re-encoded. Loading again replaces the"
        " program's content",
        _content,
    )  # fmt: skip
    p.add_argument("--file", required=True, type=Path, metavar="CONTENT_TOML",
                   help="the content file, e.g. docs/examples/program-content/content.toml")  # fmt: skip


def _describe(p: program.Program) -> str:
    otp = f"spends above {p.otp_above:,} points ask for a code" if p.otp_above else "no code asked"
    return (
        f"{p.name}: points wait {p.pending_days} days before they can be spent, expire after"
        f" {p.expiry_months} months (members told {p.expiry_notice_days} days ahead); {otp};"
        f" numbers without a country code are read as {p.region or 'by language, else IN'}"
    )


def _partner(groups: Any, command: Command, say: Say, table: Table) -> None:
    group = groups.add_parser(
        "partner", help="the companies in the loyalty program and their earn rules"
    ).add_subparsers(dest="action", metavar="ACTION", required=True)

    def _create(engine: Engine, args: argparse.Namespace) -> int:
        with engine.begin() as conn:
            made = partners.create(conn, args.id, args.name, args.role, args.point_price,
                                   rules=_rules(args))  # fmt: skip
        return say(args, made.as_dict(), f"partner {made.id} ({made.name}) created;"
                   f" add its stores with: instore admin store create ... --partner {made.id}")  # fmt: skip

    p = command(
        group, "create",
        "add a partner: a company whose stores give points (accrual), take them for prizes"
        " (redemption), or both. Its earn rules (the options below) are what its stores' tills"
        " count points by; what you leave out follows the chain's rules ('instore admin limits"
        " show')",
        _create,
    )  # fmt: skip
    p.add_argument("--id", required=True, help="short id, e.g. fuel-co")
    p.add_argument("--name", required=True, help="the name staff and members know, e.g. 'Fuel Co'")
    p.add_argument("--role", required=True, choices=partners.ROLES,
                   help="accrual: its stores give points; redemption: they take points for"
                   " prizes; both")  # fmt: skip
    p.add_argument("--point-price", required=True, type=_money, metavar="PRICE",
                   help="what one point it gives is worth in money, e.g. 0.10; a partner whose"
                   " points are spent at another's store owes it the points times this price")  # fmt: skip
    _rule_options(p)

    def _rules_cmd(engine: Engine, args: argparse.Namespace) -> int:
        changes: dict[str, Any] = {k: None for k in args.reset}
        with engine.begin() as conn:
            found = partners.must_get(conn, args.id)
            changes |= _rules(args, found.rules)
            done = partners.set_rules(conn, found.id, changes)
        return say(args, done.as_dict(), f"earn rules of {done.id} saved: {_rules_text(done)};"
                   " its stores' tills use them from their next sync")  # fmt: skip

    p = command(
        group, "rules",
        "change a partner's earn rules; what you leave out stays. Tills of its stores count by"
        " them from their next sync, and the server recounts each purchase by the rules the"
        " till had",
        _rules_cmd,
    )  # fmt: skip
    p.add_argument("--id", required=True, help="the partner, as 'partner list' shows it")
    _rule_options(p)
    p.add_argument("--reset", action="append", default=[], choices=EARN_RULE_FIELDS,
                   metavar="RULE",
                   help="take this rule back to the chain's (repeat for several): "
                   + ", ".join(EARN_RULE_FIELDS))  # fmt: skip

    def _list(engine: Engine, args: argparse.Namespace) -> int:
        with engine.connect() as conn:
            found = partners.all_partners(conn)
        if args.json:
            return table(args, [x.as_dict() for x in found])
        return table(args, [{"id": x.id, "name": x.name, "role": x.role,
                             "point_price": x.point_price, "rules": _rules_text(x)}
                            for x in found])  # fmt: skip

    command(group, "list", "every partner, its role, point price and earn rules", _list)

    def _store(engine: Engine, args: argparse.Namespace) -> int:
        with engine.begin() as conn:
            done = partners.assign_store(conn, args.store, None if args.none else args.id)
        who = done["partner"] or "no partner"
        return say(args, done, f"store {args.store} now belongs to {who}; its tills count points"
                   " by that partner's rules from their next sync")  # fmt: skip

    p = command(group, "store", "move an existing store to a partner (or to none)", _store)
    p.add_argument("--store", required=True, help="the store, as 'store list' shows it")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", help="the partner it now belongs to")
    which.add_argument("--none", action="store_true", help="it belongs to no partner")


def _rule_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--currency-per-point", type=_positive, metavar="AMOUNT",
                   help="every AMOUNT spent earns --points points (the chain's default: 10)")  # fmt: skip
    p.add_argument("--points", type=whole_number(0), metavar="N",
                   help="points earned per --currency-per-point (default 1)")  # fmt: skip
    p.add_argument("--rounding", choices=("down", "nearest", "up"),
                   help="a purchase between two steps: down (95 earns 9 at 1 per 10), nearest"
                   " (95 earns 10, 94 earns 9) or up (91 earns 10); default down")  # fmt: skip
    p.add_argument("--min-purchase", type=_money, metavar="AMOUNT",
                   help="a smaller purchase earns nothing")  # fmt: skip
    p.add_argument("--max-points", type=whole_number(0), metavar="N",
                   help="at most N points for one receipt, however large (default 10,000)")  # fmt: skip
    p.add_argument("--multiplier", action="append", default=[], type=_multiplier,
                   metavar="CATEGORY=TIMES",
                   help="what is spent on a product category counts TIMES over, e.g. fuel=2"
                   " (repeat for several; TIMES 1 takes a category back to normal)")  # fmt: skip
    p.add_argument("--bonus", action="append", default=[], type=_bonus,
                   metavar="FROM:TO=TIMES",
                   help="between two days, both counted, every purchase earns TIMES the points,"
                   " e.g. 2026-11-27:2026-11-29=3 (repeat for several; --reset bonus_periods"
                   " clears them)")  # fmt: skip


def _rules(args: argparse.Namespace, before: dict[str, Any] | None = None) -> dict[str, Any]:
    """The rule options given, as partners.set_rules takes them: multipliers merged with the
    partner's, bonus periods added to its."""
    before = before or {}
    rules: dict[str, Any] = {
        "currency_per_unit": args.currency_per_point, "points_per_unit": args.points,
        "rounding": args.rounding, "min_purchase": args.min_purchase,
        "max_points_per_receipt": args.max_points,
    }  # fmt: skip
    rules = {k: v for k, v in rules.items() if v is not None}
    if args.multiplier:
        times = dict(before.get("category_multipliers", {}))
        for name, value in args.multiplier:
            times[name] = value
        rules["category_multipliers"] = {k: v for k, v in times.items() if v != 1.0}
    if args.bonus:
        kept = [] if "bonus_periods" in getattr(args, "reset", []) else before.get(
            "bonus_periods", [])  # fmt: skip
        rules["bonus_periods"] = [*kept, *args.bonus]
    return rules


def _rules_text(p: partners.Partner) -> str:
    if not p.rules:
        return "the chain's"
    parts = []
    for key, value in sorted(p.rules.items()):
        if key == "category_multipliers":
            value = ",".join(f"{k}x{v:g}" for k, v in sorted(value.items())) or "none"
        elif key == "bonus_periods":
            value = ",".join(f"{b['start']}..{b['end']}x{b['multiplier']:g}" for b in value)
        parts.append(f"{key}={value}")
    return " ".join(parts)


def _catalogue(groups: Any, command: Command, say: Say, table: Table) -> None:
    group = groups.add_parser(
        "catalogue", help="prizes members take for points, each supplied by a partner"
    ).add_subparsers(dest="action", metavar="ACTION", required=True)

    def _put(engine: Engine, args: argparse.Namespace) -> int:
        item = prize_catalogue.put_item(engine, args.id, args.name, args.points, args.partner,
                                        args.store)  # fmt: skip
        where = f"store {args.store}'s catalogue" if args.store else "the catalogue"
        return say(args, item, f"{item['name']} ({item['points']:,} points) is in {where};"
                   " tills and kiosks show it from their next sync")  # fmt: skip

    p = command(
        group, "set",
        "add a prize to the catalogue, or change one (same --id): its name, its price in"
        " points and the partner who supplies it",
        _put,
    )  # fmt: skip
    p.add_argument("--id", required=True, help="short id, e.g. cinema-ticket")
    p.add_argument("--name", required=True, help="what members see, e.g. 'Cinema ticket'")
    p.add_argument("--points", required=True, type=whole_number(1), help="its price in points")
    p.add_argument("--partner", metavar="P", help="the partner who supplies it (partner list)")
    p.add_argument("--store", help="only this store's catalogue (default: every store's)")

    def _remove(engine: Engine, args: argparse.Namespace) -> int:
        done = prize_catalogue.remove_item(engine, args.id, args.store)
        return say(args, done, f"prize {args.id} taken out of the catalogue")

    p = command(group, "remove", "take a prize out of the catalogue", _remove)
    p.add_argument("--id", required=True, help="the prize, as 'catalogue list' shows it")
    p.add_argument("--store", help="from this store's catalogue (default: every store's)")
    command(group, "list", "the prizes, their points and who supplies them",
            lambda e, a: table(a, prize_catalogue.list_items(e, a.store))
            ).add_argument("--store", help="the catalogue this store's tills show")  # fmt: skip


def _money(text: str) -> float:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"give a sum of money, e.g. 0.10, not {text!r}") from None
    if not 0 <= value < 10**12:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"give a sum of money of 0 or more, not {text!r}")
    return value


def _positive(text: str) -> float:
    value = _money(text)
    if value == 0:
        raise argparse.ArgumentTypeError("give an amount above 0")
    return value


def _multiplier(text: str) -> tuple[str, float]:
    name, _, times = text.partition("=")
    try:
        value = float(times)
    except ValueError:
        value = -1.0
    if not name.strip() or len(name.strip()) > 64 or not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(
            f"write CATEGORY=TIMES with TIMES from 0 to 100, e.g. fuel=2, not {text!r}"
        )
    return name.strip(), value


def _bonus(text: str) -> dict[str, Any]:
    found = re.fullmatch(rf"\s*({_DAY})\s*:\s*({_DAY})\s*=\s*([0-9.]+)\s*", text)
    value = float(found[3]) if found and found[3].count(".") <= 1 and found[3] != "." else 0.0
    if found is None or not 0 < value <= 100 or found[2] < found[1]:
        raise argparse.ArgumentTypeError(
            "write FROM:TO=TIMES, the first day before the last, TIMES above 0 up to 100, e.g."
            f" 2026-11-27:2026-11-29=3, not {text!r}"
        )
    return {"start": found[1], "end": found[2], "multiplier": value}
