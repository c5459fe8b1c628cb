"""Points conflicts counted by their own kind: event_counts once counted every points event in
conflict as an overdraft, and an overdrawn spend's points as spent. Ingest now counts a
limit_exceeded or unconfirmed_spend conflict as its own kind, and an overdraft spend as no
points spent (it consumed no lot). This moves what the stored events were counted as, so the
sums read as ingest counts now and a later resolution takes back what was counted.
Revision ID: 0020

A frozen copy of server_stub/records/event_counts.py's change, in SQL, over the events as they
stand (verdict conflict). Rows are added (the table is append-only): -1 overdraft and +1 of its
kind for each limit_exceeded or unconfirmed_spend event, -1 points for each overdraft spend.
shared_counts is left alone: points events carry no shopper's context (only redemptions do).
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_GROUP = "hour, day, local_hour, kind, campaign, tier, store_id, device_id, cashier"
_OWN = "(e.reason LIKE 'limit_exceeded:%' OR e.reason LIKE 'unconfirmed_spend:%')"


def _rows(kind: str, sign: int) -> str:
    """One event's part of a count, `sign` times, in its event_counts group (as ingest groups)."""
    return (
        "SELECT CAST(FLOOR(e.received / 3600) AS BIGINT) AS hour,"
        " SUBSTR(e.local_time, 1, 10) AS day, SUBSTR(e.local_time, 12, 2) AS local_hour,"
        f" {kind} AS kind, COALESCE(e.campaign, '') AS campaign, COALESCE(e.tier, '') AS tier,"
        " e.store_id AS store_id, e.device_id AS device_id, e.actor AS cashier,"
        f" {sign} AS n, {sign} * e.value AS value,"
        f" {sign} * CASE WHEN e.points > 0 THEN e.points ELSE 0 END AS earned,"
        f" {sign} * CASE WHEN e.points < 0 THEN -e.points ELSE 0 END AS spent"
        " FROM events e WHERE e.verdict = 'conflict'"
    )


def _move(sign: int) -> None:
    own = (
        "CASE WHEN e.reason LIKE 'limit_exceeded:%' THEN 'limit_exceeded'"
        " ELSE 'unconfirmed_spend' END"
    )
    points_events = "e.kind IN ('accrue', 'checkin', 'spend', 'void')"
    parts = (
        f"{_rows(chr(39) + 'overdraft' + chr(39), -sign)} AND {points_events} AND {_OWN}",
        f"{_rows(own, sign)} AND {points_events} AND {_OWN}",
        f"{_rows(chr(39) + 'points' + chr(39), -sign)} AND e.kind = 'spend' AND e.points <> 0"
        f" AND NOT {_OWN}",
    )
    op.execute(
        f"INSERT INTO event_counts ({_GROUP}, count, value, earned, spent)"
        f" SELECT {_GROUP}, SUM(n), SUM(value), SUM(earned), SUM(spent)"
        f" FROM ({' UNION ALL '.join(parts)}) moved GROUP BY {_GROUP}"
    )


def upgrade() -> None:
    _move(1)


def downgrade() -> None:
    _move(-1)
