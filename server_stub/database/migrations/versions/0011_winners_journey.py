"""The winner's journey: voucher pools, one-time passwords, shoppers' web visits, prize claims
with their timeline and documents, the SMS sent; and the built-in store and device that the
shopper's web at /play/ redeems as.
Revision ID: 0011
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "vouchers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("voucher", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("device_id", sa.String(64)),
        sa.Column("event_id", sa.String(64), unique=True),
        sa.Column("loaded", sa.Float, nullable=False),
        sa.Column("changed", sa.Float, nullable=False),
        sa.UniqueConstraint("campaign", "tier", "voucher", name="vouchers_once"),
    )
    op.create_index("vouchers_pool", "vouchers", ["campaign", "tier", "state"])
    op.create_index("vouchers_holder", "vouchers", ["device_id", "state"])
    op.create_table(
        "otp_codes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("expires", sa.Float, nullable=False),
        sa.Column("tries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("used", sa.Float),
    )
    op.create_index("otp_codes_phone", "otp_codes", ["phone", "purpose", "created"])
    op.create_table(
        "play_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("pending_phone", sa.String(32)),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
    )
    op.create_index("play_sessions_last_seen", "play_sessions", ["last_seen"])
    op.create_table(
        "prize_claims",
        sa.Column("number", sa.String(16), primary_key=True),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("serial", sa.BigInteger, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("value", sa.Float, nullable=False, server_default="0"),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64)),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("email", sa.String(200)),
        sa.Column("id_type", sa.String(20), nullable=False),
        sa.Column("id_number", sa.String(64), nullable=False),
        sa.Column("invoice_number", sa.String(64)),
        sa.Column("consent_at", sa.Float, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("resubmissions", sa.Integer, nullable=False, server_default="0"),
        sa.Column("flags", sa.Text, nullable=False, server_default="[]"),
        sa.Column("carrier", sa.String(64)),
        sa.Column("tracking", sa.String(64)),
        sa.Column("deadline", sa.Float, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
        sa.UniqueConstraint("campaign", "serial", name="prize_claims_code"),
    )
    op.create_index("prize_claims_phone", "prize_claims", ["phone"])
    op.create_index("prize_claims_status", "prize_claims", ["status", "created"])
    op.create_index("prize_claims_event", "prize_claims", ["event_id"])
    op.create_table(
        "claim_timeline",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("actor", sa.String(200), nullable=False, server_default=""),
    )
    op.create_index("claim_timeline_number", "claim_timeline", ["number", "at"])
    op.create_table(
        "claim_documents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("stored", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("phash", sa.String(16)),
        sa.Column("current", sa.Boolean, nullable=False, server_default="1"),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_index("claim_documents_number", "claim_documents", ["number"])
    op.create_index("claim_documents_sha256", "claim_documents", ["sha256"])
    op.create_index("claim_documents_phash", "claim_documents", ["phash"])
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_index("sms_messages_phone", "sms_messages", ["phone", "created"])
    # the web's redemptions are numbered by a sequence of their own on PostgreSQL, so entries
    # never queue on the web device's row (SQLite has one writer at a time anyway)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE web_event_seq")
    # the shopper's web redeems as this device of this store: it has no secret, so it can never
    # sign a request; its store is never silent for long enough to stand out
    now = time.time()
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO stores (id, name, created, silent_after_s)"
            " VALUES ('shoppers-web', 'Shoppers'' web (/play/)', :now, 315360000)"
        ),
        {"now": now},
    )
    bind.execute(
        sa.text(
            "INSERT INTO devices (id, store_id, name, created, enrolled_at, max_seq, chain_seq,"
            " chain_hash, chain_ok, forged)"
            " VALUES ('shoppers-web', 'shoppers-web', 'Shoppers'' web', :now, :now, 0, 0, :genesis, :ok, 0)"
        ),
        {"now": now, "genesis": _GENESIS, "ok": True},
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP SEQUENCE web_event_seq")
    bind.execute(sa.text("DELETE FROM devices WHERE id = 'shoppers-web'"))
    bind.execute(sa.text("DELETE FROM stores WHERE id = 'shoppers-web'"))
    for table in ("sms_messages", "claim_documents", "claim_timeline", "prize_claims",
                  "play_sessions", "otp_codes", "vouchers"):  # fmt: skip
        op.drop_table(table)
