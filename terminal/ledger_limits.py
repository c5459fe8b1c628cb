"""What a device's point limits count (terminal/point_limits.py): points earned or spent, or
points operations, in a span of time, of one member, one cashier or the whole device, from the
ledger's own events. Run inside the operation's write transaction, so two tills' processes on one
ledger (POS and bridge) cannot both pass a limit that has room for one."""

from __future__ import annotations

import sqlite3

# who a count is narrowed to: the events table's column
_COLUMNS = {"member": "member", "actor": "actor"}


def moved(
    conn: sqlite3.Connection, kinds: tuple[str, ...], since: float, until: float,
    who: tuple[str, str] | None = None, count: bool = False,
) -> int:  # fmt: skip
    """Events of `kinds` made in [since, until) that the server has not refused (rejected, or a
    duplicate receipt): how many (`count`), else the sum of their points (negative for spends).
    `who`: ("member" or "actor", value), else every event of this device."""
    what = "COUNT(*)" if count else "COALESCE(SUM(points), 0)"
    where = f"kind IN ({', '.join('?' * len(kinds))}) AND created >= ? AND created < ?"
    params: list[object] = [*kinds, since, until]
    if who is not None:
        where += f" AND {_COLUMNS[who[0]]} = ?"  # column names are ours, never input
        params.append(who[1])
    row = conn.execute(
        f"SELECT {what} AS n FROM events WHERE {where} AND state NOT IN ('rejected', 'duplicate')",
        params,
    ).fetchone()
    return int(row[0]) if row else 0
