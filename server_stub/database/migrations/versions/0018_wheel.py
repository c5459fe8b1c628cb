"""The bonus wheel: wheels (a campaign's outcomes, seed and commitment, its sequence's length
and next free index), wheel_slices (ranges of the sequence handed to devices) and wheel_spins
(each spin pushed, once per index).
Revision ID: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wheels",
        sa.Column("campaign", sa.String(64), primary_key=True),
        sa.Column("outcomes", sa.Text, nullable=False),
        sa.Column("per_day", sa.Integer, nullable=False),
        sa.Column("seed", sa.String(64), nullable=False),
        sa.Column("commitment", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("next_index", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("revealed", sa.Float),
    )
    op.create_table(
        "wheel_slices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("start", sa.BigInteger, nullable=False),
        sa.Column("stop", sa.BigInteger, nullable=False),
        sa.Column("granted", sa.Float, nullable=False),
    )
    op.create_index("wheel_slices_device", "wheel_slices", ["device_id", "campaign"])
    op.create_table(
        "wheel_spins",
        sa.Column("campaign", sa.String(64), primary_key=True),
        sa.Column("idx", sa.BigInteger, primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("member_id", sa.Integer, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_index("wheel_spins_member_day", "wheel_spins", ["campaign", "member_id", "day"])


def downgrade() -> None:
    op.drop_index("wheel_spins_member_day", "wheel_spins")
    op.drop_table("wheel_spins")
    op.drop_index("wheel_slices_device", "wheel_slices")
    op.drop_table("wheel_slices")
    op.drop_table("wheels")
