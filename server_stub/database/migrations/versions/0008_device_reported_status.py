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
    for name, kind in _COLUMNS:
        op.add_column("devices", sa.Column(name, kind))
    op.add_column(
        "stores", sa.Column("silent_after_s", sa.Float, nullable=False, server_default="3600")
    )


def downgrade() -> None:
    op.drop_column("stores", "silent_after_s")
    for name, _ in reversed(_COLUMNS):
        op.drop_column("devices", name)
