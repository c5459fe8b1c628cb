"""The coalition's tables (issue 27): the program's settings, partners, members, points as lots
and what consumed them, limits, and USSD sessions. Defined on schema.py's `metadata` (which
imports this module at its end), created and altered by the Alembic migrations from 0014 on."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    or_,
)

from server_stub.database.schema import metadata

# one row (id 1): the program's rules for every partner's points
program = Table(
    "program",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, server_default="Loyalty program"),
    Column("pending_days", Integer, nullable=False, server_default="14"),  # the returns window
    Column("expiry_months", Integer, nullable=False, server_default="12"),
    Column("otp_above", Integer, nullable=False, server_default="0"),  # 0: no spend asks for one
    Column("expiry_notice_days", Integer, nullable=False, server_default="30"),
    Column("updated", Float, nullable=False),
    # where a phone number typed without its country code is from (ISO, e.g. KZ); null: by the
    # member's language, else India (migration 0015)
    Column("region", String(2)),
)

# the companies in the program; a store belongs to one (stores.partner_id)
partners = Table(
    "partners",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(10), nullable=False),  # accrual | redemption | both
    Column("point_price", Float, nullable=False),  # what one of its points is worth in money
    Column("rules", Text, nullable=False, server_default="{}"),  # its earn rules, JSON
    Column("created", Float, nullable=False),
)

# one person, found by phone (E.164) or card; one phone is one member
members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("phone", String(20), unique=True),
    Column("card", String(32), unique=True),
    Column("lang", String(8), nullable=False, server_default="en"),
    Column("registered_via", String(16), nullable=False),  # centre, till, kiosk, web, ussd, sync
    Column("blocked", Float),  # when, or null
    Column("blocked_reason", Text, nullable=False, server_default=""),
    Column("created", Float, nullable=False),
)

# every accrual is a lot: its partner, store and date, pending until the returns window ends,
# expiring months later; `remaining` is what no spend, return or expiry has consumed yet
lots = Table(
    "lots",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("member_id", Integer, nullable=False),
    Column("partner_id", String(64), nullable=False),
    Column("store_id", String(64), nullable=False),
    Column("event_id", String(64), nullable=False, unique=True),  # the accrual that made it
    Column("points", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("earned_at", Float, nullable=False),
    Column("pending_until", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)
_open = lots.c.remaining > 0
Index("lots_open", lots.c.member_id, lots.c.earned_at,
      sqlite_where=_open, postgresql_where=_open)  # fmt: skip
Index("lots_earned", lots.c.earned_at)
Index("lots_expiring", lots.c.expires_at, sqlite_where=_open, postgresql_where=_open)

# what consumed a lot, and how much: a spend (at a redeemer partner's store), a return, a void,
# an expiry; settlement is computed from these rows and the lots themselves
lot_uses = Table(
    "lot_uses",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("lot_id", BigInteger, nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("kind", String(8), nullable=False),  # spend | return | void | expire
    Column("event_id", String(64)),  # the spend, return or void; none for an expiry
    Column("points", BigInteger, nullable=False),
    Column("issuer", String(64), nullable=False),  # the lot's partner
    Column("redeemer", String(64)),  # the partner whose store took the spend
    Column("store_id", String(64)),
    Column("at", Float, nullable=False),
)
Index("lot_uses_at", lot_uses.c.at)
Index("lot_uses_lot", lot_uses.c.lot_id)
Index("lot_uses_event", lot_uses.c.event_id)
# returns and voids alone, with all the settlement needs of them (loyalty/settlement.py reads the
# returns window's from it, never the table; migration 0019); SQLite has no INCLUDE
TAKEN_BACK = or_(lot_uses.c.kind == "return", lot_uses.c.kind == "void")
Index("lot_uses_taken", lot_uses.c.at, postgresql_include=["lot_id", "issuer", "points"],
      sqlite_where=TAKEN_BACK, postgresql_where=TAKEN_BACK)  # fmt: skip

# soft limits are ranges (soft_low alerts, soft_high blocks); a hard limit blocks at once
loyalty_limits = Table(
    "loyalty_limits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(10), nullable=False),  # card | cashier | store | partner | terminal
    Column("subject", String(128), nullable=False, server_default="*"),  # one id, or * for each
    Column("measure", String(16), nullable=False),  # earn_points | spend_points | operations
    Column("per", String(10), nullable=False),  # operation | hour | day | week | month
    Column("soft_low", BigInteger),
    Column("soft_high", BigInteger),
    Column("hard", BigInteger),
    Column("created", Float, nullable=False),
)

# a USSD session's place in the menus, so one that timed out resumes within a few minutes
ussd_sessions = Table(
    "ussd_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("phone", String(20), nullable=False),
    Column("menu", String(64), nullable=False),
    Column("state", Text, nullable=False, server_default="{}"),
    Column("lang", String(8), nullable=False, server_default="en"),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
)
Index("ussd_sessions_phone", ussd_sessions.c.phone, ussd_sessions.c.updated)

# a spend above the program's otp_above, confirmed by the member's one-time password
# (device_api/member_codes.py): a row when a device asks for the code (this member, these
# points, this device), its token once the code is right, and the spend event that used the
# token up, once (migration 0016)
spend_confirmations = Table(
    "spend_confirmations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device_id", String(64), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("created", Float, nullable=False),  # when the code was sent
    Column("token_hash", String(64), unique=True),  # SHA-256 of the token, never the token
    Column("confirmed", Float),
    Column("used_event", String(64)),  # the spend event that used it
)
Index("spend_confirmations_asked", spend_confirmations.c.device_id,
      spend_confirmations.c.member_id, spend_confirmations.c.id)  # fmt: skip

# the bonus wheel's tables live in their own module on the same metadata (migration 0018)
from server_stub.database import wheel_tables as _wheel_tables  # noqa: E402, F401
