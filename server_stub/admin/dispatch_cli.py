"""`instore admin dispatch ...`: the shipping partner's files, as logistics uses them: the
approved prizes to ship out, and the partner's carrier, tracking numbers and delivered dates in.

Exit codes of `import`: 0 every row applied or already recorded; 1 some rows were bad (the good
ones are applied, the bad ones listed by line: fix those and import the file again, the rows
already applied change nothing); 2 the file was refused whole (nothing changed).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from codes.common.cli import counted
from codes.common.errors import InstoreError
from server_stub.prizes import dispatch, tracking_file

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]


def register(groups: Any, command: Command) -> None:
    group = groups.add_parser(
        "dispatch", help="prizes to ship: the file for the shipping partner, and its tracking"
        " file back",
    ).add_subparsers(dest="action", metavar="ACTION", required=True)  # fmt: skip
    p = command(
        group, "export",
        "write the file the shipping partner ships from: every approved prize claim of the"
        " campaign, oldest approval first, with the winner's name, address, city and phone, the"
        " prize, and empty carrier, tracking and delivered_on columns for the partner to fill"
        " (the filled file comes back with 'dispatch import'). It names winners: send it to the"
        " partner only. With --in-transit: the parcels dispatched and not yet delivered instead,"
        " carrier and tracking filled, for the partner to write the delivered dates",
        _export,
    )  # fmt: skip
    p.add_argument("--campaign", required=True, metavar="ID", help="the campaign, e.g. ice-2026")
    p.add_argument("--csv", required=True, type=Path, metavar="FILE", help="the file to write")
    p.add_argument("--in-transit", action="store_true",
                   help="the parcels on their way (dispatched, not delivered), not those to ship")  # fmt: skip
    p.add_argument("--force", action="store_true", help="write over FILE if it exists")
    p = command(
        group, "import",
        "read the shipping partner's file and move each claim on: a row with carrier and"
        f" tracking number dispatches an approved claim, a delivered date (YYYY-MM-DD) marks a"
        f" dispatched one delivered, both do both. The first line names the columns"
        f" {', '.join(tracking_file.COLUMNS)} (any order; other columns are left alone),"
        f" separated by commas, semicolons or tabs; UTF-8, at most {tracking_file.MAX_ROWS:,}"
        " rows. Good rows are applied and bad ones listed by line with the reason (exit 1): fix"
        " them and import the file again; rows already recorded change nothing. Nothing moves"
        " backward, and a recorded carrier, tracking number or date is never overwritten. A"
        " file without those columns is refused whole (exit 2)",
        _import,
    )  # fmt: skip
    p.add_argument("--csv", required=True, type=Path, metavar="FILE", help="the partner's file")
    p.add_argument("--by", metavar="NAME",
                   help="who imports it, named in each claim's history (default: your login"
                   " name on this computer)")  # fmt: skip


def _export(engine: Engine, args: argparse.Namespace) -> int:
    which = "in_transit" if args.in_transit else "to_ship"
    if args.csv.exists() and not args.force:  # most likely the partner's filled copy
        raise InstoreError(
            "file_exists",
            f"{args.csv} exists: choose another name, or add --force to write over it",
        )
    found = dispatch.export(engine, args.campaign, which)
    args.csv.write_bytes(found.csv_bytes())
    done = {
        "campaign": found.campaign, "which": which, "claims": len(found.rows),
        "left_out": found.left_out, "csv": str(args.csv),
    }  # fmt: skip
    if args.json:
        print(json.dumps(done), flush=True)
        return 0
    what = "to ship" if which == "to_ship" else "on their way"
    print(f"{counted(len(found.rows), 'claim')} of {found.campaign} {what} written to {args.csv}")
    if found.left_out:
        print(f"{counted(found.left_out, 'approved claim')} left out: the winner's details were"
              " erased on request, so there is no address to ship to")  # fmt: skip
    return 0


def _import(engine: Engine, args: argparse.Namespace) -> int:
    result = dispatch.import_tracking(engine, args.csv.read_bytes(), args.by or _login_name())
    if args.json:
        print(json.dumps(result), flush=True)
    else:
        print(result["summary"])
        for bad in result["bad"]:
            print(f"  line {bad['line']}: {bad['claim'] or '-'}: {bad['reason']}")
        sys.stdout.flush()
    return 1 if result["bad"] else 0


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a user entry)
        return "admin command line"
