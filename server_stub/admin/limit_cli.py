"""`instore admin limit`: limits on loyalty points (server_stub/loyalty/limits.py), as security
staff or a store manager set them."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from codes.common.cli import whole_number
from server_stub.loyalty import limits

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]
Say = Callable[[argparse.Namespace, dict[str, Any], str], int]
Table = Callable[[argparse.Namespace, list[dict[str, Any]]], int]


def register(groups: Any, command: Command, say: Say, table: Table) -> None:
    group = groups.add_parser(
        "limit",
        help="limits on loyalty points: alert security staff, then block",
        description="Limits on loyalty points earned and spent. A soft limit is a range: reaching"
        " its low end alerts security staff (the dashboard's Alerts page names the cashier),"
        " going past its high end blocks. A hard limit blocks at once. Tills apply them even"
        " offline, from their next sync; the server checks every operation again.",
    ).add_subparsers(dest="action", metavar="ACTION", required=True)

    def _set(engine: Engine, args: argparse.Namespace) -> int:
        made = limits.set_limit(
            engine, args.scope, args.measure, args.per, subject=args.subject,
            soft=args.soft, hard=args.hard,
        )  # fmt: skip
        return say(args, made.model_dump(), f"limit {made.id} set: {limits.describe(made)}")

    p = command(
        group, "set",
        "add a limit, e.g. --scope cashier --measure earn_points --per day --soft 500-1000"
        " --hard 2000: any cashier earning shoppers 500 points in a day raises an alert, and"
        " past 1000 (or 2000) the till refuses",
        _set,
    )  # fmt: skip
    p.add_argument("--scope", required=True, choices=limits.SCOPES,
                   help="whose operations count: a card (member), a cashier, a store, a partner,"
                   " or a terminal (operations per terminal)")  # fmt: skip
    p.add_argument("--subject", default="*", metavar="ID",
                   help="the one card, cashier, store, partner or terminal; leave out to"
                   " limit each one apart")  # fmt: skip
    p.add_argument("--measure", required=True, choices=limits.MEASURES,
                   help="points earned, points spent, or the number of points operations")  # fmt: skip
    p.add_argument("--per", required=True, choices=limits.PERIODS,
                   help="one operation, or a UTC hour, day, week (from Monday) or month")  # fmt: skip
    p.add_argument("--soft", type=_range, metavar="LOW-HIGH",
                   help="alert from LOW, block past HIGH")  # fmt: skip
    p.add_argument("--hard", type=whole_number(1), metavar="N", help="block past N")

    def _list(engine: Engine, args: argparse.Namespace) -> int:
        rows = limits.list_limits(engine)
        return table(args, [{**x.model_dump(), "means": limits.describe(x)} for x in rows])

    command(group, "list", "every limit, with what it means", _list)

    def _remove(engine: Engine, args: argparse.Namespace) -> int:
        limits.remove_limit(engine, args.id)
        return say(args, {"removed": args.id}, f"limit {args.id} removed")

    p = command(group, "remove", "take a limit away (tills drop it at their next sync)", _remove)
    p.add_argument("id", type=whole_number(1), metavar="ID", help="the limit's id (limit list)")


def _range(text: str) -> tuple[int, int]:
    found = re.fullmatch(r"\s*(\d{1,18})\s*-\s*(\d{1,18})\s*", text)
    if found is None:
        raise argparse.ArgumentTypeError(f"give a range as LOW-HIGH, e.g. 500-1000, not {text!r}")
    return int(found[1]), int(found[2])
