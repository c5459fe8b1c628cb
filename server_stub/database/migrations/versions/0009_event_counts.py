"""Counts of what events count as, for the overview, the reports and each campaign's cost
(`event_counts`), and of what consenting shoppers shared (`shared_counts`), both filled from the
events already stored; they replace `redemption_hours`. And an index of redemptions by code, for
the dashboard's lookup.
Revision ID: 0009

A frozen copy of server_stub/records/event_counts.py's definition, in SQL: an accepted
redemption is a redemption and one in conflict a double redemption, unless its till voided it;
another event in conflict is an overdraft; a points event standing (accepted or in conflict)
that moves points counts as points. Demographics only where the shopper consented.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_GROUP = ("campaign", "tier", "store_id", "device_id", "cashier")
_SIZES = {"campaign": 64, "tier": 32, "store_id": 64, "device_id": 64, "cashier": 128}
_SHARED = ("age_band", "gender", "city")


def _measures() -> list[sa.Column[object]]:
    kinds = (("count", sa.BigInteger), ("value", sa.Float), ("earned", sa.BigInteger),
             ("spent", sa.BigInteger))  # fmt: skip
    return [sa.Column(name, kind, nullable=False) for name, kind in kinds]


def _shared(dialect: str, name: str) -> str:
    """A demographic the shopper agreed to share, cut to 64 characters; else ''. Only payloads
    that mention consent are read (most do not), and none holding a NUL (written \\u0000),
    which PostgreSQL's JSON functions refuse to return."""
    if dialect == "sqlite":
        find = "instr(e.payload, '{}')"
        consented = "json_type(e.payload, '$.context.consent') = 'true'"
        is_text = f"json_type(e.payload, '$.context.{name}') = 'text'"
        value = f"json_extract(e.payload, '$.context.{name}')"
    else:
        find = "strpos(e.payload, '{}')"
        context = "(e.payload::json) -> 'context'"
        consented = f"CAST({context} -> 'consent' AS TEXT) = 'true'"  # JSON's true, not "true"
        is_text = f"json_typeof({context} -> '{name}') = 'string'"
        value = f"{context} ->> '{name}'"
    mentions, nul = find.format('"consent"'), find.format("\\u0000")
    # nested, so the JSON is read only once the cheap tests passed (CASE keeps its order)
    return (
        f"CASE WHEN {mentions} > 0 AND {nul} = 0 THEN CASE WHEN {consented} AND {is_text}"
        f" THEN SUBSTR({value}, 1, 64) ELSE '' END ELSE '' END"
    )


def upgrade() -> None:
    text = [sa.Column(name, sa.String(_SIZES[name]), nullable=False) for name in _GROUP]
    op.create_table(
        "event_counts",
        sa.Column("hour", sa.BigInteger, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("local_hour", sa.String(2), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        *text, *_measures(),
    )  # fmt: skip
    op.create_index("event_counts_hour", "event_counts", ["hour"])
    op.create_index("event_counts_day", "event_counts", ["day"])
    op.create_table(
        "shared_counts",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        *(sa.Column(name, sa.String(64), nullable=False) for name in _SHARED),
        *_measures(),
    )  # fmt: skip
    op.create_index("shared_counts_day", "shared_counts", ["day"])
    dialect = op.get_bind().dialect.name
    kind = (
        "CASE WHEN e.kind = 'redeem' AND e.verdict = 'accepted' THEN 'redemption'"
        " WHEN e.kind = 'redeem' THEN 'double_redemption' ELSE 'overdraft' END"
    )
    counted = (
        "CAST(FLOOR(e.received / 3600) AS BIGINT) AS hour, SUBSTR(e.local_time, 1, 10) AS day,"
        " SUBSTR(e.local_time, 12, 2) AS local_hour, {kind} AS kind,"
        " COALESCE(e.campaign, '') AS campaign, COALESCE(e.tier, '') AS tier,"
        " e.store_id AS store_id, e.device_id AS device_id, e.actor AS cashier,"
        + "".join(f" {_shared(dialect, name)} AS {name}," for name in _SHARED)
        + " e.value AS value,"
        " CASE WHEN e.points > 0 THEN e.points ELSE 0 END AS earned,"
        " CASE WHEN e.points < 0 THEN -e.points ELSE 0 END AS spent"
    )
    not_voided = (
        "NOT EXISTS (SELECT 1 FROM events v WHERE v.kind = 'void' AND v.verdict = 'accepted'"
        " AND v.device_id = e.device_id AND v.target = e.event_id)"
    )
    points = counted.replace("{kind}", "'points'")
    each = (
        f"SELECT {counted.replace('{kind}', kind)} FROM events e WHERE"
        f" ((e.kind = 'redeem' AND e.verdict IN ('accepted', 'conflict') AND {not_voided})"
        f" OR (e.kind <> 'redeem' AND e.verdict = 'conflict'))"
        f" UNION ALL SELECT {points} FROM events e WHERE"
        f" e.kind IN ('accrue', 'checkin', 'spend', 'void') AND e.points <> 0"
        f" AND e.verdict IN ('accepted', 'conflict')"
    )
    sums = "COUNT(*), COALESCE(SUM(value), 0), SUM(earned), SUM(spent)"
    op.execute("CREATE TEMPORARY TABLE counted_0009 AS " + each)
    keys = "hour, day, local_hour, kind, " + ", ".join(_GROUP)
    op.execute(
        f"INSERT INTO event_counts ({keys}, count, value, earned, spent)"
        f" SELECT {keys}, {sums} FROM counted_0009 GROUP BY {keys}"
    )
    keys = "day, kind, campaign, store_id, " + ", ".join(_SHARED)
    op.execute(
        f"INSERT INTO shared_counts ({keys}, count, value, earned, spent)"
        f" SELECT {keys}, {sums} FROM counted_0009"
        f" WHERE age_band <> '' OR gender <> '' OR city <> '' GROUP BY {keys}"
    )
    op.execute("DROP TABLE counted_0009")
    op.drop_index("redemption_hours_hour", "redemption_hours")
    op.drop_table("redemption_hours")
    # the lookup reads a code's redemptions by it, no longer scanning every event
    redeems = sa.text("kind = 'redeem'")
    op.create_index(
        "events_code", "events", ["campaign", "serial"],
        sqlite_where=redeems, postgresql_where=redeems,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("events_code", "events")
    op.create_table(
        "redemption_hours",
        sa.Column("hour", sa.BigInteger, nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.create_index("redemption_hours_hour", "redemption_hours", ["hour"])
    op.execute(
        "INSERT INTO redemption_hours (hour, store_id, campaign, tier, count, value)"
        " SELECT hour, store_id, campaign, tier, SUM(count), SUM(value) FROM event_counts"
        " WHERE kind = 'redemption' GROUP BY hour, store_id, campaign, tier"
    )
    op.drop_index("shared_counts_day", "shared_counts")
    op.drop_table("shared_counts")
    op.drop_index("event_counts_day", "event_counts")
    op.drop_index("event_counts_hour", "event_counts")
    op.drop_table("event_counts")
