"""The first schema: stores, campaigns, devices, events, claims, conflicts, balances, feed.

Revision ID: 0001
"""

from __future__ import annotations

from alembic import op

from server_stub.database.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first release's schema is the metadata itself. Later migrations so far only replace
    # indexes (drop, then create), which ends the same whatever this step made. The first one
    # that adds or changes a column must freeze a copy of the tables here first, so an old
    # database and a new one end up the same.
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
