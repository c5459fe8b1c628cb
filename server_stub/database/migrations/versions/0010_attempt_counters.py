"""Attempt counters shared by every server process (`attempt_counters`, and the addresses each
window's attempts came from, `attempt_sources`); an account's wrong passwords and its lock move
there from `users.failed` and `users.locked_until`, and unlocks are kept (`account_audit`).
Revision ID: 0010
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# as server_stub/accounts/lockout.py had them when this step was written
_LOCK_AFTER = 10
_WINDOW_S = 24 * 3600


def upgrade() -> None:
    op.create_table(
        "attempt_counters",
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("started", sa.Float, nullable=False),
        sa.Column("ends", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("what", "who", name="attempt_counters_pk"),
    )
    op.create_index("attempt_counters_ends", "attempt_counters", ["ends"])
    op.create_table(
        "attempt_sources",
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("what", "who", "source", name="attempt_sources_pk"),
    )
    op.create_table(
        "account_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    # A lock in force stays in force, and wrong passwords already counted still count.
    op.get_bind().execute(
        sa.text(
            "INSERT INTO attempt_counters (what, who, n, started, ends)"
            " SELECT 'sign_in', username,"
            " CASE WHEN locked_until > :now THEN :most ELSE failed END, :now,"
            " CASE WHEN locked_until > :now THEN locked_until ELSE :now + :window END"
            " FROM users WHERE locked_until > :now OR failed > 0"
        ),
        {"now": time.time(), "most": _LOCK_AFTER, "window": _WINDOW_S},
    )
    op.drop_column("users", "failed")
    op.drop_column("users", "locked_until")


def downgrade() -> None:
    op.add_column("users", sa.Column("failed", sa.Integer, nullable=False, server_default="0"))
    op.add_column("users", sa.Column("locked_until", sa.Float, nullable=False, server_default="0"))
    op.get_bind().execute(
        sa.text(
            "UPDATE users SET locked_until = (SELECT c.ends FROM attempt_counters c"
            " WHERE c.what = 'sign_in' AND c.who = users.username AND c.n >= :most)"
            " WHERE username IN (SELECT who FROM attempt_counters"
            " WHERE what = 'sign_in' AND n >= :most)"
        ),
        {"most": _LOCK_AFTER},
    )
    op.drop_table("account_audit")
    op.drop_table("attempt_sources")
    op.drop_index("attempt_counters_ends", "attempt_counters")
    op.drop_table("attempt_counters")
