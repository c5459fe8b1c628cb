"""`instore admin ...`: stores, campaigns, devices, rules, conflicts and reports, on the database."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from codes.common.cli import counted, emit, whole_number
from codes.common.errors import InstoreError
from codes.mint_options import add_mint_options, warn_if_tiers
from server_stub.admin import (
    backup_cli,
    claim_cli,
    content_cli,
    device_control,
    dispatch_cli,
    limit_cli,
    member_cli,
    outbox_cli,
    partner_cli,
    person_cli,
    points_cli,
    report_table,
    rewards_cli,
    settlement_cli,
    user_cli,
    wheel_cli,
)
from server_stub.catalog import campaign_setup, device_config, enrollment, store_setup
from server_stub.database.connection import (
    DEFAULT_URL,
    admin_token,
    migrate,
    missing_sqlite_file,
    open_engine,
    pending_migrations,
)
from server_stub.records import conflicts, reports
from sync.protocol import LimitConfig, TierRuleConfig

Action = Callable[[Engine, argparse.Namespace], int]


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the campaign: stores, campaigns, devices, rules, conflicts, reports, dashboard users."
    )
    parser.add_argument(
        "--db", default=DEFAULT_URL, help=f"the server's database (default {DEFAULT_URL})"
    )
    groups = parser.add_subparsers(dest="group", metavar="WHAT", required=True)

    def command(sub: Any, name: str, help_text: str, action: Action) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="answer in JSON")
        p.set_defaults(run=_on_database(action))
        return p

    command(
        groups,
        "migrate",
        "create the database's tables, or upgrade them after installing a new instore; says"
        " from which revision to which. A database a newer instore wrote is refused, untouched",
        _migrate,
    )
    command(groups, "token", "print the admin token for the HTTP admin endpoints", _token)

    store = groups.add_parser("store", help="stores").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = command(
        store,
        "create",
        "add a store",
        lambda e, a: _say(a, store_setup.create_store(e, a.id, a.name, a.silent_after,
                                                      a.partner), f"store {a.id} created"),
    )  # fmt: skip
    p.add_argument("--id", required=True, help="short id, e.g. store-12")
    p.add_argument("--name", required=True, help="the name staff use, e.g. 'Main Street'")
    p.add_argument("--silent-after", type=whole_number(1), default=60, metavar="MINUTES",
                   help="a device not heard from for longer stands out on the dashboard"
                   " (default 60)")  # fmt: skip
    p.add_argument("--partner", metavar="P",
                   help="the loyalty partner the store belongs to (see 'partner list'): its"
                   " tills count points by that partner's earn rules")  # fmt: skip
    command(store, "list", "list stores", lambda e, a: _table(a, store_setup.list_stores(e)))

    campaign = groups.add_parser("campaign", help="campaigns").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = command(campaign, "create", "register a campaign made with 'instore codes new-campaign'",
                _create_campaign)  # fmt: skip
    p.add_argument("--file", required=True, type=Path, metavar="CAMPAIGN_FILE",
                   help="the campaign file; its key is derived from the master key file beside it")  # fmt: skip
    p.add_argument(
        "--budget", type=float, help="what the brand will spend on rewards (for the cost report)"
    )
    command(
        campaign, "list", "list campaigns", lambda e, a: _table(a, campaign_setup.list_campaigns(e))
    )
    content_cli.register(campaign, command, _say)

    codes = groups.add_parser("codes", help="printable codes").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = command(
        codes,
        "mint",
        "make the next printable codes of a registered campaign (a CSV for the printer, and QR"
        " pictures or a printable PDF) and record them as issued, so enrolled devices accept them"
        " after their next sync; the server's count is the only one, so no serial goes into two"
        " print runs",
        _mint,
    )
    p.add_argument("campaign_id", metavar="CAMPAIGN_ID")
    add_mint_options(p)

    device = groups.add_parser("device", help="in-store devices").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = command(device, "enroll", "make a one-time token a new device enrolls with", _enroll)
    p.add_argument("--store", required=True, help="the store the device stands in")
    p.add_argument("--name", required=True, help="a name staff recognise, e.g. 'Till 2'")
    p.add_argument("--token-only", action="store_true", help="print only the token (for scripts)")
    command(
        device,
        "list",
        "list devices and when each was last heard from",
        lambda e, a: _table(a, enrollment.list_devices(e)),
    )
    p = command(
        device,
        "revoke",
        "stop a lost or stolen device from syncing",
        lambda e, a: _revoked(a, device_control.revoke_device(e, a.device_id)),
    )
    p.add_argument("device_id", metavar="DEVICE_ID")
    p = command(
        device,
        "review",
        "after looking at a device's forged codes (see its alerts), let it claim online again",
        lambda e, a: _say(
            a, device_control.review_device(e, a.device_id), f"device {a.device_id} reviewed"
        ),
    )
    p.add_argument("device_id", metavar="DEVICE_ID")

    limits = groups.add_parser(
        "limits", help="limits, offline budget and loyalty rules"
    ).add_subparsers(dest="action", metavar="ACTION", required=True)
    p = command(
        limits,
        "set",
        "change the rules devices apply (for every store, or one with --store)",
        _limits,
    )
    p.add_argument("--store", help="only this store (default: every store)")
    p.add_argument("--limit", metavar="SCOPE=MAX[:soft]", action="append", default=[],
                   help="cashier_day, terminal_hour or member_day; e.g. cashier_day=50 or member_day=3:soft; MAX 0 removes it (with --store: lifts the chain's limit at that store; the store's other limits and the chain's stay)")  # fmt: skip
    p.add_argument("--tier", help="the reward tier the next three options are for")
    p.add_argument(
        "--offline-count",
        type=whole_number(0),
        help="at most this many of the tier per device between syncs",
    )
    p.add_argument(
        "--offline-value",
        type=float,
        help="at most this much value of the tier per device between syncs",
    )
    p.add_argument(
        "--needs-online",
        action=argparse.BooleanOptionalAction,
        help="the tier can only be redeemed while the server answers",
    )
    p.add_argument(
        "--currency-per-point",
        type=float,
        help="loyalty: this much spent earns --points (default 10)",
    )
    p.add_argument(
        "--points",
        type=whole_number(0),
        help="loyalty: points earned per --currency-per-point (default 1)",
    )
    p.add_argument("--checkin-points", type=whole_number(0), help="loyalty: points for a visit")
    p.add_argument(
        "--offline-spend-cap",
        type=whole_number(0),
        help="loyalty: points one member may spend at a device between syncs",
    )
    command(
        limits,
        "show",
        "show the rules devices apply",
        lambda e, a: _say(
            a,
            device_config.show_config(e, a.store),
            json.dumps(device_config.show_config(e, a.store), indent=2),
        ),
    ).add_argument("--store")

    p = groups.add_parser("conflicts", help="double redemptions, overdrafts, a revoked device's"
                          " events to review: list and resolve",
                          description="List conflicts (newest first) or resolve one.")  # fmt: skip
    p.add_argument("--json", action="store_true", help="a JSON array, one object per conflict")
    p.add_argument("--state", choices=("open", "resolved"))
    p.add_argument("--kind", choices=conflicts.KINDS)
    p.add_argument("--store", help="only conflicts with a side in this store")
    p.set_defaults(run=_on_database(_conflicts))
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    r = command(sub, "resolve", "close a conflict, saying what was done", _resolve)
    r.add_argument("conflict_id", type=whole_number(1), metavar="ID")
    r.add_argument("--action", required=True, choices=tuple(conflicts.ACTIONS),
                   help="; ".join(f"{k}: {v}" for k, v in conflicts.ACTIONS.items()))  # fmt: skip
    r.add_argument("--by", required=True, help="who decided")
    r.add_argument("--note", required=True, help="why, in a sentence")

    user_cli.register(groups, command, _say, _table)
    rewards_cli.register(groups, command, _say, _table)
    limit_cli.register(groups, command, _say, _table)
    partner_cli.register(groups, command, _say, _table)
    member_cli.register(groups, command, _say)
    points_cli.register(groups, command, _say)
    wheel_cli.register(groups, command, _say)
    claim_cli.register(groups, command)
    dispatch_cli.register(groups, command)
    person_cli.register(groups, command)
    outbox_cli.register(groups, command)
    settlement_cli.register(groups, command)
    backup_cli.register(groups)

    p = command(groups, "report", "redemptions, conflicts or points, grouped", _report)
    p.add_argument("what", choices=reports.REPORTS)
    p.add_argument("--by", default="day", choices=reports.GROUPS)
    p.add_argument("--csv", type=Path, help="also write the rows to this CSV file")


def _on_database(action: Action) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        missing = missing_sqlite_file(args.db)
        if missing is not None and args.group != "migrate":
            # a typo in --db must not quietly make an empty database that says "no conflicts"
            raise InstoreError(
                "no_database",
                f"there is no server database at {missing}; to create one, run: instore admin"
                f" --db {args.db} migrate",
            )
        engine = open_engine(args.db)
        try:
            # an older or new database: bring it up to date first (`migrate` says what it did)
            if args.group != "migrate" and pending_migrations(engine):
                migrate(engine)
            return action(engine, args)
        finally:
            engine.dispose()

    return run


def _create_campaign(engine: Engine, args: argparse.Namespace) -> int:
    added = campaign_setup.add_campaign_file(engine, args.file, args.budget, args.db)
    named = f"{added['id']} ({added['name']})" if added.get("name") else added["id"]
    return _say(args, added, f"campaign {named} registered from {args.file}; from now on mint"
                f" its codes with: instore admin --db {args.db} codes mint ...")  # fmt: skip


def _say(args: argparse.Namespace, data: dict[str, Any], text: str) -> int:
    emit(data, args.json, text)
    return 0


def _table(args: argparse.Namespace, rows: list[dict[str, Any]]) -> int:
    if args.json:
        print(json.dumps(rows, default=str))
    elif not rows:
        print("(none)")
    for row in [] if args.json else rows:
        print("  ".join(f"{k}={_plain(v)}" for k, v in row.items()))
    return 0


def _plain(value: Any) -> str:
    if isinstance(value, float) and value > 1e9:  # a time stamp
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M")
    return "-" if value is None else str(value)


def _migrate(engine: Engine, args: argparse.Namespace) -> int:
    done = migrate(engine)
    return _say(args, dataclasses.asdict(done), done.summary())


def _token(engine: Engine, args: argparse.Namespace) -> int:
    with engine.connect() as conn:
        token = admin_token(conn)
    return _say(args, {"token": token}, token)


def _mint(engine: Engine, args: argparse.Namespace) -> int:
    report = campaign_setup.mint_codes(
        engine, args.campaign_id, args.count, args.out, args.start, args.pdf, args.force,
        args.png_dir, args.with_tiers,
    )  # fmt: skip
    _say(args, dataclasses.asdict(report), report.summary())
    warn_if_tiers(args)
    return 0


def _revoked(args: argparse.Namespace, done: dict[str, Any]) -> int:
    freed, withdrawn = done["claims_released"], done["vouchers_withdrawn"]
    return _say(
        args, done, f"device {args.device_id} revoked; {counted(freed, 'code')} it had claimed"
        " online without a redemption released; "
        f"{counted(done['flagged_for_review'], 'recent event')} put on the conflicts list for"
        " review (instore admin conflicts --kind review)"
        + (f"; {counted(withdrawn, 'voucher')} it held withdrawn" if withdrawn else ""),
    )  # fmt: skip


def _enroll(engine: Engine, args: argparse.Namespace) -> int:
    made = enrollment.enroll_device(engine, args.store, args.name)
    if args.token_only and not args.json:
        print(made["token"], flush=True)
        return 0
    return _say(
        args,
        made,
        f"device {made['name']} ({made['device_id']}) at {made['store_id']}: enroll it with token {made['token']}",
    )


def _limits(engine: Engine, args: argparse.Namespace) -> int:
    limits = []
    for spec in args.limit:
        scope, _, rest = spec.partition("=")
        number, _, soft = rest.partition(":")
        try:
            limits.append(LimitConfig(scope=scope, max=int(number), hard=soft != "soft"))
        except ValueError:
            raise InstoreError(
                "usage", f"--limit {spec!r}: write SCOPE=MAX[:soft], e.g. cashier_day=50"
            ) from None
    rule = None
    if args.tier:
        rule = TierRuleConfig(
            tier=args.tier, offline_count=args.offline_count, offline_value=args.offline_value,
            needs_online=bool(args.needs_online),
        )  # fmt: skip
    loyalty = {
        "currency_per_unit": args.currency_per_point, "points_per_unit": args.points,
        "checkin_points": args.checkin_points, "offline_spend_cap": args.offline_spend_cap,
    }  # fmt: skip
    config = device_config.set_config(
        engine, args.store, limits, rule, {k: v for k, v in loyalty.items() if v is not None}
    )
    where = args.store or "every store"
    return _say(
        args, config.model_dump(), f"rules for {where} saved; devices take them at their next sync"
    )


def _conflicts(engine: Engine, args: argparse.Namespace) -> int:
    found = conflicts.list_conflicts(engine, args.state, args.kind, args.store)
    if args.json:
        print(json.dumps(found, default=str))
        return 0
    if not found:
        print("no conflicts")
    for c in found:
        first, second = c["first"], c["second"]
        what = (
            c["code"]
            if c["kind"] == "double_redemption"
            else f"member {c['member']} ({c['points']} points)"
        )
        print(
            f"#{c['id']} {c['kind']} [{c['state']}] {what}: first {first.get('device_name', '-')}"
            f" at {first.get('store_id', '-')} ({first.get('local_time', '-')}), then"
            f" {second.get('device_name', '-')} at {second.get('store_id', '-')} ({second.get('local_time', '-')})"
        )
    return 0


def _resolve(engine: Engine, args: argparse.Namespace) -> int:
    done = conflicts.resolve(engine, args.conflict_id, args.action, args.by, args.note)
    return _say(args, done, f"conflict {args.conflict_id} resolved: {args.action}")


def _report(engine: Engine, args: argparse.Namespace) -> int:
    result = reports.report(engine, args.what, args.by)
    if args.csv:
        header, rows = reports.to_csv_rows(result)
        with args.csv.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
    if args.json:
        print(json.dumps(result, default=str))
        return 0
    names = reports.store_names(engine) if args.by == "store" else {}
    print("\n".join(report_table.lines(result, names)))
    sys.stdout.flush()
    return 0
