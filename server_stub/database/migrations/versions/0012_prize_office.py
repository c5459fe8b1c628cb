"""The prize office: a claim's language, city, winners-list choice, the verifier's
recommendation, erasure; each document's checklist and deletion; the outbox of messages to
winners.
Revision ID: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _claim_columns() -> tuple[sa.Column[object], ...]:  # new Column objects for each use
    return (
        sa.Column("delivered_on", sa.String(10)),
        sa.Column("lang", sa.String(8), nullable=False, server_default="en"),
        sa.Column("city", sa.String(100)),
        sa.Column("listed", sa.Boolean, nullable=False, server_default="1"),
        sa.Column("recommendation", sa.String(10)),
        sa.Column("recommended_by", sa.String(64)),
        sa.Column("recommended_note", sa.Text, nullable=False, server_default=""),
        sa.Column("recommended_at", sa.Float),
        sa.Column("erased", sa.Float),
    )


def _document_columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("checks", sa.Text, nullable=False, server_default="{}"),
        sa.Column("deleted", sa.Float),
    )


def upgrade() -> None:
    with op.batch_alter_table("prize_claims") as batch:
        for column in _claim_columns():
            batch.add_column(column)
    with op.batch_alter_table("claim_documents") as batch:
        for column in _document_columns():
            batch.add_column(column)
    op.create_index("prize_claims_queue", "prize_claims", ["campaign", "status", "created"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(160), nullable=False, unique=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("to", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("claim", sa.String(16)),
        sa.Column("lang", sa.String(8), nullable=False, server_default="en"),
        sa.Column("subject", sa.Text, nullable=False, server_default=""),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_at", sa.Float, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("sent_at", sa.Float),
    )
    op.create_index("outbox_due", "outbox", ["state", "next_at"])
    op.create_index("outbox_claim", "outbox", ["claim"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_index("prize_claims_queue", "prize_claims")
    with op.batch_alter_table("claim_documents") as batch:
        for column in _document_columns():
            batch.drop_column(column.name)
    with op.batch_alter_table("prize_claims") as batch:
        for column in _claim_columns():
            batch.drop_column(column.name)
