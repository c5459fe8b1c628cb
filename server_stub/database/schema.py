"""The server's tables (SQLAlchemy Core). Alembic migrations in `migrations/` create and alter them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# small facts about this server: schema-independent settings such as the admin token
meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

stores = Table(
    "stores",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created", Float, nullable=False),
    # a device of this store not heard from for longer stands out on the dashboard
    Column("silent_after_s", Float, nullable=False, server_default="3600"),
    Column("partner_id", String(64)),  # the coalition partner it belongs to (migration 0014)
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("data", Text, nullable=False),  # the campaign file's fields, JSON
    Column("key", String(64), nullable=False),  # hex, derived from the issuer's master key
    # hex; which serials carry which tier. Never sent to a device (migration 0004)
    Column("plan_seed", String(256)),
    Column("issued", BigInteger, nullable=False, server_default="0"),
    Column("budget", Float),  # what the brand will spend on rewards, for the cost report
    Column("created", Float, nullable=False),
)

# rules devices apply offline: scope 'global' or 'store:<id>'
configs = Table(
    "configs",
    metadata,
    Column("scope", String(80), primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated", Float, nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("store_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), unique=True),  # the one-time enrollment token, until used
    Column("secret", String(64)),  # hex; set at enrollment
    Column("created", Float, nullable=False),
    Column("enrolled_at", Float),
    Column("revoked_at", Float),
    Column("last_seen", Float),
    Column("max_seq", BigInteger, nullable=False, server_default="0"),
    Column("chain_seq", BigInteger, nullable=False, server_default="0"),  # verified up to here
    Column("chain_hash", String(64), nullable=False),
    Column("chain_ok", Boolean, nullable=False, server_default="1"),
    # forged codes sent since an admin last reviewed it; at ServerSettings.forged_before_hold its
    # online claims are held (migration 0004)
    Column("forged", Integer, nullable=False, server_default="0"),
    # what the device said of itself at its last sync: events waiting, the oldest one's age
    Column("reported_pending", BigInteger),
    Column("reported_oldest_s", Float),
    Column("reported_at", Float),
)

events = Table(
    "events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("device_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("local_time", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("mac", String(64), nullable=False),
    Column("received", Float, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("store_id", String(64), nullable=False),
    Column("actor", String(128), nullable=False, server_default=""),
    Column("campaign", String(64)),
    Column("serial", BigInteger),
    Column("tier", String(32)),
    Column("value", Float, nullable=False, server_default="0"),
    Column("member", String(128)),
    Column("points", BigInteger, nullable=False, server_default="0"),
    Column("receipt", String(128)),
    Column("target", String(64)),
    Column("conflict_id", Integer),
    UniqueConstraint("device_id", "seq", name="events_device_seq"),
)
# Most events are redemptions with neither a receipt nor a member: left out of these indexes,
# they cost nothing to insert (queries by receipt or member, or for points, use them all the same).
_moves_points = events.c.kind != "redeem"
Index("events_points", events.c.kind, events.c.received,
      sqlite_where=_moves_points, postgresql_where=_moves_points)  # fmt: skip
_has_receipt, _has_member = events.c.receipt.is_not(None), events.c.member.is_not(None)
Index("events_receipt", events.c.store_id, events.c.receipt,
      sqlite_where=_has_receipt, postgresql_where=_has_receipt)  # fmt: skip
Index("events_member", events.c.member, sqlite_where=_has_member, postgresql_where=_has_member)
# a void found by the event it undoes (migration 0021): a second void of one event is refused
_voids = events.c.kind == "void"
Index("events_void_target", events.c.target, sqlite_where=_voids, postgresql_where=_voids)
# the dashboard's lookup finds a code's redemptions by it (migration 0009); other events name none
_redeems = events.c.kind == "redeem"
Index("events_code", events.c.campaign, events.c.serial,
      sqlite_where=_redeems, postgresql_where=_redeems)  # fmt: skip

# one row per redeemed code: the first claim committed wins
claims = Table(
    "claims",
    metadata,
    Column("campaign", String(64), nullable=False),
    Column("serial", BigInteger, nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("store_id", String(64), nullable=False),
    Column("claimed_at", Float, nullable=False),
    PrimaryKeyConstraint("campaign", "serial", name="claims_pk"),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # double_redemption | overdraft
    Column("campaign", String(64)),
    Column("serial", BigInteger),
    Column("code", String(64)),
    Column("member", String(128)),
    Column("winner_event", String(64)),
    Column("winner_device", String(64)),
    Column("loser_event", String(64), nullable=False),
    Column("loser_device", String(64), nullable=False),
    Column("reward", String(200), nullable=False, server_default=""),
    Column("value", Float, nullable=False, server_default="0"),
    Column("points", BigInteger, nullable=False, server_default="0"),
    Column("state", String(16), nullable=False, server_default="open"),
    Column("action", String(32)),
    Column("resolved_by", String(128)),
    Column("note", Text),
    Column("resolved_at", Float),
    Column("created", Float, nullable=False),
)
Index("conflicts_state", conflicts.c.state, conflicts.c.id)

# each version of a store's earn rules, from the moment a device of the store was first given it
# (`until`: when a newer one was); an accrual names the version its device counted with
earn_rules = Table(
    "earn_rules",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=True),
    Column("store_id", String(64), nullable=False),
    Column("data", Text, nullable=False),
    Column("since", Float, nullable=False),
    Column("until", Float),
)
Index("earn_rules_store", earn_rules.c.store_id, earn_rules.c.version)

# every resolution step, kept: who did what, when and why
conflict_audit = Table(
    "conflict_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conflict_id", Integer, nullable=False),
    Column("action", String(32), nullable=False),
    Column("by", String(128), nullable=False),
    Column("note", Text, nullable=False),
    Column("at", Float, nullable=False),
)

balances = Table(
    "balances",
    metadata,
    Column("member", String(128), primary_key=True),
    Column("balance", BigInteger, nullable=False),
    Column("updated", Float, nullable=False),
)

member_stores = Table(
    "member_stores",
    metadata,
    Column("member", String(128), nullable=False),
    Column("store_id", String(64), nullable=False),
    PrimaryKeyConstraint("member", "store_id", name="member_stores_pk"),
)

# what devices pull: codes redeemed, codes released, notices, balances; read by cursor (id)
feed = Table(
    "feed",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # redeemed | released | notice | balance
    Column("origin_device", String(64)),
    Column("target_device", String(64)),  # only this device (notices)
    Column("target_store", String(64)),  # only this store's devices (balances)
    Column("data", Text, nullable=False),
    Column("created", Float, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device_id", String(64)),
    Column("kind", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("created", Float, nullable=False),
    Column("actor", String(128), nullable=False, server_default=""),  # the cashier it names
)

# signed requests seen recently: a replayed request is refused
nonces = Table(
    "nonces",
    metadata,
    Column("nonce", String(120), primary_key=True),
    Column("seen", Float, nullable=False),
)
Index("nonces_seen", nonces.c.seen)

# people who sign in to the dashboard (server_stub/accounts/users.py)
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),  # argon2id, with its parameters
    Column("role", String(32), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default="0"),
    Column("created", Float, nullable=False),
)
# Accounts unlocked after a lockout: who lifted it, when and why. Wrong passwords and locks
# themselves are attempt counters (`sign_in`, below).
account_audit = Table(
    "account_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("action", String(32), nullable=False),  # unlocked
    Column("by", String(128), nullable=False),
    Column("note", Text, nullable=False),  # why, after checking with the account's owner
    Column("at", Float, nullable=False),
)

# the stores and campaigns a store or campaign manager may see
user_scopes = Table(
    "user_scopes",
    metadata,
    Column("user_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # store | campaign
    Column("value", String(64), nullable=False),
    PrimaryKeyConstraint("user_id", "kind", "value"),
)

# signed-in dashboard sessions; the cookie holds a token, the table only its hash
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)

# maker-checker: a resolution one person proposes and a different person approves
conflict_proposals = Table(
    "conflict_proposals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conflict_id", Integer, nullable=False),
    Column("action", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("proposed_by", String(64), nullable=False),
    Column("proposed_at", Float, nullable=False),
    Column("decision", String(16)),  # approved | rejected, once decided
    Column("decided_by", String(64)),
    Column("decided_at", Float),
)

# What events count as (server_stub/records/event_counts.py says which count what) by the hour
# they arrived, the device's local day and hour, campaign, tier, store, device and cashier: what
# the overview, the reports and each campaign's cost read instead of the events table.
# Append-only (a push adds a row per group and kind; a void or a resolution that changes a
# verdict adds rows with negative counts), so concurrent pushes never wait for each other over a
# row; readers sum. Text a group lacks is "".
event_counts = Table(
    "event_counts",
    metadata,
    Column("hour", BigInteger, nullable=False),  # Unix time of arrival // 3600
    Column("day", String(10), nullable=False),  # the device's local day, 2026-12-01
    Column("local_hour", String(2), nullable=False),  # the device's local hour, 00-23
    # redemption | double_redemption | overdraft | points (records/event_counts.py)
    Column("kind", String(20), nullable=False),
    Column("campaign", String(64), nullable=False),
    Column("tier", String(32), nullable=False),
    Column("store_id", String(64), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("cashier", String(128), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("value", Float, nullable=False),  # reward value
    Column("earned", BigInteger, nullable=False),  # points
    Column("spent", BigInteger, nullable=False),
)
Index("event_counts_hour", event_counts.c.hour)
Index("event_counts_day", event_counts.c.day)

# The same counts for the shoppers who agreed to share who they are (`context.consent`), by what
# they shared (age band, gender, city; "" where they left one out) per local day, store and
# campaign: the demographic reports. Everyone else is "not given": event_counts less these.
# Kept like event_counts, in the same transactions.
shared_counts = Table(
    "shared_counts",
    metadata,
    Column("day", String(10), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("campaign", String(64), nullable=False),
    Column("store_id", String(64), nullable=False),
    Column("age_band", String(64), nullable=False),
    Column("gender", String(64), nullable=False),
    Column("city", String(64), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("value", Float, nullable=False),
    Column("earned", BigInteger, nullable=False),
    Column("spent", BigInteger, nullable=False),
)
Index("shared_counts_day", shared_counts.c.day)

# Attempts counted per thing limited and per who tried, within a window, shared by every server
# process (server_stub/limits/counters.py; migration 0010)
attempt_counters = Table(
    "attempt_counters",
    metadata,
    Column("what", String(32), nullable=False),  # sign_in, admin_token, ...
    Column("who", String(200), nullable=False),
    Column("n", Integer, nullable=False),
    Column("started", Float, nullable=False),
    Column("ends", Float, nullable=False),
    PrimaryKeyConstraint("what", "who", name="attempt_counters_pk"),
)
Index("attempt_counters_ends", attempt_counters.c.ends)

# the addresses each window's attempts came from
attempt_sources = Table(
    "attempt_sources",
    metadata,
    Column("what", String(32), nullable=False),
    Column("who", String(200), nullable=False),
    Column("source", String(64), nullable=False),
    Column("n", Integer, nullable=False),
    Column("last_seen", Float, nullable=False),
    PrimaryKeyConstraint("what", "who", "source", name="attempt_sources_pk"),
)

# -- the winner's journey (migration 0011) ---------------------------------------------------
# Redemptions made on the shopper's web at /play/ are events of one built-in device of one
# built-in store, so conflicts, counts and reports treat them like any till's.
WEB_STORE = "shoppers-web"
WEB_DEVICE = "shoppers-web"
# the web device's event numbers on PostgreSQL (SQLite takes max_seq + 1 under its one writer)
WEB_EVENT_SEQ = "web_event_seq"

# a partner's voucher codes for a digital prize tier (server_stub/prizes/vouchers.py); each is
# free, held by one device (its offline slice), given to one redemption, or withdrawn
vouchers = Table(
    "vouchers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign", String(64), nullable=False),
    Column("tier", String(32), nullable=False),
    Column("voucher", String(128), nullable=False),
    Column("state", String(16), nullable=False),  # free, held, given, withdrawn
    Column("device_id", String(64)),  # who holds it, or who gave it
    Column("event_id", String(64), unique=True),  # the redemption it was given to
    Column("loaded", Float, nullable=False),
    Column("changed", Float, nullable=False),
    UniqueConstraint("campaign", "tier", "voucher", name="vouchers_once"),
)
Index("vouchers_pool", vouchers.c.campaign, vouchers.c.tier, vouchers.c.state)
Index("vouchers_holder", vouchers.c.device_id, vouchers.c.state)

# one-time passwords sent by SMS (server_stub/phones/otp.py): only a hash of each is kept
otp_codes = Table(
    "otp_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("phone", String(32), nullable=False),
    Column("purpose", String(16), nullable=False),  # play, claim, status
    Column("code_hash", String(64), nullable=False),
    Column("created", Float, nullable=False),
    Column("expires", Float, nullable=False),
    Column("tries", Integer, nullable=False, server_default="0"),
    Column("used", Float),
)
Index("otp_codes_phone", otp_codes.c.phone, otp_codes.c.purpose, otp_codes.c.created)

# a shopper's visit to /play/: a random token in a cookie, its hash here, the CSRF token of its
# forms, and the phone once a one-time password confirmed it (server_stub/play/visits.py)
play_sessions = Table(
    "play_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("csrf", String(64), nullable=False),
    Column("phone", String(32)),  # confirmed
    Column("pending_phone", String(32)),  # a one-time password is on its way there
    Column("created", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)
Index("play_sessions_last_seen", play_sessions.c.last_seen)

# a prize claim (server_stub/prizes/claims.py): one per code, joined to its redemption by event id
prize_claims = Table(
    "prize_claims",
    metadata,
    Column("number", String(16), primary_key=True),  # CL-XXXXXXXX
    Column("campaign", String(64), nullable=False),
    Column("serial", BigInteger, nullable=False),
    Column("code", String(64), nullable=False),
    Column("tier", String(32), nullable=False),
    Column("value", Float, nullable=False, server_default="0"),
    Column("event_id", String(64), nullable=False),  # the redemption claimed
    Column("device_id", String(64)),  # where it was redeemed, when a device's QR said so
    Column("phone", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("address", Text, nullable=False),
    Column("email", String(200)),
    Column("id_type", String(20), nullable=False),
    Column("id_number", String(64), nullable=False),
    Column("invoice_number", String(64)),
    Column("consent_at", Float, nullable=False),
    Column("status", String(20), nullable=False),  # received, in_verification, approved, ...
    Column("reason", Text, nullable=False, server_default=""),
    # a rejection's listed reason (prizes/decision_reasons.py), so the winner reads it in their
    # language; `reason` keeps staff's words whole
    Column("reason_code", String(32)),
    Column("resubmissions", Integer, nullable=False, server_default="0"),
    Column("flags", Text, nullable=False, server_default="[]"),  # JSON: duplicate flags
    Column("carrier", String(64)),
    Column("tracking", String(64)),
    Column("delivered_on", String(10)),  # the shipping partner's date, YYYY-MM-DD
    Column("lang", String(8), nullable=False, server_default="en"),  # the winner's language
    Column("city", String(100)),  # for the public winners list
    Column("listed", Boolean, nullable=False, server_default="1"),  # False: opted out of it
    # the verifier's recommendation (approve or reject), which an approver then decides
    Column("recommendation", String(10)),
    Column("recommended_by", String(64)),
    Column("recommended_note", Text, nullable=False, server_default=""),
    Column("recommended_at", Float),
    Column("erased", Float),  # when the person's details were erased on request
    Column("deadline", Float, nullable=False),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
    UniqueConstraint("campaign", "serial", name="prize_claims_code"),
)
Index("prize_claims_phone", prize_claims.c.phone)
Index("prize_claims_status", prize_claims.c.status, prize_claims.c.created)
Index("prize_claims_event", prize_claims.c.event_id)
Index("prize_claims_queue", prize_claims.c.campaign, prize_claims.c.status, prize_claims.c.created)

# what happened to a claim, in order: its timeline
claim_timeline = Table(
    "claim_timeline",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(16), nullable=False),
    Column("at", Float, nullable=False),
    Column("status", String(20), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("actor", String(200), nullable=False, server_default=""),
)
Index("claim_timeline_number", claim_timeline.c.number, claim_timeline.c.at)

# a claim's uploaded documents, stored re-encoded outside any served folder under random names
# (server_stub/prizes/documents.py)
claim_documents = Table(
    "claim_documents",
    metadata,
    Column("id", String(32), primary_key=True),  # random: what the document handler takes
    Column("number", String(16), nullable=False),
    Column("kind", String(16), nullable=False),  # invoice, id_front, id_back
    Column("stored", String(64), nullable=False),  # the file's random name in the store
    Column("content_type", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),  # of the file as sent
    Column("phash", String(16)),  # an image's perceptual hash, hex
    Column("current", Boolean, nullable=False, server_default="1"),  # False once resubmitted
    Column("checks", Text, nullable=False, server_default="{}"),  # JSON: the verifier's checklist
    Column("deleted", Float),  # when the file left the disk (retention or erasure)
    Column("created", Float, nullable=False),
)
Index("claim_documents_number", claim_documents.c.number)
Index("claim_documents_sha256", claim_documents.c.sha256)
Index("claim_documents_phash", claim_documents.c.phash)

# SMS sent through the gateway, and what its delivery reports said (never the text: it may hold
# a one-time password); server_stub/notifications/sms.py
sms_messages = Table(
    "sms_messages",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("phone", String(32), nullable=False),
    Column("kind", String(16), nullable=False),  # otp, voucher, ...
    Column("status", String(16), nullable=False),  # sent, failed, delivered, ...
    Column("error", Text, nullable=False, server_default=""),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
)
Index("sms_messages_phone", sms_messages.c.phone, sms_messages.c.created)

# messages to winners (SMS, email), written in the same transaction as the change they tell of
# and sent by the notification worker; `key` (claim, status, channel) makes each change's message
# one row, whatever retries the change had
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(160), nullable=False, unique=True),
    Column("channel", String(8), nullable=False),  # sms, email
    Column("to", String(200), nullable=False),
    Column("kind", String(32), nullable=False),  # claim_received, ..., voucher
    Column("claim", String(16)),
    Column("lang", String(8), nullable=False, server_default="en"),
    Column("subject", Text, nullable=False, server_default=""),
    Column("body", Text, nullable=False),
    Column("state", String(8), nullable=False),  # pending, sent, dead
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_at", Float, nullable=False),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("created", Float, nullable=False),
    Column("sent_at", Float),
)
Index("outbox_due", outbox.c.state, outbox.c.next_at)
Index("outbox_claim", outbox.c.claim)

# the coalition's tables live in their own module on the same metadata
from server_stub.database import content_tables as _content_tables  # noqa: E402, F401
from server_stub.database import loyalty_tables as _loyalty_tables  # noqa: E402, F401
