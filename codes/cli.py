"""`instore codes ...`: a thin layer over codes/ for campaign managers and print shops."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from codes import campaign as campaign_file
from codes import mint
from codes.campaign import DEFAULT_CAPACITY, Tier, parse_tiers, with_claim_tiers
from codes.campaign_cipher import CampaignCipher
from codes.checker import CodeChecker
from codes.common.cli import emit, whole_number
from codes.common.errors import InstoreError
from codes.mint_options import add_mint_options, warn_if_tiers


def when(text: str) -> datetime:
    """An argparse type for dates and times: 2026-12-31, 2026-12-31T18:00, or relative to today
    ("today", "tomorrow", "+90d", "+6w"); no time zone means UTC."""
    word = text.strip().lower()
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if word in ("today", "tomorrow"):
        return today + timedelta(days=word == "tomorrow")
    if word.startswith("+") and word[-1:] in ("d", "w") and word[1:-1].isdigit():
        return today + timedelta(days=int(word[1:-1]) * (7 if word[-1] == "w" else 1))
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date like 2026-12-31, today or +90d"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="ACTION")
    sub.required = True

    new = sub.add_parser(
        "new-campaign",
        help="create a campaign file (and a master key file if there is none)",
        description="Create a campaign file. Codes of the campaign start with PREFIX, and the"
        " reward plan says how many codes each tier gets. Keep the master key file secret:"
        " whoever has it can make valid codes.",
    )
    new.add_argument("--id", required=True, help="campaign id, e.g. icecream-2026")
    new.add_argument(
        "--prefix",
        required=True,
        help="1-6 letters/digits printed at the start of every code, e.g. HV",
    )
    new.add_argument(
        "--out", required=True, type=Path, help="campaign file to write (.toml or .json)"
    )
    new.add_argument(
        "--master-key",
        type=Path,
        help="master key file (default: master.key beside the campaign file)",
    )
    new.add_argument(
        "--force",
        action="store_true",
        help="replace the campaign file if it exists (the master key file is never replaced)",
    )
    new.add_argument(
        "--tiers",
        help='reward plan as counts over the whole campaign ("gold:10,silver:1000,music:*") or as'
        ' rates ("gold:1/10000,silver:1/100,music:*": that many in every run of N codes);'
        " * = all the rest",
    )
    new.add_argument(
        "--claim-tiers",
        default="",
        metavar="NAMES",
        help='tiers that are prizes shipped after the brand verifies the win, e.g. "gold,silver":'
        " a till offline accepts them as provisional, to be confirmed when it syncs",
    )
    new.add_argument(
        "--capacity",
        type=whole_number(1),
        help=f"how many codes the campaign can ever have (default {DEFAULT_CAPACITY:,})",
    )
    new.add_argument("--name", default="", help="a name people read, e.g. 'Summer lids 2026'")
    new.add_argument(
        "--starts", type=when, help="first day codes can be used (YYYY-MM-DD, today or +7d)"
    )
    new.add_argument(
        "--ends",
        type=when,
        help="day the campaign ends; codes stop working at its start (YYYY-MM-DD or +120d)",
    )
    new.add_argument(
        "--ask-details",
        action="store_true",
        help="kiosks ask the shopper's phone (and age band, gender, city if they wish) before the"
        " reward; kept only when the shopper ticks consent",
    )
    new.add_argument("--json", action="store_true", help="print the result as JSON")
    new.set_defaults(run=_new_campaign)

    m = sub.add_parser(
        "mint",
        help="make the next codes of a campaign: a CSV for the printer, and QR pictures or a"
        " printable PDF",
        description="Make COUNT codes from the next unissued serial (or --start), write them to a"
        " CSV file for the printer (code,serial), and optionally one QR picture per code and A4"
        " sheets to print and cut. None of these files says which codes win. The campaign file"
        " remembers how many codes were issued. It says how many codes of each prize the run"
        " holds, and warns when a prize got none. Once the campaign is registered on a server,"
        " mint with 'instore admin codes mint' instead: the server keeps the one count of issued"
        " codes.",
    )
    m.add_argument("campaign", type=Path, metavar="CAMPAIGN_FILE")
    add_mint_options(m)
    m.add_argument("--json", action="store_true", help="print the result as JSON")
    m.set_defaults(run=_mint)

    c = sub.add_parser(
        "check",
        help="say whether a code is valid, mistyped, forged, used up or out of date",
        description="Check a code against a campaign without any database: exit 0 when it is"
        " valid, 1 when it is not.",
    )
    c.add_argument("campaign", type=Path, metavar="CAMPAIGN_FILE")
    c.add_argument(
        "code", metavar="CODE", help="the code as printed, typed or scanned (a link is fine)"
    )
    c.add_argument("--json", action="store_true", help="print the result as JSON")
    c.set_defaults(run=_check)


def _tiers(spec: str | None, claim_tiers: str) -> tuple[Tier, ...] | None:
    if not spec:
        if claim_tiers:
            raise InstoreError("usage", "--claim-tiers needs --tiers to name them in")
        return None
    return with_claim_tiers(parse_tiers(spec), claim_tiers)


def _new_campaign(args: argparse.Namespace) -> int:
    made = campaign_file.create(
        args.out,
        args.id,
        args.prefix,
        tiers=_tiers(args.tiers, args.claim_tiers),
        capacity=args.capacity,
        name=args.name,
        starts_at=args.starts,
        ends_at=args.ends,
        master_key=args.master_key,
        ask_details=args.ask_details,
        force=args.force,
    )
    saved, key_path, created_key = made.campaign, made.master_key_path, made.master_key_created
    out = args.out
    counts = dict(zip((t.name for t in saved.tiers), saved.tier_counts(), strict=True))
    emit(
        {
            "campaign": saved.id,
            "file": str(out),
            "master_key": str(key_path),
            "master_key_created": created_key,
            "capacity": saved.capacity,
            "tiers": counts,
        },
        args.json,
        f"campaign {saved.id} written to {out}; master key {'created at' if created_key else 'reused from'}"
        f" {key_path}; capacity {saved.capacity:,} codes ("
        + ", ".join(f"{n} {c:,}" for n, c in counts.items())
        + ")",
    )
    return 0


def _mint(args: argparse.Namespace) -> int:
    report = mint.mint_campaign_file(
        args.campaign, args.out, args.count, args.start, args.png_dir, args.pdf, args.force,
        args.with_tiers,
    )  # fmt: skip
    emit(asdict(report), args.json, report.summary())
    warn_if_tiers(args)
    return 0


def _check(args: argparse.Namespace) -> int:
    campaign = campaign_file.load(args.campaign)
    checker = CodeChecker([CampaignCipher.issuer(campaign)])
    result = checker.check(args.code)
    emit(result.to_dict(), args.json, f"{result.status.value}: {result.message}")
    return 0 if result.valid else 1
