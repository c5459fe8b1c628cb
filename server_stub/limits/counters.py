"""Attempts counted in the database, per thing limited and per who tried, within a window.

A `Limit` says what is limited, how many attempts a window allows (`most`) and how long whoever
reaches that many is held (`hold_s`). `take` counts one attempt in one atomic statement
(INSERT ... ON CONFLICT DO UPDATE SET n = n + 1 ... RETURNING n, on SQLite and PostgreSQL alike)
and the caller decides from the number that statement returned. Two attempts at once never read
the same count, so however many threads and server processes try together, no more than `most`
attempts in a window are let through.

Count first, check after: an attempt is counted before the password or token is checked, and
one that turns out right is given back (`give_back`) or wipes the count (`clear`). Counting only
after a failed check would let every attempt already in flight through.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, case, delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server_stub.database.connection import is_sqlite, reader, writing
from server_stub.database.schema import attempt_counters as counters
from server_stub.database.schema import attempt_sources as sources

WHO_LENGTH = 200  # a username as typed, an address, a phone number: cut to this
SOURCE_LENGTH = 64
PURGE_EVERY_S = 60.0


@dataclass(frozen=True)
class Limit:
    what: str  # what is limited, the key's first half: sign_in, admin_token (32 characters)
    most: int  # attempts a window allows
    window_s: float  # a window starts at its first attempt
    hold_s: float  # from the attempt that reaches `most`, further ones wait this long (the
    # window ends with the hold, so counting starts again after it)
    words: str = "attempts"  # what is counted, for messages: "wrong passwords"


@dataclass(frozen=True)
class Count:
    """What `take` (or `peek`) found: attempts in the window, this one included."""

    n: int
    ends: float  # when the window, or the hold, ends; the next attempt after starts at 1
    most: int

    @property
    def allowed(self) -> bool:
        return self.n <= self.most

    @property
    def reached(self) -> bool:
        """The next attempt would be refused."""
        return self.n >= self.most

    def retry_after(self, now: float | None = None) -> int:
        """Whole seconds until the hold ends (at least 1), for Retry-After."""
        now = time.time() if now is None else now
        return max(1, math.ceil(self.ends - now))


def subject(text: str) -> str:
    """A key both databases keep: no NUL (PostgreSQL refuses one in text), no lone surrogate,
    at most WHO_LENGTH characters."""
    clean = text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    return clean[:WHO_LENGTH]


def take(
    conn: Connection, limit: Limit, who: str, now: float | None = None, source: str | None = None
) -> Count:
    """Count one attempt by `who`, in one statement; `source` (an address) is noted beside it."""
    now = time.time() if now is None else now
    who = subject(who)
    t = counters
    dialect: Any = sqlite if is_sqlite(conn) else postgresql
    stale = t.c.ends <= now  # the last window ended: this attempt starts a new one
    first_ends = now + (limit.hold_s if limit.most <= 1 else limit.window_s)
    held_until = now + limit.hold_s
    statement = (
        dialect.insert(t)
        .values(what=limit.what, who=who, n=1, started=now, ends=first_ends)
        .on_conflict_do_update(
            index_elements=[t.c.what, t.c.who],
            set_={
                "n": case((stale, 1), else_=t.c.n + 1),
                "started": case((stale, now), else_=t.c.started),
                "ends": case(
                    (stale, first_ends),
                    # the attempt that reaches the limit holds the subject from now on, and the
                    # window ends with the hold: then counting starts again
                    (t.c.n + 1 == limit.most, held_until),
                    else_=t.c.ends,
                ),
            },
        )
        .returning(t.c.n, t.c.ends)
    )
    row = conn.execute(statement).one()
    count = Count(int(row.n), float(row.ends), limit.most)
    if source is not None:
        _note_source(conn, limit, who, subject(source)[:SOURCE_LENGTH], now, count.n == 1)
    return count


def _note_source(
    conn: Connection, limit: Limit, who: str, source: str, now: float, new_window: bool
) -> None:
    s = sources
    if new_window:  # addresses of an ended window are not this one's
        conn.execute(delete(s).where(s.c.what == limit.what, s.c.who == who))
    dialect: Any = sqlite if is_sqlite(conn) else postgresql
    conn.execute(
        dialect.insert(s)
        .values(what=limit.what, who=who, source=source, n=1, last_seen=now)
        .on_conflict_do_update(
            index_elements=[s.c.what, s.c.who, s.c.source],
            set_={"n": s.c.n + 1, "last_seen": now},
        )
    )


def peek(conn: Connection, limit: Limit, who: str, now: float | None = None) -> Count | None:
    """The window in force for `who`, without counting anything; None when there is none."""
    now = time.time() if now is None else now
    row = conn.execute(
        select(counters.c.n, counters.c.ends).where(
            counters.c.what == limit.what, counters.c.who == subject(who), counters.c.ends > now
        )
    ).first()
    return None if row is None else Count(int(row.n), float(row.ends), limit.most)


def give_back(conn: Connection, limit: Limit, who: str) -> None:
    """An attempt that turned out right no longer counts against `who`."""
    conn.execute(
        update(counters)
        .where(counters.c.what == limit.what, counters.c.who == subject(who), counters.c.n > 0)
        .values(n=counters.c.n - 1)
    )


def clear(conn: Connection, limit: Limit, who: str) -> bool:
    """Forget every attempt by `who` (a right password, an unlock); whether there were any."""
    who = subject(who)
    conn.execute(delete(sources).where(sources.c.what == limit.what, sources.c.who == who))
    gone = conn.execute(
        delete(counters).where(counters.c.what == limit.what, counters.c.who == who)
    )
    return bool(gone.rowcount)


def purge(conn: Connection, now: float | None = None) -> None:
    """Drop windows that have ended, and the addresses noted in them."""
    now = time.time() if now is None else now
    conn.execute(delete(counters).where(counters.c.ends <= now))
    alive = select(counters.c.what).where(
        counters.c.what == sources.c.what, counters.c.who == sources.c.who
    )
    conn.execute(delete(sources).where(~exists(alive)))


_purged = [0.0]  # when this process last purged: a cheap write now and then, never per request


def attempt(
    engine: Engine, limit: Limit, who: str, source: str | None = None, now: float | None = None
) -> Count:
    """Count one attempt by `who`, unless `who` is held already: then nothing is written and
    the count says so (n past `most`), so a held attacker costs a read, not a write."""
    now = time.time() if now is None else now
    with reader(engine).connect() as conn:
        seen = peek(conn, limit, who, now)
    if seen is not None and seen.reached:
        return Count(seen.n + 1, seen.ends, limit.most)
    with writing(engine) as conn:
        count = take(conn, limit, who, now, source)
        if now - _purged[0] > PURGE_EVERY_S:
            _purged[0] = now
            purge(conn, now)
    return count


def forgive(engine: Engine, limit: Limit, who: str) -> None:
    """`give_back` in a transaction of its own."""
    with writing(engine) as conn:
        give_back(conn, limit, who)


def held(conn: Connection, limit: Limit, now: float | None = None) -> list[dict[str, Any]]:
    """Everyone `limit` holds now, the longest held first, each with the addresses their
    attempts came from (most attempts first)."""
    now = time.time() if now is None else now
    rows = conn.execute(
        select(counters)
        .where(counters.c.what == limit.what, counters.c.n >= limit.most, counters.c.ends > now)
        .order_by(counters.c.started, counters.c.who)
    ).all()
    found: dict[str, list[dict[str, Any]]] = {r.who: [] for r in rows}
    if found:
        for s in conn.execute(
            select(sources)
            .where(sources.c.what == limit.what, sources.c.who.in_(list(found)))
            .order_by(sources.c.n.desc(), sources.c.source)
        ):
            found[s.who].append({"address": s.source, "attempts": int(s.n), "last": s.last_seen})
    return [
        {"who": r.who, "attempts": int(r.n), "since": r.started, "until": r.ends,
         "sources": found[r.who]}
        for r in rows
    ]  # fmt: skip
