"""Earn rules: each version a store's devices were given, so the server recounts an accrual
with the rules its device had, not the ones in force when it arrives. Revision ID: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "earn_rules",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("since", sa.Float, nullable=False),
        sa.Column("until", sa.Float),
    )
    op.create_index("earn_rules_store", "earn_rules", ["store_id", "version"])


def downgrade() -> None:
    op.drop_index("earn_rules_store", "earn_rules")
    op.drop_table("earn_rules")
