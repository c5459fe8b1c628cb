"""Settlement reads the returns and voids of a month's last days from an index of their own,
which holds all it needs of them (the lot, its partner and the points), instead of scanning
every lot use of those days.
Revision ID: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    where = sa.text("kind = 'return' OR kind = 'void'")
    op.create_index(
        "lot_uses_taken", "lot_uses", ["at"], postgresql_include=["lot_id", "issuer", "points"],
        sqlite_where=where, postgresql_where=where,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("lot_uses_taken", "lot_uses")
