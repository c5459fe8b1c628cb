"""What each device says of itself at every sync (events waiting, the oldest one's age), for
its store manager's dashboard. Revision ID: 0008
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


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        for name, _ in _COLUMNS:
            batch.drop_column(name)
