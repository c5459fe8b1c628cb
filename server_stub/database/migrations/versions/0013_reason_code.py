"""A rejected claim keeps its listed reason's code, so the winner reads the reason in their
language (prizes/decision_reasons.py).
Revision ID: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("prize_claims") as batch:
        batch.add_column(sa.Column("reason_code", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("prize_claims") as batch:
        batch.drop_column("reason_code")
