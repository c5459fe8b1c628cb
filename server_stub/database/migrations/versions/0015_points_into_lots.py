"""Points kept before lots become lots, and the program gets a home region.

A release before 0014 kept a member's points as one figure, `balances` (credits minus debits),
under the key a till sent: a phone number or a card number (e.g. "M-1001"). Since lots, a
balance is the sum of open lots, so each positive figure becomes one lot of the built-in partner
'house' (a store of no partner issues as it), available at once (pending_until = earned_at = the
upgrade) and expiring by the program's rule from the upgrade: nobody loses points they could
spend the day before, and nobody's points expire sooner than the program says. The member is
found, or made, as a till's push finds or makes one (device_api/point_lots.py): by card number
or phone in any written form, an unknown phone registered (via "sync"), an unknown key kept as a
card. Keys that name the same member add up into that member's one lot, `upgrade-<member id>`.
A member who already has lots (a database that ran the lots' code, whose `balances` is only a cache
of the lots' sum) gets none.

`program.region` (null: by the member's language, else India) is where a phone number typed
without its country code is from.

This step copies the few rules it needs (card and phone forms, the expiry date) rather than
importing the application's, which may change after it: a migration must do tomorrow what it
did today. Downgrade removes the lots it made (and what consumed them); the members stay.
Revision ID: 0015
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

HOUSE = "house"
MARK = "upgrade-"
_SPACING = re.compile(r"[\s\-]+")
_CARD = re.compile(r"[A-Z0-9]{4,32}")  # a card number as members.find reads it
_SHORT = re.compile(r"[A-Z0-9]{1,32}")  # an older till's member number, kept as a card
_TEXTABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
_REGION = "IN"  # what a number without its country code was read as when these were kept


def upgrade() -> None:
    with op.batch_alter_table("program") as batch:
        batch.add_column(sa.Column("region", sa.String(2)))
    conn = op.get_bind()
    now = time.time()
    months = conn.execute(sa.text("SELECT expiry_months FROM program WHERE id = 1")).scalar()
    expires = _expiry_of(now, int(months or 12))
    owed: dict[int, int] = {}
    seen_at: dict[int, str] = {}
    rows = conn.execute(
        sa.text("SELECT member, balance FROM balances WHERE balance > 0 ORDER BY member")
    ).all()
    for key, points in rows:
        member_id = _member(conn, str(key), now)
        if member_id is None:
            continue
        owed[member_id] = owed.get(member_id, 0) + int(points)
        store = conn.execute(
            sa.text("SELECT MIN(store_id) FROM member_stores WHERE member = :key"), {"key": key}
        ).scalar()
        if store is not None and (member_id not in seen_at or store < seen_at[member_id]):
            seen_at[member_id] = str(store)
    for member_id, points in owed.items():
        has_lots = conn.execute(
            sa.text("SELECT 1 FROM lots WHERE member_id = :m LIMIT 1"), {"m": member_id}
        ).first()
        if has_lots is not None:
            continue
        conn.execute(
            sa.text(
                "INSERT INTO lots (member_id, partner_id, store_id, event_id, points, remaining,"
                " earned_at, pending_until, expires_at) VALUES (:member_id, :partner, :store,"
                " :event_id, :points, :points, :now, :now, :expires)"
            ),
            {"member_id": member_id, "partner": HOUSE, "store": seen_at.get(member_id, ""),
             "event_id": f"{MARK}{member_id}", "points": points, "now": now,
             "expires": expires},
        )  # fmt: skip


def downgrade() -> None:
    conn = op.get_bind()
    made = sa.text(f"SELECT id FROM lots WHERE event_id LIKE '{MARK}%'")
    conn.execute(sa.text(f"DELETE FROM lot_uses WHERE lot_id IN ({made.text})"))
    conn.execute(sa.text(f"DELETE FROM lots WHERE event_id LIKE '{MARK}%'"))
    with op.batch_alter_table("program") as batch:
        batch.drop_column("region")


def _expiry_of(at: float, months: int) -> float:
    """loyalty.lots.expiry_of as it is at 0015: the start (UTC) of the month after the month
    `months` months on, i.e. points last through the end of that month."""
    earned = datetime.fromtimestamp(at, UTC)
    index = earned.year * 12 + earned.month - 1 + months + 1
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC).timestamp()


def _phone(key: str) -> str | None:
    """The key as a mobile number in E.164, or None (members.find's reading of a phone)."""
    if len(key) > 40:
        return None
    try:
        number = phonenumbers.parse(key, _REGION)
    except phonenumbers.NumberParseException:
        return None
    if (
        not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _TEXTABLE
    ):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _member(conn: sa.Connection, key: str, now: float) -> int | None:
    """The member this key names (card, then phone, then a short card), made when none is."""
    key = key.strip()
    if not key or len(key) > 64:
        return None
    card = _SPACING.sub("", key).upper()
    by_card = sa.text("SELECT id FROM members WHERE card = :card")
    if _CARD.fullmatch(card):
        found = conn.execute(by_card, {"card": card}).scalar()
        if found is not None:
            return int(found)
    phone = _phone(key)
    if phone is not None:
        found = conn.execute(
            sa.text("SELECT id FROM members WHERE phone = :phone"), {"phone": phone}
        ).scalar()
        if found is None:
            conn.execute(
                sa.text("INSERT INTO members (phone, lang, registered_via, created)"
                        " VALUES (:phone, 'en', 'sync', :now)"),
                {"phone": phone, "now": now},
            )  # fmt: skip
            found = conn.execute(
                sa.text("SELECT id FROM members WHERE phone = :phone"), {"phone": phone}
            ).scalar_one()
        return int(found)
    if not _SHORT.fullmatch(card):
        return None
    found = conn.execute(by_card, {"card": card}).scalar()
    if found is None:
        conn.execute(
            sa.text("INSERT INTO members (card, registered_via, created)"
                    " VALUES (:card, 'sync', :now)"),
            {"card": card, "now": now},
        )  # fmt: skip
        found = conn.execute(by_card, {"card": card}).scalar_one()
    return int(found)
