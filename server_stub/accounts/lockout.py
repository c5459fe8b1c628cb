"""A dashboard account locked after wrong passwords, and an admin lifting the lock.

10 wrong passwords for one name within a day lock it for 30 minutes from the tenth (PCI DSS
8.3.4). They are attempt counters (`limits.counters`, what `sign_in`), keyed by the name as it
was typed: a name that belongs to nobody is counted and locked exactly as a real one, so no
answer tells which names exist. A right password wipes the count. An admin who has checked with
the account's owner lifts a lock (`unlock`); `account_audit` keeps who lifted whose, when and why.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, insert, select

from server_stub.database.connection import reader, writing
from server_stub.database.schema import account_audit, users
from server_stub.errors import ApiError, not_found
from server_stub.limits import counters
from server_stub.limits.counters import Limit

LOCK_AFTER = 10  # wrong passwords within WINDOW_S
LOCK_S = 30 * 60
WINDOW_S = 24 * 3600
SIGN_IN = Limit("sign_in", LOCK_AFTER, WINDOW_S, LOCK_S, "wrong passwords")


def is_locked(engine: Engine, name: str, now: float | None = None) -> bool:
    """Whether a sign-in as `name` would be refused unchecked; a read, never a write."""
    with reader(engine).connect() as conn:
        held = counters.peek(conn, SIGN_IN, name[:64], now)
    return held is not None and held.reached


def locked_names(engine: Engine, now: float | None = None) -> set[str]:
    with reader(engine).connect() as conn:
        return {h["who"] for h in counters.held(conn, SIGN_IN, now)}


def locked_accounts(engine: Engine, now: float | None = None) -> list[dict[str, Any]]:
    """Accounts locked now: since when, until when, the wrong passwords counted and the
    addresses they came from. Names that belong to nobody are left out."""
    with reader(engine).connect() as conn:
        found = counters.held(conn, SIGN_IN, now)
        roles = {
            r.username: r.role
            for r in conn.execute(
                select(users.c.username, users.c.role).where(
                    users.c.username.in_([h["who"] for h in found])
                )
            )
        }
    return [
        {"username": h["who"], "role": roles[h["who"]], "wrong_passwords": h["attempts"],
         "since": h["since"], "until": h["until"], "sources": h["sources"]}
        for h in found if h["who"] in roles
    ]  # fmt: skip


def unlock(
    engine: Engine, username: str, by: str, note: str, now: float | None = None
) -> dict[str, Any]:
    """Lift `username`'s lock, saying who (`by`) and why (`note`: how the owner was reached).
    Refused for a name with no account or an account that is not locked."""
    now = time.time() if now is None else now
    by, note = by.strip(), note.strip()
    if not by or len(by) > 128:
        raise ApiError(422, "bad_name", "say who unlocks it (1 to 128 characters)")
    if not note or len(note) > 2000:
        raise ApiError(422, "no_reason", "say why, e.g. how the owner was reached (1 to 2,000 characters)")  # fmt: skip
    with writing(engine) as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first() is None:
            raise not_found(f"user {username!r}")
        held = counters.peek(conn, SIGN_IN, username, now)
        if held is None or not held.reached:
            raise ApiError(409, "not_locked", f"user {username!r} is not locked")
        counters.clear(conn, SIGN_IN, username)
        conn.execute(
            insert(account_audit).values(
                username=username, action="unlocked", by=by, note=note, at=now
            )
        )
    return {"username": username, "unlocked": True, "by": by, "note": note, "at": now}


def audit(engine: Engine, last: int = 20) -> list[dict[str, Any]]:
    """The latest unlocks, newest first."""
    with reader(engine).connect() as conn:
        rows = conn.execute(
            select(account_audit).order_by(account_audit.c.id.desc()).limit(last)
        ).all()
    return [
        {"username": r.username, "action": r.action, "by": r.by, "note": r.note, "at": r.at}
        for r in rows
    ]
