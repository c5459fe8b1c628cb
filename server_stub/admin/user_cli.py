"""`instore admin user ...`: the people who sign in to the dashboard."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from codes.common.errors import InstoreError
from server_stub.accounts import lockout, users

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]
Say = Callable[[argparse.Namespace, dict[str, Any], str], int]
Table = Callable[[argparse.Namespace, list[dict[str, Any]]], int]


def register(groups: Any, command: Command, say: Say, table: Table) -> None:
    user = groups.add_parser("user", help="people who sign in to the dashboard").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = command(
        user, "create", "add a dashboard user; the password is read from standard input",
        lambda e, a: say(a, users.create_user(e, a.username, _password(a), a.role, a.store,
                                              a.campaign, a.partner),
                         f"user {a.username} created"),
    )  # fmt: skip
    p.add_argument("--username", required=True, help="what they type to sign in")
    p.add_argument("--role", required=True, choices=tuple(users.Role),
                   help="admin: users, stores, devices; campaign_manager: their campaigns in every"
                   " store; store_manager: their stores only; helpdesk: reads all, proposes"
                   " conflict resolutions. The prize office sees prize claims only: verifier:"
                   " checks a winner's invoice and ID and recommends approve or reject; approver:"
                   " decides a recommendation someone else made; logistics: ships approved"
                   " prizes. partner: one loyalty partner's own settlement figures, nothing"
                   " else")  # fmt: skip
    p.add_argument("--store", action="append", default=[], metavar="ID",
                   help="a store a store manager runs (repeat for several)")  # fmt: skip
    p.add_argument("--campaign", action="append", default=[], metavar="ID",
                   help="a campaign a campaign manager runs (repeat for several)")  # fmt: skip
    p.add_argument("--partner", action="append", default=[], metavar="ID",
                   help="the loyalty partner a partner user works for (exactly one)")  # fmt: skip
    _password_flag(p)
    command(user, "list", "list dashboard users, their roles and scopes",
            lambda e, a: table(a, users.list_users(e)))  # fmt: skip
    p = command(user, "disable", "stop a user signing in; their sessions end at once",
                lambda e, a: say(a, users.disable_user(e, a.username),
                                 f"user {a.username} disabled"))  # fmt: skip
    p.add_argument("--username", required=True)
    p = command(user, "reset-password", "give a user a new password (and lift a lock)",
                lambda e, a: say(a, users.reset_password(e, a.username, _password(a)),
                                 f"password of {a.username} reset"))  # fmt: skip
    p.add_argument("--username", required=True)
    _password_flag(p)
    p = command(
        user, "unlock",
        "let a user sign in again after 10 wrong passwords locked them out (the lock ends by"
        " itself after 30 minutes). Call them first: if they did not type those passwords,"
        " someone else is guessing (the dashboard's Sign-in locks page says from which"
        " addresses). Your name and reason are kept",
        lambda e, a: say(a, lockout.unlock(e, a.username, a.by, a.note),
                         f"user {a.username} unlocked"),
    )  # fmt: skip
    p.add_argument("username", metavar="USERNAME", help="the locked user, as they sign in")
    p.add_argument("--by", required=True, metavar="NAME", help="who you are (kept in the audit)")
    p.add_argument("--note", required=True, metavar="WHY",
                   help="why, e.g. 'Nora phoned, she mistyped after the holiday'")  # fmt: skip


def _password_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from standard input (one line), not a prompt")  # fmt: skip


def _password(args: argparse.Namespace) -> str:
    """Never on the command line, where other users of the machine could read it."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise InstoreError("bad_input", "the two passwords differ")
    else:
        raise InstoreError("bad_input", "give --password-stdin and the password on standard input")
    if not password:
        raise InstoreError("bad_input", "the password is empty")
    return password
