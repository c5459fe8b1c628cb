"""What each device says of itself at every sync (events waiting, the oldest one's age), and
how long a store's device may be silent before the dashboard marks it. Revision ID: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("reported_pending", sa.BigInteger),
    ("reported_oldest_s", sa.Float),
    ("reported_at", sa.Float),
)


def upgrade() -> None:
    # A database made new by 0001 (the schema's metadata) has the columns already.
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("devices")}
    for name, kind in _COLUMNS:
        if name not in have:
            op.add_column("devices", sa.Column(name, kind))
    if "silent_after_s" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("stores")}:
        op.add_column(
            "stores", sa.Column("silent_after_s", sa.Float, nullable=False, server_default="3600")
        )


def downgrade() -> None:
    with op.batch_alter_table("stores") as batch:
        batch.drop_column("silent_after_s")
    with op.batch_alter_table("devices") as batch:
        for name, _ in _COLUMNS:
            batch.drop_column(name)
