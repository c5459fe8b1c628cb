"""`instore admin outbox`: the messages to winners (claim news and vouchers, by SMS and email),
as a store manager checks that they went out; and a dead letter sent again."""

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
from server_stub.notifications import outbox_reads
from server_stub.prizes.claims import normal_number

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]


def register(groups: Any, command: Command) -> None:
    p = command(
        groups, "outbox",
        "the messages to winners: each claim's news (received, being checked, approved or not,"
        " on its way, delivered) and each voucher won on the web, by SMS and by email, newest"
        " first, with how many messages wait, went and could not be sent. 'pending' waits for"
        " its turn or for its gateway (the last error says why: a mail server down, or none set"
        " with instore server --smtp); 'dead' will not be sent: the gateway refused it for good"
        " or it waited 3 days. Plain text shows only a phone's last 4 digits; --json shows"
        " every address whole, for staff",
        _list,
    )  # fmt: skip
    p.add_argument("--state", choices=outbox_reads.STATES, help="only messages in this state")
    p.add_argument("--claim", metavar="NUMBER", help="only the messages of this claim (CL-...)")
    p.add_argument("--limit", type=whole_number(1), default=100,
                   help="at most this many messages (100)")  # fmt: skip
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    retry = command(
        actions, "retry",
        "send a dead message once more, now: after the winner's address was put right or the"
        " gateway's problem was fixed (see its last error first)",
        _retry,
    )  # fmt: skip
    retry.add_argument("id", type=whole_number(1), metavar="ID", help="the message's id")


def _list(engine: Engine, args: argparse.Namespace) -> int:
    claim = (normal_number(args.claim) or args.claim) if args.claim else None
    rows = outbox_reads.messages(engine, args.state, args.limit, claim=claim)
    if args.json:
        print(json.dumps(rows, default=str), flush=True)
        return 0
    counts = outbox_reads.counts(engine)
    print("  ".join(f"{state} {sum(c.values())} ({_split(c)})" for state, c in counts.items()))
    for row in rows:
        print(_line(row))
    if not rows:
        print("(no messages)")
    return 0


def _retry(engine: Engine, args: argparse.Namespace) -> int:
    try:
        row = outbox_reads.retry(engine, args.id)
    except ApiError as exc:
        if exc.status not in (404, 409):
            raise
        if args.json:
            print(json.dumps({"error": exc.code, "message": exc.message}), flush=True)
        print(f"instore: {exc.message}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(row, default=str), flush=True)
    else:
        print(f"message {row['id']} is pending again: the worker sends it within a few seconds")
    return 0


def _split(by_channel: dict[str, int]) -> str:
    return ", ".join(f"{channel} {n}" for channel, n in by_channel.items())


def _line(row: dict[str, Any]) -> str:
    to = outbox_reads.masked(row["channel"], row["to"])
    when = {
        "sent": f"sent {_when(row['sent_at'])}",
        "pending": f"next try {_when(row['next_at'])}",
        "dead": f"written {_when(row['created'])}",
    }.get(row["state"], "")
    tries = f"{row['attempts']} tr{'y' if row['attempts'] == 1 else 'ies'}"
    error = f"  {row['last_error']}" if row["last_error"] and row["state"] != "sent" else ""
    return (f"#{row['id']:<6} {row['state']:<7} {row['channel']:<5} {row['kind']:<21}"
            f" {row['claim'] or '-':<11} {to}  {tries}, {when}{error}")  # fmt: skip


def _when(at: float | None) -> str:
    if at is None:
        return "-"
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
