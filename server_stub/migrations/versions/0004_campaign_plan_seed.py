"""Campaigns: the tier plan's seed, so the server can hold every code's tier to its serial.

Devices get the campaign key but never this seed. Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made new by 0001 (the schema's metadata) has the column already.
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("campaigns")}
    if "plan_seed" not in columns:
        op.add_column("campaigns", sa.Column("plan_seed", sa.String(256)))


def downgrade() -> None:
    op.drop_column("campaigns", "plan_seed")
