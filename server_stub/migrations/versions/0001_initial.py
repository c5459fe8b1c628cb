"""The first schema: stores, campaigns, devices, events, claims, conflicts, balances, feed.

Revision ID: 0001
"""

from __future__ import annotations

from alembic import op

from server_stub.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first release's schema is the metadata itself. The next change to schema.py comes with
    # migration 0002 made of explicit op.* steps, and this file then gets a frozen copy of the
    # tables it creates, so an old database and a new one end up the same.
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
