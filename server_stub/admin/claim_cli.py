"""`instore admin claim ...`: prize claims shoppers filed, as a store manager looks one up."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from codes.common.cli import whole_number
from server_stub.errors import ApiError
from server_stub.prizes import claim_flags, claims

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]


def register(groups: Any, command: Command) -> None:
    claim = groups.add_parser(
        "claim", help="prize claims shoppers filed: look one up, list them"
    ).add_subparsers(dest="action", metavar="ACTION", required=True)
    p = command(
        claim, "show",
        "one prize claim, by the number the shopper was given (CL-...): the prize and its code,"
        " the status and every step so far, the deadline, the parcel's carrier and tracking,"
        " how many documents it holds, and what the verifier should look at twice (the same file,"
        " ID or invoice as another claim, one phone past the campaign's limit). Plain text shows"
        " only the phone's last 4 digits; --json shows it whole, for staff",
        _show,
    )  # fmt: skip
    p.add_argument("number", metavar="NUMBER",
                   help="the claim number, e.g. CL-7Q2M9XK4 (case, spaces, O for 0 and I for 1"
                   " do not matter)")  # fmt: skip
    p = command(claim, "list", "prize claims, newest first", _list)
    p.add_argument("--status", choices=claims.STATUSES, help="only claims at this step")
    p.add_argument("--campaign", metavar="ID", help="only this campaign's claims")
    p.add_argument("--limit", type=whole_number(1), default=50, help="at most this many (50)")


def _show(engine: Engine, args: argparse.Namespace) -> int:
    try:
        claim = claims.show(engine, args.number)
    except ApiError as exc:
        if exc.status != 404:
            raise
        # a number nobody has is an answer, not a usage mistake: exit 1, as a refused code does
        if args.json:
            print(json.dumps({"error": exc.code, "message": exc.message}), flush=True)
        print(f"instore: {exc.message} (check the number the shopper read out)", file=sys.stderr)
        return 1
    print(json.dumps(claim, default=str) if args.json else _plain(claim), flush=True)
    return 0


def _list(engine: Engine, args: argparse.Namespace) -> int:
    rows = claims.list_claims(engine, args.status, args.campaign, args.limit)
    if args.json:
        print(json.dumps(rows, default=str))
        return 0
    for row in rows:
        flagged = f"  {row['flags']} flag(s)" if row["flags"] else ""
        print(f"{row['number']}  {_when(row['created'])}  {row['status']:<15}  {row['campaign']}"
              f"  {row['tier']}  {masked(row['phone'])}{flagged}")  # fmt: skip
    if not rows:
        print("(no claims)")
    return 0


def masked(phone: str) -> str:
    """Every digit but the last four hidden: enough to match what the shopper says."""
    digits = sum(c.isdigit() for c in phone)
    seen = 0
    out = []
    for c in phone:
        if c.isdigit():
            seen += 1
            out.append(c if seen > digits - 4 else "*")
        else:
            out.append(c)
    return "".join(out)


def _plain(claim: dict[str, Any]) -> str:
    lines = [
        f"claim {claim['number']}: {claim['status']}",
        f"  prize      {claim['tier']} (value {claim['value']:g}), campaign {claim['campaign']}",
        f"  code       {claim['code']} (serial {claim['serial']})",
        f"  phone      {masked(claim['phone'])}",
        f"  filed      {_when(claim['created'])}; deadline {_when(claim['deadline'])}",
        f"  documents  {claim['documents']}",
    ]
    if claim["status"] == "rejected":
        lines.append(f"  reason     {claim['reason']}")
    if claim["carrier"] or claim["tracking"]:
        lines.append(f"  parcel     {claim['carrier']}, tracking {claim['tracking']}")
    if claim["resubmissions"]:
        lines.append("  sent again once after a rejection")
    flags = [claim_flags.describe(f) for f in claim["flags"]]
    flags += [f"claim {n} names this one in its flags" for n in claim["flagged_by"]]
    lines.append("  look twice at:" if flags else "  nothing flagged")
    lines += [f"    - {f}" for f in flags]
    lines.append("  timeline:")
    for step in claim["timeline"]:
        note = f"  {step['note']}" if step["note"] else ""
        lines.append(f"    {_when(step['at'])}  {step['status']:<15}  {step['actor']}{note}")
    return "\n".join(lines)


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")
