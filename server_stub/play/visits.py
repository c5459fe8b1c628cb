"""A shopper's visit to /play/: a random token in a cookie, its hash in the database, the CSRF
token its forms carry, and the phone a one-time password confirmed.

A visit starts anonymous (`anonymous`): nothing is stored until a password is sent, so a flood
of first requests writes nothing; its CSRF token lives in a cookie of its own until then.
`await_phone` stores the visit with the number a password was sent to, `confirm` makes it the
visit's phone. A visit idle for IDLE_S ends; a confirmed one lasts at most
LONGEST_S, then the shopper confirms the phone again.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import NamedTuple

from sqlalchemy import Engine, bindparam, delete, insert, select, update

from server_stub.database.connection import OneConnection, writing
from server_stub.database.schema import play_sessions

IDLE_S = 30 * 60
LONGEST_S = 12 * 3600
PURGE_EVERY_S = 300.0
_purged = [0.0]
# built once: every code entry reads its visit
_FIND = select(play_sessions).where(play_sessions.c.token_hash == bindparam("key"))
_END = delete(play_sessions).where(play_sessions.c.token_hash == bindparam("key"))
_SEEN = (
    update(play_sessions)
    .where(play_sessions.c.token_hash == bindparam("key"))
    .values(last_seen=bindparam("now"))
)


class Visit(NamedTuple):
    token: str  # for the cookie; never stored
    csrf: str
    phone: str | None  # confirmed by a one-time password
    pending_phone: str | None  # a password is on its way there


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def anonymous(csrf: str = "") -> Visit:
    """A visit nothing is stored of yet (token ""): its CSRF token, the one its cookie carried
    when that looks like ours, else a new one."""
    if not 32 <= len(csrf) <= 64 or not csrf.replace("-", "").replace("_", "").isalnum():
        csrf = secrets.token_urlsafe(32)
    return Visit("", csrf, None, None)


def start(engine: Engine, now: float | None = None) -> Visit:
    """A visit stored at once, with no phone yet (for tools that sign shoppers in directly)."""
    return _stored(engine, anonymous().csrf, None, time.time() if now is None else now)


def _stored(engine: Engine, csrf: str, pending_phone: str | None, now: float) -> Visit:
    token = secrets.token_urlsafe(32)
    with writing(engine) as conn:
        if now - _purged[0] > PURGE_EVERY_S:
            _purged[0] = now
            conn.execute(delete(play_sessions).where(play_sessions.c.last_seen < now - IDLE_S))
        conn.execute(
            insert(play_sessions).values(
                token_hash=_hash(token), csrf=csrf, pending_phone=pending_phone, created=now,
                last_seen=now,
            )
        )  # fmt: skip
    return Visit(token, csrf, None, pending_phone)


def find(db: Engine | OneConnection, token: str, now: float | None = None) -> Visit | None:
    """The visit behind a cookie, kept alive; None when unknown or ended. `db`: a request's one
    connection, or the engine."""
    if not token or len(token) > 100:
        return None
    now = time.time() if now is None else now
    key = _hash(token)
    with OneConnection.of(db) as one:
        row = one.reading().execute(_FIND, {"key": key}).first()
        if row is None:
            return None
        if row.last_seen < now - IDLE_S or row.created < now - LONGEST_S:
            with one.writing() as conn:
                conn.execute(_END, {"key": key})
            return None
        if now - row.last_seen > 60:  # a write per page would cost every code entry a commit
            with one.writing() as conn:
                conn.execute(_SEEN, {"key": key, "now": now})
    return Visit(token, row.csrf, row.phone, row.pending_phone)


def await_phone(engine: Engine, visit: Visit, phone: str) -> Visit:
    """A one-time password went to `phone`: the visit waits for it (a confirmed phone stays
    confirmed until another is). An anonymous visit is stored from here."""
    if not visit.token:
        return _stored(engine, visit.csrf, phone, time.time())
    with writing(engine) as conn:
        conn.execute(
            update(play_sessions)
            .where(play_sessions.c.token_hash == _hash(visit.token))
            .values(pending_phone=phone)
        )
    return visit._replace(pending_phone=phone)


def confirm(engine: Engine, visit: Visit, phone: str) -> Visit:
    """The phone is the shopper's: a new token and CSRF token from here on, so a token seen
    before the confirmation (a shared tablet, a fixed cookie) is worth nothing after it."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = time.time()
    with writing(engine) as conn:
        conn.execute(delete(play_sessions).where(play_sessions.c.token_hash == _hash(visit.token)))
        conn.execute(
            insert(play_sessions).values(
                token_hash=_hash(token), csrf=csrf, phone=phone, created=now, last_seen=now
            )
        )
    return Visit(token, csrf, phone, None)


def end(engine: Engine, token: str) -> None:
    if not token:
        return
    with writing(engine) as conn:
        conn.execute(_END, {"key": _hash(token)})
