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


def upgrade() -> None:
    # A database made new by 0001 (the schema's metadata) has the table already.
    if "redemption_hours" in sa.inspect(op.get_bind()).get_table_names():
        return
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
        " SELECT CAST(FLOOR(received / 3600) AS BIGINT), store_id, campaign, COALESCE(tier, ''),"
        " COUNT(*), COALESCE(SUM(value), 0) FROM events"
        " WHERE kind = 'redeem' AND verdict = 'accepted' AND campaign IS NOT NULL"
        " GROUP BY 1, 2, 3, 4"
    )


def downgrade() -> None:
    op.drop_index("redemption_hours_hour", "redemption_hours")
    op.drop_table("redemption_hours")
