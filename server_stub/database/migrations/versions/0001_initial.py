"""The first release's tables: stores, campaigns, devices, events, claims, conflicts, balances,
the feed, alerts and nonces, as they were when this step was first committed.

Frozen: never edit this step to follow the schema. Every later change is a step of its own, so
a database of any release and a new one go through the same steps and end the same.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "meta", "stores", "campaigns", "configs", "devices", "events", "claims", "conflicts",
    "conflict_audit", "balances", "member_stores", "feed", "alerts", "nonces",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "stores",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("issued", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("budget", sa.Float),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "configs",
        sa.Column("scope", sa.String(80), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), unique=True),
        sa.Column("secret", sa.String(64)),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("enrolled_at", sa.Float),
        sa.Column("revoked_at", sa.Float),
        sa.Column("last_seen", sa.Float),
        sa.Column("max_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("chain_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("chain_hash", sa.String(64), nullable=False),
        sa.Column("chain_ok", sa.Boolean, nullable=False, server_default="1"),
    )
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("local_time", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.Column("received", sa.Float, nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False, server_default=""),
        sa.Column("campaign", sa.String(64)),
        sa.Column("serial", sa.BigInteger),
        sa.Column("tier", sa.String(32)),
        sa.Column("value", sa.Float, nullable=False, server_default="0"),
        sa.Column("member", sa.String(128)),
        sa.Column("points", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("receipt", sa.String(128)),
        sa.Column("target", sa.String(64)),
        sa.Column("conflict_id", sa.Integer),
        sa.UniqueConstraint("device_id", "seq", name="events_device_seq"),
    )
    op.create_index("events_kind_received", "events", ["kind", "received"])
    op.create_index("events_receipt", "events", ["store_id", "receipt"])
    op.create_index("events_member", "events", ["member"])
    op.create_table(
        "claims",
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("serial", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("claimed_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("campaign", "serial", name="claims_pk"),
    )
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("campaign", sa.String(64)),
        sa.Column("serial", sa.BigInteger),
        sa.Column("code", sa.String(64)),
        sa.Column("member", sa.String(128)),
        sa.Column("winner_event", sa.String(64)),
        sa.Column("winner_device", sa.String(64)),
        sa.Column("loser_event", sa.String(64), nullable=False),
        sa.Column("loser_device", sa.String(64), nullable=False),
        sa.Column("reward", sa.String(200), nullable=False, server_default=""),
        sa.Column("value", sa.Float, nullable=False, server_default="0"),
        sa.Column("points", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("state", sa.String(16), nullable=False, server_default="open"),
        sa.Column("action", sa.String(32)),
        sa.Column("resolved_by", sa.String(128)),
        sa.Column("note", sa.Text),
        sa.Column("resolved_at", sa.Float),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_index("conflicts_state", "conflicts", ["state", "id"])
    op.create_table(
        "conflict_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conflict_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_table(
        "balances",
        sa.Column("member", sa.String(128), primary_key=True),
        sa.Column("balance", sa.BigInteger, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_table(
        "member_stores",
        sa.Column("member", sa.String(128), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("member", "store_id", name="member_stores_pk"),
    )
    op.create_table(
        "feed",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("origin_device", sa.String(64)),
        sa.Column("target_device", sa.String(64)),
        sa.Column("target_store", sa.String(64)),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(64)),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "nonces",
        sa.Column("nonce", sa.String(120), primary_key=True),
        sa.Column("seen", sa.Float, nullable=False),
    )
    op.create_index("nonces_seen", "nonces", ["seen"])


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
