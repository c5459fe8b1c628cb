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
    op.add_column("campaigns", sa.Column("plan_seed", sa.String(256)))
    op.add_column("devices", sa.Column("forged", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("devices", "forged")
    op.drop_column("campaigns", "plan_seed")
