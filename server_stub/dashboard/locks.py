"""The admins' page of sign-in locks, as data: accounts locked after wrong passwords and the
addresses those passwords came from, addresses held back for wrong tokens or passwords, and the
latest unlocks; and the unlock form's action. Admins only: a lock says who is being attacked.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from server_stub.accounts import lockout
from server_stub.accounts.users import Role, Viewer
from server_stub.database.connection import reader
from server_stub.errors import ApiError
from server_stub.limits import counters
from server_stub.limits.throttle import ADMIN_TOKEN, ENROLLMENT_TOKEN, SIGN_IN_ADDRESS

ADDRESS_LIMITS = (SIGN_IN_ADDRESS, ADMIN_TOKEN, ENROLLMENT_TOKEN)


def _admins_only(viewer: Viewer) -> None:
    if viewer.role is not Role.ADMIN:
        raise ApiError(403, "admins_only", "Only an admin sees sign-in locks.")


def locks_page(
    engine: Engine, viewer: Viewer, params: Mapping[str, str] | None = None
) -> dict[str, Any]:
    _admins_only(viewer)
    now = time.time()
    with reader(engine).connect() as conn:
        addresses = [
            {"address": h["who"], "what": limit.words, "attempts": h["attempts"],
             "until": h["until"]}
            for limit in ADDRESS_LIMITS for h in counters.held(conn, limit, now)
        ]  # fmt: skip
    return {
        "viewer": {"username": viewer.username, "role": viewer.role.value},
        "locked": lockout.locked_accounts(engine, now),
        "addresses": addresses,
        "unlocks": lockout.audit(engine),
        "lock_after": lockout.LOCK_AFTER,
        "lock_minutes": lockout.LOCK_S // 60,
        "as_of": now,
    }


def unlock(engine: Engine, viewer: Viewer, form: Mapping[str, str]) -> dict[str, Any]:
    """The unlock form: the signed-in admin lifts a lock, with their reason."""
    _admins_only(viewer)
    return lockout.unlock(engine, form.get("username", ""), viewer.username, form.get("note", ""))
