"""Events: the index by kind and time leaves out redemptions, most of all events.

Only the points report reads it, to find the few events that move points; a redemption no
longer pays for an index entry nobody looks up. Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("events_kind_received", table_name="events")
    where = sa.text("kind <> 'redeem'")
    op.create_index(
        "events_points", "events", ["kind", "received"], sqlite_where=where, postgresql_where=where
    )


def downgrade() -> None:
    op.drop_index("events_points", table_name="events")
    op.create_index("events_kind_received", "events", ["kind", "received"])
