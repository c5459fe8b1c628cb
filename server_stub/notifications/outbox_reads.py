"""The outbox as staff read it: how many messages wait, went or could not be sent; the messages
themselves (never their texts); and a dead letter sent again by hand.

`instore admin outbox` and the dashboard's Messages page are faces over these functions.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, func, select, update

from server_stub.database.connection import reader, writing
from server_stub.database.schema import outbox
from server_stub.errors import ApiError
from server_stub.notifications.worker import DEAD, EMAIL, PENDING, SENT, SMS

STATES = (PENDING, SENT, DEAD)
CHANNELS = (SMS, EMAIL)
_LISTED = (
    outbox.c.id, outbox.c.channel, outbox.c.to, outbox.c.kind, outbox.c.claim, outbox.c.state,
    outbox.c.attempts, outbox.c.last_error, outbox.c.next_at, outbox.c.created, outbox.c.sent_at,
    outbox.c.lang,
)  # fmt: skip


def counts(engine: Engine) -> dict[str, dict[str, int]]:
    """state -> channel -> how many messages, every state and channel named (0 when none)."""
    found = {state: dict.fromkeys(CHANNELS, 0) for state in STATES}
    with reader(engine).connect() as conn:
        rows = conn.execute(
            select(outbox.c.state, outbox.c.channel, func.count()).group_by(
                outbox.c.state, outbox.c.channel
            )
        )
        for state, channel, n in rows:
            found.setdefault(state, {})[channel] = int(n)
    return found


def messages(
    engine: Engine, state: str | None = None, limit: int = 100, oldest_first: bool = False,
    claim: str | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The messages (newest first, or oldest first), each with its id, channel, to, kind, claim,
    state, attempts, last_error, next_at, created and sent_at; never its subject or text."""
    if state is not None and state not in STATES:
        raise ApiError(422, "bad_state", f"{state!r} is not a state: {', '.join(STATES)}")
    query = select(*_LISTED)
    if state is not None:
        query = query.where(outbox.c.state == state)
    if claim is not None:
        query = query.where(outbox.c.claim == claim)
    order = (outbox.c.created, outbox.c.id) if oldest_first else (outbox.c.id.desc(),)
    with reader(engine).connect() as conn:
        rows = conn.execute(query.order_by(*order).limit(limit)).all()
    return [_listed(dict(r._mapping)) for r in rows]


def retry(engine: Engine, message_id: int, now: float | None = None) -> dict[str, Any]:
    """Send a dead letter once more, now (after its address or the gateway was put right). A
    message older than the worker's 3 days goes dead again at its next failure."""
    now = time.time() if now is None else now
    with writing(engine) as conn:
        state = conn.execute(
            select(outbox.c.state).where(outbox.c.id == message_id).with_for_update()
        ).scalar_one_or_none()
        if state is None:
            raise ApiError(404, "not_found", f"no message {message_id} in the outbox")
        if state != DEAD:
            raise ApiError(
                409, "not_dead",
                f"message {message_id} is {state}: only a dead letter is sent again by hand",
            )  # fmt: skip
        conn.execute(
            update(outbox).where(outbox.c.id == message_id)
            .values(state=PENDING, next_at=now, last_error="sent again by hand")
        )  # fmt: skip
        row = conn.execute(select(*_LISTED).where(outbox.c.id == message_id)).one()
    return _listed(dict(row._mapping))


def masked(channel: str, to: str) -> str:
    """An address as helpdesk sees it: a phone's last 4 digits, an email's first letter and its
    domain; enough to match what the winner says on the phone."""
    if channel == EMAIL:
        name, at, domain = to.partition("@")
        return f"{name[:1]}***@{domain}" if at else "***"
    digits = sum(c.isdigit() for c in to)
    seen, out = 0, []
    for c in to:
        seen += c.isdigit()
        out.append("*" if c.isdigit() and seen <= digits - 4 else c)
    return "".join(out)


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "attempts": int(row["attempts"])}
