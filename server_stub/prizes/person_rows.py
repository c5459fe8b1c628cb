"""Where a phone lives: what finds one person's rows, shared by their export
(`person_export.py`) and their erasure (`person_erase.py`).

A person is named by a key: their phone (E.164), or the card number of a loyalty member who has
no phone (`person_member.phone_of_card` gives the phone of one who has). A card never starts
with "+", so it finds nothing in the tables that keep phones.

Prize claims (with the name, address, email, ID and invoice numbers and city given with them,
their documents, and notes staff wrote), the outbox's messages (to the phone or the claim's
email), SMS sent (`sms_messages`), one-time passwords (`otp_codes`, hashes only), visits to
/play/ (`play_sessions`), attempt counters keyed by it, redemptions made on the web or at a kiosk
that took the number (`events.member` and the payload's `context`), and the loyalty tables when
the number is a member's (`balances`, `member_stores`, `conflicts`, the balance rows of `feed`).
The coalition member behind the phone, with every key tills named them by, is found by
`person_member.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, false, or_, select
from sqlalchemy.engine import Row

from server_stub.database.schema import attempt_counters, outbox, play_sessions, prize_claims


def is_phone(key: str) -> bool:
    """Whether a person's key is a phone (E.164) rather than a card number."""
    return key.startswith("+")


def named(key: str) -> str:
    """The key as a person is told it: "+919876543210" or "card ZQ55AA77"."""
    return key if is_phone(key) else f"card {key}"


def claims_of(conn: Connection, phone: str) -> Sequence[Row[Any]]:
    """The phone's prize claims, oldest first."""
    c = prize_claims.c
    query = select(prize_claims).where(c.phone == phone).order_by(c.created, c.number)
    return conn.execute(query).all()


def emails_of(found: Iterable[Row[Any]]) -> list[str]:
    """The emails given with these claims, each once."""
    return sorted({c.email for c in found if c.email})


def messages_of(phone: str, numbers: list[str], emails: list[str]) -> Any:
    """The outbox's messages to the phone or the claims' emails, or about the claims."""
    o = outbox.c
    return or_(o.to.in_([phone, *emails]), o.claim.in_(numbers))


def visits_of(phone: str) -> Any:
    """Visits to /play/ signed in with the phone or waiting for its password."""
    p = play_sessions.c
    return or_(p.phone == phone, p.pending_phone == phone)


def attempts_of(phone: str) -> Any:
    """Attempt counters kept for the phone: keyed by it alone or after a purpose ("claim +91...").
    None for a card: counters are keyed by phones, names and addresses, and a card's letters
    could be a user's name."""
    who = attempt_counters.c.who
    if not is_phone(phone):
        return false()
    return or_(who == phone, who.endswith(" " + phone))
