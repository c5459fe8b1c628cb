"""Voids found by the event they undo (a partial index: voids are few), so a second void of a
redemption is refused instead of uncounting it twice.
Revision ID: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    voids = sa.text("kind = 'void'")
    op.create_index("events_void_target", "events", ["target"],
                    sqlite_where=voids, postgresql_where=voids)  # fmt: skip


def downgrade() -> None:
    op.drop_index("events_void_target", "events")
