"""The coalition: the program's settings, partners (a store belongs to one), members by phone and
card, points as lots and what consumed them, limits, USSD sessions, and the cashier an alert names.
Revision ID: 0014
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("stores") as batch:
        batch.add_column(sa.Column("partner_id", sa.String(64)))
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("actor", sa.String(128), nullable=False, server_default=""))
    program = op.create_table(
        "program",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, server_default="Loyalty program"),
        sa.Column("pending_days", sa.Integer, nullable=False, server_default="14"),
        sa.Column("expiry_months", sa.Integer, nullable=False, server_default="12"),
        sa.Column("otp_above", sa.Integer, nullable=False, server_default="0"),
        sa.Column("expiry_notice_days", sa.Integer, nullable=False, server_default="30"),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.bulk_insert(program, [{"id": 1, "updated": time.time()}])
    op.create_table(
        "partners",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("point_price", sa.Float, nullable=False),
        sa.Column("rules", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("phone", sa.String(20), unique=True),
        sa.Column("card", sa.String(32), unique=True),
        sa.Column("lang", sa.String(8), nullable=False, server_default="en"),
        sa.Column("registered_via", sa.String(16), nullable=False),
        sa.Column("blocked", sa.Float),
        sa.Column("blocked_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "lots",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.Integer, nullable=False),
        sa.Column("partner_id", sa.String(64), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("remaining", sa.BigInteger, nullable=False),
        sa.Column("earned_at", sa.Float, nullable=False),
        sa.Column("pending_until", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    where = sa.text("remaining > 0")
    op.create_index("lots_open", "lots", ["member_id", "earned_at"],
                    sqlite_where=where, postgresql_where=where)  # fmt: skip
    op.create_index("lots_earned", "lots", ["earned_at"])
    op.create_index("lots_expiring", "lots", ["expires_at"],
                    sqlite_where=where, postgresql_where=where)  # fmt: skip
    op.create_table(
        "lot_uses",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("lot_id", sa.BigInteger, nullable=False),
        sa.Column("member_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("event_id", sa.String(64)),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("issuer", sa.String(64), nullable=False),
        sa.Column("redeemer", sa.String(64)),
        sa.Column("store_id", sa.String(64)),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("lot_uses_at", "lot_uses", ["at"])
    op.create_index("lot_uses_lot", "lot_uses", ["lot_id"])
    op.create_index("lot_uses_event", "lot_uses", ["event_id"])
    op.create_table(
        "loyalty_limits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False, server_default="*"),
        sa.Column("measure", sa.String(16), nullable=False),
        sa.Column("per", sa.String(10), nullable=False),
        sa.Column("soft_low", sa.BigInteger),
        sa.Column("soft_high", sa.BigInteger),
        sa.Column("hard", sa.BigInteger),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "ussd_sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("menu", sa.String(64), nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default="{}"),
        sa.Column("lang", sa.String(8), nullable=False, server_default="en"),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_index("ussd_sessions_phone", "ussd_sessions", ["phone", "updated"])


def downgrade() -> None:
    for table in ("ussd_sessions", "loyalty_limits", "lot_uses", "lots", "members", "partners",
                  "program"):  # fmt: skip
        op.drop_table(table)
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("actor")
    with op.batch_alter_table("stores") as batch:
        batch.drop_column("partner_id")
