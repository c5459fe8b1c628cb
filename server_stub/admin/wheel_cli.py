"""`instore admin wheel ...`: a campaign's bonus wheel (loyalty/wheel.py): set it up, publish
the commitment to its seed, reveal the seed (which ends the wheel), check every spin."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from codes.common.cli import whole_number
from server_stub.loyalty import wheel

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]
Say = Callable[[argparse.Namespace, dict[str, Any], str], int]


def register(groups: Any, command: Command, say: Say) -> None:
    group = groups.add_parser(
        "wheel", help="the bonus wheel: set it up, publish its commitment, reveal, verify"
    ).add_subparsers(dest="action", metavar="ACTION", required=True)

    def _set(engine: Engine, args: argparse.Namespace) -> int:
        done = wheel.set_wheel(engine, args.campaign, args.outcomes, args.per_day, args.spins)
        budget = ", ".join(f"{n:,} x {label}" for label, n in done["budget"].items())
        return say(args, done, (
            f"the wheel of {args.campaign} is set: {done['size']:,} spins ({budget}),"
            f" {args.per_day} a member a day; commitment {done['commitment']}"
        ))  # fmt: skip

    p = command(
        group, "set",
        "set up a campaign's bonus wheel. A member may spin once a day (or --per-day times)"
        " after a check-in or a purchase. Each outcome is a label and its weight: 'N points'"
        " gives N bonus points, 'nothing' gives nothing, any other label (e.g. cap) is a small"
        " prize the member collects at the counter. The weights are the odds the kiosk shows."
        " The server draws every spin ahead of time from a secret seed and prints SHA-256 of it"
        " (the commitment): publish it before the campaign starts. Devices get a few spins at"
        " each sync, so the wheel never gives more than its spins, even offline. A wheel may be"
        " set again only until devices have spins of it",
        _set,
    )  # fmt: skip
    _campaign(p)
    p.add_argument("--outcomes", required=True, metavar="LABEL:WEIGHT,...",
                   help="e.g. '50 points:40,100 points:10,cap:1,nothing:49'")  # fmt: skip
    p.add_argument("--per-day", type=whole_number(1), default=1, metavar="N",
                   help="spins a member may make a day (default 1)")  # fmt: skip
    p.add_argument("--spins", type=whole_number(1), default=wheel.DEFAULT_SIZE, metavar="N",
                   help=f"how many spins the wheel has in all: its budget (default"
                   f" {wheel.DEFAULT_SIZE:,})")  # fmt: skip

    def _commitment(engine: Engine, args: argparse.Namespace) -> int:
        done = wheel.published(engine, args.campaign)
        return say(args, done, done["commitment"])

    _campaign(command(
        group, "commitment",
        "print the commitment to the wheel's seed (64 hex digits, SHA-256 of the seed):"
        " publish it before the campaign, so anyone can later check the draw was not changed",
        _commitment,
    ))  # fmt: skip

    def _reveal(engine: Engine, args: argparse.Namespace) -> int:
        done = wheel.reveal(engine, args.campaign)
        when = datetime.fromtimestamp(done["revealed"], UTC).strftime("%Y-%m-%d %H:%M UTC")
        return say(args, done, f"{done['seed']}\n(the wheel of {args.campaign} ended {when})")

    _campaign(command(
        group, "reveal",
        "print the wheel's seed, so anyone can check every spin. Revealing ends the wheel: no"
        " device spins after it. A campaign's wheel is revealed at the campaign's end by"
        " itself; run this to stop a wheel early or to read the seed afterwards",
        _reveal,
    ))  # fmt: skip

    def _verify(engine: Engine, args: argparse.Namespace) -> int:
        done = wheel.verify(engine, args.campaign)
        if done["ok"]:
            text = f"all {done['spins']:,} spins of {args.campaign} match the revealed seed"
        else:
            text = f"{len(done['problems']):,} of {done['spins']:,} spins do NOT match:" + "".join(
                f"\n  {p}" for p in done["problems"]
            )
        say(args, done, text)
        return 0 if done["ok"] else 1

    _campaign(command(
        group, "verify",
        "check every recorded spin against the revealed seed: each spin's outcome must be the"
        " one its number draws, and the seed must match the commitment. Exit 1 and list the"
        " spins that do not match. Only after the seed is revealed",
        _verify,
    ))  # fmt: skip


def _campaign(p: argparse.ArgumentParser) -> None:
    p.add_argument("--campaign", required=True, metavar="CAMPAIGN_ID",
                   help="the campaign, as 'instore admin campaign list' shows it")  # fmt: skip
