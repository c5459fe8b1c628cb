"""Erasing a person on request, found by their phone, or by the card of a loyalty member who has
no phone (`instore admin person erase`; `person_rows.py` says how a person is named): erasure
keeps counts and audit lines but not the person. Where a phone lives is in `person_rows.py`;
exporting it is `person_export.py`. This module decides (what is held, what refuses an erasure)
and puts the phone's placeholder in place; the parts are erased by `person_erase_claims.py` (the
prize claims, notes on them and messages), `person_member.py` (the loyalty member) and
`person_erase_events.py` (the events devices signed).

Erasure puts a placeholder in place of the phone everywhere: "erased:" and 16 hex digits of an
HMAC under a key of this server's, the same for the same phone, so counts per phone (claims per
phone, redemptions) still group and nobody can read the number back. A member named by card
alone gets the card's placeholder, made the same way. One-time passwords and SMS
keep their rows under it, visits end and attempt counters go.

A claim approved or dispatched is being shipped to the address about to be erased, so erasure
refuses it unless forced (`force`). A loyalty member behind the phone keeps their member id,
under which their lots, lot uses, spend confirmations and wheel spins stay for the partners'
accounts; their points left are forfeited, so erasure refuses a member who has some unless
forced. A phone or card the server never held nor erased is refused (404), so a mistyped
number is noticed.

Events a device signed that lie beyond a gap in its hash chain keep their payload until the gap
closes; erasing again later finishes them (`waiting`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, or_, select, update
from sqlalchemy.engine import Row

from server_stub.database.connection import insert_ignore, reader, writing
from server_stub.database.loyalty_tables import ussd_sessions
from server_stub.database.schema import (
    attempt_counters,
    attempt_sources,
    balances,
    claim_documents,
    events,
    meta,
    otp_codes,
    outbox,
    play_sessions,
    prize_claims,
    sms_messages,
)
from server_stub.errors import ApiError
from server_stub.prizes import person_erase_claims, person_erase_events, person_member
from server_stub.prizes.documents import DocumentStore
from server_stub.prizes.person_erase_claims import SHIPPING, fate
from server_stub.prizes.person_rows import (
    attempts_of,
    claims_of,
    emails_of,
    is_phone,
    messages_of,
    visits_of,
)

KEY = "erasure_key"  # meta: the HMAC key of the placeholders
PREFIX = "erased:"


def plan(engine: Engine, phone: str, now: float | None = None) -> dict[str, Any]:
    """What `erase` would do, without doing it: the claims (number and status) and, for each,
    whether it would be withdrawn or blocks the erasure, the loyalty member (what is kept under
    their id, the points they would lose), counts of what else is held, and whether the server
    knows the phone (or card) at all (`known`: anything held, or erased before)."""
    now = time.time() if now is None else now
    with reader(engine).connect() as conn:
        found = claims_of(conn, phone)
        member = person_member.member_of(conn, phone)
        keys = person_member.keys_of(conn, phone, member)
        held = _held(conn, phone, [c.number for c in found], emails_of(found), keys)
        kept = None if member is None else person_member.counts(conn, member, now)
        known = bool(found) or member is not None or any(held.values())
        known = known or _erased_before(conn, phone)
    card = None if is_phone(phone) else phone
    return {
        "phone": None if card else phone, "card": card, "known": known,
        "claims": [{"number": c.number, "status": c.status, "will_be": fate(c.status)}
                   for c in found],
        "shipping": [c.number for c in found if c.status in SHIPPING],
        "member": kept, **held,
    }  # fmt: skip


def erase(
    engine: Engine, store: DocumentStore, phone: str, actor: str, force: bool = False,
    now: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Erase the person behind `phone` (or a card); what was erased, in counts (see the
    module's words).

    409 `being_shipped` when a claim is approved or dispatched, or `points_left` when they are a
    loyalty member with points not yet spent, and `force` is not given. 404 `unknown_person`
    when nothing is held about the phone (or card) and it was never erased. A second erasure of
    the same phone finds nothing left but what was waiting (`waiting`)."""
    now = time.time() if now is None else now
    actor = actor.strip()[:200] or "admin"
    with writing(engine) as conn:
        found = conn.execute(
            select(prize_claims)
            .where(prize_claims.c.phone == phone)
            .order_by(prize_claims.c.created, prize_claims.c.number)  # as `plan` lists them
            .with_for_update()
        ).all()
        member = person_member.member_of(conn, phone)
        keys = person_member.keys_of(conn, phone, member)
        held = _held(conn, phone, [], emails_of(found), keys)
        if not (found or member is not None or any(held.values()) or _erased_before(conn, phone)):
            raise ApiError(404, "unknown_person", unknown(phone))
        _refuse_unforced(conn, found, member, force, now)
        placeholder = erased_phone(conn, phone)
        claimed, stored = person_erase_claims.erase(conn, found, phone, placeholder, actor, now)
        done: dict[str, Any] = {"phone": placeholder, **claimed}
        done |= _erase_traces(conn, phone, placeholder, keys)
        done |= person_member.erase(conn, phone, keys, placeholder, actor, now)
        # last, so that a failure before leaves the files for a second try; a failure after
        # leaves rows that the next erasure or retention run marks (their files found gone)
        for name in stored:
            store.delete(name)
    return done


def unknown(phone: str) -> str:
    """Why nothing was erased for a phone or card the server does not know, and what to check."""
    if not is_phone(phone):
        return (
            f"nothing is held about card {phone}: no loyalty member has it, no till named anyone"
            " by it, and it was never erased here on its own (a card erased with its member's"
            " phone is found by that phone). Check the number on the card with the person"
        )
    return (
        f"nothing is held about {phone}: no prize claim, loyalty member, message, password or"
        " redemption has that number, and it was never erased here. Check the number with the"
        " person (their country code too)"
    )


def _refuse_unforced(
    conn: Connection, found: list[Row[Any]] | Any, member: Row[Any] | None, force: bool,
    now: float,
) -> None:  # fmt: skip
    """409 unless forced: a prize being shipped to the address erasure removes, or a member's
    points that erasure forfeits (nobody can spend them once the phone and card are gone)."""
    if force:
        return
    shipping = [c.number for c in found if c.status in SHIPPING]
    if shipping:
        raise ApiError(
            409, "being_shipped",
            f"{', '.join(shipping)} {'is' if len(shipping) == 1 else 'are'} being shipped to the"
            " address erasure would remove: erase once delivered, or force it (the parcel may"
            " then not arrive)",
        )  # fmt: skip
    left = 0 if member is None else person_member.points_left(conn, member.id, now)
    if left:
        raise ApiError(
            409, "points_left",
            f"loyalty member {member.id} has {left} points left, which erasure forfeits (nobody"  # type: ignore[union-attr]
            " can spend them once the phone and card are gone): tell the person, let them spend"
            " them first, or force it",
        )  # fmt: skip


def _erased_before(conn: Connection, phone: str) -> bool:
    """Whether the phone's placeholder is on record: the phone was erased here before."""
    key = conn.execute(select(meta.c.value).where(meta.c.key == KEY)).scalar()
    if key is None:
        return False
    placeholder = _placeholder(key, phone)
    return any(
        conn.execute(select(column).where(column == placeholder).limit(1)).first() is not None
        for column in (prize_claims.c.phone, events.c.member, balances.c.member,
                       sms_messages.c.phone, otp_codes.c.phone)
    )  # fmt: skip


def erased_phone(conn: Connection, phone: str) -> str:
    """The placeholder that stands for `phone` (or a card named alone) once erased: the same
    for the same phone."""
    find = select(meta.c.value).where(meta.c.key == KEY)
    key = conn.execute(find).scalar()
    if key is None:
        conn.execute(insert_ignore(conn, meta).values(key=KEY, value=secrets.token_hex(32)))
        key = conn.execute(find).scalar_one()
    return _placeholder(key, phone)


def _placeholder(key: str, phone: str) -> str:
    digest = hmac.new(bytes.fromhex(key), phone.encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:16]


def _held(
    conn: Connection, phone: str, numbers: list[str], emails: list[str], keys: list[str]
) -> dict[str, int]:
    """Counts of what is held besides the claims; `keys`: every key the person is named by,
    for what tills wrote (as erasure finds it)."""
    d, e = claim_documents.c, events.c

    def count(table: Any, *where: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())

    return {
        "documents": count(claim_documents, d.number.in_(numbers), d.deleted.is_(None)),
        "messages": count(outbox, messages_of(phone, numbers, emails)),
        "sms": count(sms_messages, sms_messages.c.phone == phone),
        "one_time_passwords": count(otp_codes, otp_codes.c.phone == phone),
        "visits": count(play_sessions, visits_of(phone)),
        "redemptions": count(events, e.member.in_(keys)),
        "attempts": count(attempt_counters, attempts_of(phone)),
        "balances": count(balances, balances.c.member.in_(keys)),
        "ussd_sessions": count(ussd_sessions, ussd_sessions.c.phone.in_(keys)),
    }  # fmt: skip


def _erase_traces(
    conn: Connection, phone: str, placeholder: str, keys: list[str]
) -> dict[str, int]:
    """The phone everywhere else: passwords, SMS and redemptions keep their rows under the
    placeholder; visits end; attempt counters (an hour's worth) go. `keys`: the phone and, for
    a member, every other key their events name them by."""
    done: dict[str, int] = {}
    done["one_time_passwords"] = conn.execute(
        update(otp_codes).where(otp_codes.c.phone == phone).values(phone=placeholder)
    ).rowcount
    done["sms"] = conn.execute(
        update(sms_messages).where(sms_messages.c.phone == phone).values(phone=placeholder)
    ).rowcount
    done["visits"] = conn.execute(delete(play_sessions).where(visits_of(phone))).rowcount
    counted = attempt_sources.c.who
    if is_phone(phone):  # a card's letters could be a user's name: counters never hold a card
        conn.execute(
            delete(attempt_sources).where(or_(counted == phone, counted.endswith(" " + phone)))
        )
    done["attempts"] = conn.execute(delete(attempt_counters).where(attempts_of(phone))).rowcount
    done["redemptions"], done["waiting"] = person_erase_events.erase(conn, keys, placeholder)
    return done
