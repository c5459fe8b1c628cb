"""A spend above the program's threshold is confirmed by the member's one-time password: the
token the device gets, used up once by the spend event that carries it.
Revision ID: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spend_confirmations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("member_id", sa.Integer, nullable=False),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("token_hash", sa.String(64), unique=True),
        sa.Column("confirmed", sa.Float),
        sa.Column("used_event", sa.String(64)),
    )
    op.create_index(
        "spend_confirmations_asked", "spend_confirmations", ["device_id", "member_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("spend_confirmations_asked", "spend_confirmations")
    op.drop_table("spend_confirmations")
