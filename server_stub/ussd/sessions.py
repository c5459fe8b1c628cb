"""A USSD session's place in the menus, kept in `ussd_sessions` between a gateway's requests.

A row per session id: the menu it is at (`menu`), and in `state` that menu's data (a page, a
chosen language), how many of the gateway's inputs it has read (`seen`: Africa's Talking sends
them all again each time), the last reply (a gateway's retry is answered the same), and whether
it ended. A session the network cut off (no `END` was sent) can be taken up by the same phone's
next session within RESUME_S; it is offered once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, select, update

from server_stub.database.connection import insert_ignore
from server_stub.database.loyalty_tables import ussd_sessions as table

RESUME_S = 5 * 60.0  # "within a few minutes": a call dropped in a lift, dialled again
KEEP_S = 24 * 3600.0  # older rows are of no use to anyone: purged
PURGE_EVERY_S = 60.0
ROOT = "root"
RESUME = "resume"


@dataclass
class Place:
    """Where a session is: a menu and what that menu remembers."""

    menu: str = ROOT
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"menu": self.menu, "data": self.data}

    @classmethod
    def of(cls, saved: Any) -> Place:
        """A place read back from JSON; the main menu for anything unreadable."""
        if not isinstance(saved, dict) or not isinstance(saved.get("menu"), str):
            return cls()
        data = saved.get("data")
        return cls(saved["menu"][:64], data if isinstance(data, dict) else {})


@dataclass
class Session:
    session_id: str
    phone: str
    place: Place
    lang: str
    seen: int = 0
    last: str = ""
    ended: bool = False
    created: float = 0.0


def load(conn: Connection, session_id: str) -> Session | None:
    row = conn.execute(select(table).where(table.c.session_id == session_id)).first()
    if row is None:
        return None
    try:
        state = json.loads(row.state)
    except ValueError:
        state = {}
    if not isinstance(state, dict):
        state = {}
    return Session(
        row.session_id, row.phone, Place(row.menu, _dict(state.get("data"))), row.lang,
        _int(state.get("seen")), str(state.get("last", "")), bool(state.get("ended")),
        float(row.created),
    )  # fmt: skip


def save(conn: Connection, session: Session, now: float) -> None:
    """Write the session; a second request of a new session racing the first (a gateway's
    retry) finds the row there and updates it, instead of failing on the key. (Whether an
    INSERT ... ON CONFLICT DO NOTHING wrote is asked with RETURNING: PostgreSQL's driver
    reports no row count for it.)"""
    state = json.dumps(
        {"data": session.place.data, "seen": session.seen, "last": session.last,
         "ended": session.ended}, ensure_ascii=False,
    )  # fmt: skip
    values = {"phone": session.phone, "menu": session.place.menu, "state": state,
              "lang": session.lang, "updated": now}  # fmt: skip
    same = table.c.session_id == session.session_id
    if conn.execute(update(table).where(same).values(values)).rowcount:
        return
    made = conn.execute(
        insert_ignore(conn, table)
        .values(session_id=session.session_id, created=now, **values)
        .returning(table.c.session_id)
    ).first()
    if made is None:  # the other request's row came first
        conn.execute(update(table).where(same).values(values))


def cut_off(conn: Connection, phone: str, session_id: str, now: float) -> Place | None:
    """The place of the phone's last session if the network cut it off within RESUME_S, in a
    menu worth returning to; that session is marked ended, so it is offered only this once."""
    row = conn.execute(
        select(table.c.session_id)
        .where(table.c.phone == phone, table.c.session_id != session_id,
               table.c.updated >= now - RESUME_S)
        .order_by(table.c.updated.desc())
        .limit(1)
    ).first()  # fmt: skip
    if row is None:
        return None
    earlier = load(conn, row.session_id)
    if earlier is None or earlier.ended or earlier.place.menu in (ROOT, RESUME):
        return None
    earlier.ended = True
    save(conn, earlier, now)
    return earlier.place


_purged = [0.0]  # when this process last purged: a cheap delete now and then


def purge(conn: Connection, now: float | None = None) -> int:
    """Delete sessions untouched for KEEP_S, at most once every PURGE_EVERY_S per process."""
    now = time.time() if now is None else now
    if now - _purged[0] < PURGE_EVERY_S:
        return 0
    _purged[0] = now
    return int(conn.execute(delete(table).where(table.c.updated < now - KEEP_S)).rowcount)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
