"""Campaigns: the tier plan's seed, so the server can hold every code's tier to its serial
(devices get the campaign key but never this seed). Devices: how many forged codes each sent
since an admin last looked. Revision ID: 0004
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
    inspector = sa.inspect(op.get_bind())
    if "plan_seed" not in {c["name"] for c in inspector.get_columns("campaigns")}:
        op.add_column("campaigns", sa.Column("plan_seed", sa.String(256)))
    if "forged" not in {c["name"] for c in inspector.get_columns("devices")}:
        op.add_column(
            "devices", sa.Column("forged", sa.Integer, nullable=False, server_default="0")
        )


def downgrade() -> None:
    op.drop_column("devices", "forged")
    op.drop_column("campaigns", "plan_seed")
