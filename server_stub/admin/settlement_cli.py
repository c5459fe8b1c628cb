"""`instore admin settlement` and `instore admin finance`: what partners owe each other for a
month, and the points liability with its expected breakage (loyalty.settlement, loyalty.finance)."""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from server_stub.loyalty import finance, partners, settlement

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]


def register(groups: Any, command: Command) -> None:
    p = command(
        groups, "settlement",
        "what the partners owe each other for one month (UTC): per partner the points issued"
        " (earned less returns and voids), spent (its points, at any partner's store), expired"
        " and still pending at the month's end; per pair, the points one partner's shoppers"
        " spent at another's stores and the money the issuer owes for them at its point price;"
        " and each partner's net position in points and money",
        _settlement,
    )  # fmt: skip
    p.add_argument("--period", required=True, metavar="YYYY-MM",
                   help="the month, e.g. 2026-11 (UTC)")  # fmt: skip
    p.add_argument("--csv", type=Path, metavar="FILE",
                   help="also write the partners' and the pairs' tables to this CSV file")  # fmt: skip
    command(
        groups, "finance",
        "the points liability for the accounts: per partner the points its shoppers still"
        " hold (pending ones too) and what they are worth at its point price, the share of"
        " points that expired rather than being spent so far, and the breakage that share"
        " predicts (revenue booked in proportion to redemptions, as IFRS 15 asks)",
        _finance,
    )  # fmt: skip


def _settlement(engine: Engine, args: argparse.Namespace) -> int:
    month = settlement.period(args.period)
    with engine.connect() as conn:
        result = settlement.settle(conn, month)
        # a partner by its name and id, as the people paying each other know it
        names = {p.id: f"{p.name} ({p.id})" for p in partners.all_partners(conn)}
    if args.csv:
        with args.csv.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(settlement.csv_rows(result))
    shown = result.as_dict()
    if args.json:
        print(json.dumps(shown))
        return 0
    print(f"settlement for {shown['period']} (UTC)")
    if not shown["partners"]:
        print("  no partners yet")
    for p in shown["partners"]:
        print(f"  {names.get(p['partner'], p['partner'])}: issued {p['issued']:,}, spent {p['spent']:,}, expired"
              f" {p['expired']:,}, pending {p['pending']:,}; net {p['net_points']:+,} points,"
              f" {p['net_money']}")  # fmt: skip
    for pair in shown["pairs"]:
        if pair["own"] or pair["redeemer"] is None:
            continue
        print(f"  {names.get(pair['issuer'], pair['issuer'])} owes"
              f" {names.get(pair['redeemer'], pair['redeemer'])} {pair['money']}"
              f" for {pair['points']:,} points")  # fmt: skip
    for partner_id in shown["unpriced"]:
        print(f"  {partner_id} has no point price (not a partner): its money is shown as 0")
    return 0


def _finance(engine: Engine, args: argparse.Namespace) -> int:
    with engine.connect() as conn:
        report = finance.finance(conn)
    if args.json:
        print(json.dumps(report))
        return 0
    whole = report["program"]
    print(f"points outstanding {whole['outstanding']:,} (pending {whole['pending']:,}),"
          f" liability {whole['liability']}, expected breakage {whole['expected_breakage']}")  # fmt: skip
    for p in report["partners"]:
        print(f"  {p['partner']}: {p['outstanding']:,} points, liability {p['liability']},"
              f" breakage rate {p['breakage_rate']} ({p['rate_from']}), expected breakage"
              f" {p['expected_breakage']}")  # fmt: skip
    return 0
