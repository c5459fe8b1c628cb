"""A web redemption in one PostgreSQL statement: the code's claim, its feed row, its count and
its accepted event, each written only when the claim is this entry's.

The same rows as the plain way (`web_redeem`: `claim_codes`, `feed.redeemed`, `event_counts.add`
and the event insert in a transaction), made by the same functions, in one round trip instead of
six (BEGIN, four statements, COMMIT): a statement is a transaction of its own, so it needs no
BEGIN or COMMIT on the request's connection, which reads outside a transaction on PostgreSQL.
The conflict rule is the claims table's primary key, as for every claim: of two entries of one
code only one inserts its claim, and the other's rows select nothing. A code claimed before, a
prize with a voucher pool (its voucher and SMS need the plain way's transaction) and SQLite go
the plain way; tests/server_stub/play/test_web_claim_pg.py holds the two ways to the same rows.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Column, Connection, Table
from sqlalchemy.dialects import postgresql

from server_stub.database.schema import WEB_EVENT_SEQ, claims, event_counts, events, feed

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def _typed(prefix: str, column: Column[Any]) -> str:
    """A parameter cast to its column's type without its length: a SELECT's parameters have no
    type to infer, and a cast to VARCHAR(64) would cut a longer value where the insert refuses
    it, as the plain way's does."""
    named = re.sub(r"\(\d+\)", "", column.type.compile(dialect=_DIALECT))
    return f"%({prefix}{column.name})s::{named}"


def _insert(table: Table, prefix: str, names: list[str], claimed: str = "claimed") -> str:
    given = ", ".join(
        f"nextval('{WEB_EVENT_SEQ}')" if (table is events and n == "seq") else _typed(prefix, table.c[n])
        for n in names
    )  # fmt: skip
    return f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {given} FROM {claimed}"


_CLAIM = ["campaign", "serial", "event_id", "device_id", "store_id", "claimed_at"]
_FEED = ["kind", "origin_device", "data", "created"]
_COUNTS = [c.name for c in event_counts.c]
_EVENT = [c.name for c in events.c]
# built once from the tables' columns
_SQL = (
    f"WITH claimed AS (INSERT INTO claims ({', '.join(_CLAIM)})"
    f" VALUES ({', '.join(_typed('c_', claims.c[n]) for n in _CLAIM)})"
    " ON CONFLICT DO NOTHING RETURNING event_id),"
    f" fed AS ({_insert(feed, 'f_', _FEED)}),"
    f" counted AS ({_insert(event_counts, 'k_', _COUNTS)}),"
    f" stored AS ({_insert(events, 'e_', _EVENT)})"
    " SELECT count(*) FROM claimed"
)


def redeem(
    conn: Connection, claim: dict[str, Any], fed: dict[str, Any], counted: dict[str, Any],
    event: dict[str, Any],
) -> bool:  # fmt: skip
    """Write the claim and, when it is this entry's, the rest; whether it was. `claim`: a claims
    row; `fed`, `counted`, `event`: the feed's, event_counts' and events' rows as the plain way
    writes them (the event's seq from the web's sequence)."""
    params = {f"c_{n}": claim[n] for n in _CLAIM}
    params.update({f"f_{n}": fed.get(n) for n in _FEED})
    params.update({f"k_{n}": counted[n] for n in _COUNTS})
    params.update({f"e_{n}": event.get(n) for n in _EVENT if n != "seq"})
    return bool(conn.exec_driver_sql(_SQL, params).scalar_one())
