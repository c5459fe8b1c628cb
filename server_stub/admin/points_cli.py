"""`instore admin points expire`: run the points expiry by hand (loyalty/expiry.py), as
`instore server` does every few minutes: expire what is due, and text members whose points
expire soon."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from server_stub.loyalty import expiry

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]
Say = Callable[[argparse.Namespace, dict[str, Any], str], int]


def register(groups: Any, command: Command, say: Say) -> None:
    group = groups.add_parser(
        "points", help="loyalty points: expire the points that are due"
    ).add_subparsers(dest="action", metavar="ACTION", required=True)

    def _expire(engine: Engine, args: argparse.Namespace) -> int:
        done = expiry.sweep(engine, now=args.now)
        return say(args, done.as_dict(), done.summary())

    p = command(
        group, "expire",
        "expire the points whose date has passed (once the tills' offline window after it,"
        " 72 hours unless set, is over: a till's late spend may still need them), and queue"
        " the text that tells members their"
        " points expire soon (once per member and date, as many days ahead as 'program set"
        " --notice-days' says). instore server does this every few minutes by itself; run it"
        " by hand after the server was off for a while, or when it runs with --no-expiry. Run"
        " twice, it expires and texts nothing twice",
        _expire,
    )  # fmt: skip
    p.add_argument("--now", type=_moment, metavar="ISO",
                   help="act as if it were this moment, e.g. 2027-01-01 or 2027-01-01T09:00+05:00"
                   " (a date or time without a zone is UTC; default: now)")  # fmt: skip


def _moment(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date or time; write it as 2027-01-01 or 2027-01-01T09:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
