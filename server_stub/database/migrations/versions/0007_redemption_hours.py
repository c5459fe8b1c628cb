"""Accepted redemptions counted by the hour, for the dashboard; filled from the events already
stored. Revision ID: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# the events table as it stands at this step: only the columns the count reads
_events = sa.table(
    "events",
    sa.column("kind", sa.String),
    sa.column("verdict", sa.String),
    sa.column("received", sa.Float),
    sa.column("store_id", sa.String),
    sa.column("campaign", sa.String),
    sa.column("tier", sa.String),
    sa.column("value", sa.Float),
)


def upgrade() -> None:
    hours = op.create_table(
        "redemption_hours",
        sa.Column("hour", sa.BigInteger, nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.create_index("redemption_hours_hour", "redemption_hours", ["hour"])
    e = _events.c
    hour = sa.cast(sa.func.floor(e.received / 3600), sa.BigInteger)
    tier = sa.func.coalesce(e.tier, "")
    counted = (
        sa.select(
            hour,
            e.store_id,
            e.campaign,
            tier,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(e.value), 0.0),
        )
        .where(e.kind == "redeem", e.verdict == "accepted", e.campaign.is_not(None))
        .group_by(hour, e.store_id, e.campaign, tier)
    )
    op.execute(
        hours.insert().from_select(
            ["hour", "store_id", "campaign", "tier", "count", "value"], counted
        )
    )


def downgrade() -> None:
    op.drop_index("redemption_hours_hour", "redemption_hours")
    op.drop_table("redemption_hours")
