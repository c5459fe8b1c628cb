"""Dashboard sessions kept on the server: a random token in an HttpOnly cookie, its hash in the
database, a CSRF token per session, an idle timeout, and at most MAX_PER_USER sessions a person
(signing in once more ends their oldest)."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import NamedTuple

from sqlalchemy import Engine, delete, insert, select, update

from server_stub.accounts.users import Viewer, viewer
from server_stub.database.schema import users, web_sessions

IDLE_S = 30 * 60
# A manager may be signed in on a desk, a tablet and a phone at once; a stolen password used
# again and again does not pile up sessions that each stay alive.
MAX_PER_USER = 5


class Session(NamedTuple):
    viewer: Viewer
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(engine: Engine, user_id: int, now: float | None = None) -> str:
    """A new session for the person, ending their oldest beyond MAX_PER_USER; the token for
    their cookie."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.last_seen < now - IDLE_S))
        older = (
            select(web_sessions.c.token_hash).where(web_sessions.c.user_id == user_id)
            .order_by(web_sessions.c.created.desc(), web_sessions.c.token_hash)
            .offset(MAX_PER_USER - 1)  # the newest others stay beside the new one
        )  # fmt: skip
        conn.execute(delete(web_sessions).where(web_sessions.c.token_hash.in_(older)))
        conn.execute(
            insert(web_sessions).values(
                token_hash=_hash(token), user_id=user_id, csrf=secrets.token_urlsafe(32),
                created=now, last_seen=now,
            )
        )  # fmt: skip
    return token


def session(engine: Engine, token: str, now: float | None = None) -> Session | None:
    """The session behind a cookie, kept alive; None when unknown, idle too long, or its
    account disabled."""
    if not token or len(token) > 100:
        return None
    now = time.time() if now is None else now
    key = _hash(token)
    with engine.begin() as conn:
        row = conn.execute(
            select(web_sessions, users.c.disabled)
            .join(users, users.c.id == web_sessions.c.user_id)
            .where(web_sessions.c.token_hash == key)
        ).first()  # fmt: skip
        if row is None:
            return None
        if row.last_seen < now - IDLE_S or row.disabled:
            conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == key))
            return None
        if now - row.last_seen > 30:  # a write per request would cost every page a commit
            conn.execute(
                update(web_sessions).where(web_sessions.c.token_hash == key).values(last_seen=now)
            )
        return Session(viewer(conn, int(row.user_id)), row.csrf)


def close_session(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == _hash(token)))
