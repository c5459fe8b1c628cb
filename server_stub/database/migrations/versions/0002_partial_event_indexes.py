"""Events: the receipt and member indexes leave out events without one (most redemptions).

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = (
    ("events_receipt", ["store_id", "receipt"], "receipt"),
    ("events_member", ["member"], "member"),
)


def upgrade() -> None:
    for name, columns, column in INDEXES:
        op.drop_index(name, table_name="events")
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, "events", columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, columns, _ in INDEXES:
        op.drop_index(name, table_name="events")
        op.create_index(name, "events", columns)
