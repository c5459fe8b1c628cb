"""`instore admin rewards ...`: voucher pools for digital prizes (a music download, a coupon)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from codes.common.cli import counted
from server_stub.prizes import vouchers

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]
Say = Callable[[argparse.Namespace, dict[str, Any], str], int]
Table = Callable[[argparse.Namespace, list[dict[str, Any]]], int]


def register(groups: Any, command: Command, say: Say, table: Table) -> None:
    rewards = groups.add_parser(
        "rewards", help="vouchers for digital prizes: load a partner's codes, see what is left"
    ).add_subparsers(dest="action", metavar="ACTION", required=True)

    def load(engine: Engine, args: argparse.Namespace) -> int:
        done = vouchers.load(engine, args.campaign, args.tier, args.file)
        text = (
            f"loaded {counted(done['loaded'], 'voucher')} for {args.tier} in {args.campaign};"
            f" {done['skipped']:,} already there; {done['free']:,} free"
        )
        if done["low"]:
            text += " (still low: load more soon)" if done["free"] else " (none free: load more)"
        return say(args, done, text)

    p = command(
        rewards, "load",
        "load a partner's voucher codes for a digital prize: each shopper who wins that prize"
        " gets one voucher, at the till, the kiosk or on the web. The file is a CSV with one"
        " column headed 'voucher', one voucher a line (blank lines and spaces around a voucher"
        " are ignored). A voucher already loaded is skipped, so loading the same file again adds"
        " nothing. A line that is not a voucher (longer than 128 characters, or with control"
        " characters) stops the load before anything is added, and names the line",
        load,
    )  # fmt: skip
    p.add_argument("--campaign", required=True, metavar="CAMPAIGN_ID",
                   help="the campaign, as 'instore admin campaign list' shows it")  # fmt: skip
    p.add_argument("--tier", required=True,
                   help="the prize the vouchers are for, e.g. music (one of the campaign's tiers)")  # fmt: skip
    p.add_argument("--file", required=True, type=Path, metavar="VOUCHERS_CSV",
                   help="the partner's CSV file")  # fmt: skip
    command(
        rewards, "list",
        "each voucher pool: how many vouchers are free, held by devices to hand out offline,"
        " given to winners, and withdrawn from revoked devices",
        lambda e, a: table(a, vouchers.pool_counts(e)),
    )  # fmt: skip
