"""The options of both mint commands, written once: `instore codes mint` (from a campaign file)
and `instore admin codes mint` (a campaign registered on the server) make the same files, so a
campaign manager reads the same help in both. Each command adds its own campaign argument."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codes.common.cli import whole_number


def add_mint_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--count", required=True, type=whole_number(1), help="how many codes to make"
    )
    parser.add_argument(
        "--start",
        type=whole_number(0),
        metavar="SERIAL",
        help="first serial to make (default: the next one not yet issued); give it to reprint"
        " codes made before, e.g. a damaged print run",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FILE",
        help="the CSV file to write (.csv), one code a line as code,serial: the file for the"
        " printer",
    )
    parser.add_argument(
        "--pdf",
        type=Path,
        metavar="FILE",
        help="also write A4 sheets to print and cut (.pdf): each code as a QR code with its text"
        " under it, the serials in the footer",
    )
    parser.add_argument(
        "--png-dir",
        type=Path,
        metavar="FOLDER",
        help="also write one QR picture (PNG) per code into this folder, named after the code",
    )
    parser.add_argument(
        "--with-tiers",
        action="store_true",
        help="add each code's prize to the CSV (code,serial,tier), for the brand's own records;"
        " such a file shows which codes win, so it must never go to the printer",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace output files that already exist"
    )


def tiers_warning(out: Path) -> str:
    """What a campaign manager is told about a CSV that names each code's prize."""
    return (
        f"warning: {out} names each code's prize, so whoever holds it can pick out the winning"
        " codes; keep it with the brand's records and never send it to the printer (for the"
        " printer, mint without --with-tiers)"
    )


def warn_if_tiers(args: argparse.Namespace) -> None:
    """On stderr, so it is seen even when the answer itself is read as JSON."""
    if args.with_tiers:
        print(tiers_warning(args.out), file=sys.stderr, flush=True)
