"""The coalition member behind a phone or card, for the person's export and erasure
(`person_export.py`, `person_erase.py`): their `members` row, the keys tills named them by, and
what is kept of them. A member with no phone (an older till's member number) is named by card.

A member is one row (phone, card, language, how they joined); their points are lots and lot
uses, their spend confirmations and wheel spins, all by member id, never by phone. What names
them by key (the phone or card as a till took it): events, the balance cache (`balances`,
`member_stores`, the feed's balance rows), conflicts and their notes, alerts, card limits, and
USSD sessions by phone.

Erasure keeps the member's id as the pseudonym that the partners' accounts need: lots, lot uses,
confirmations and spins stay as they are, so every month's settlement adds up as before. The row
loses its phone and card and is blocked ("erased on request by ..."): nobody can find it again,
and its points can never be spent (they expire on their own dates, as unspent points do). Every
key is replaced by the phone's placeholder wherever it was written; USSD sessions are deleted.
The same phone registering later is a new member with nothing of the old one.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, or_, select, update
from sqlalchemy.engine import Row

from server_stub.database.connection import insert_ignore, reader
from server_stub.database.loyalty_tables import (
    lot_uses,
    lots,
    loyalty_limits,
    members,
    partners,
    spend_confirmations,
    ussd_sessions,
)
from server_stub.database.schema import (
    alerts,
    balances,
    conflict_audit,
    conflict_proposals,
    conflicts,
    events,
    feed,
    member_stores,
)
from server_stub.database.wheel_tables import wheel_spins

ERASED_REASON = "erased on request"


def member_of(conn: Connection, key: str) -> Row[Any] | None:
    """The member whose phone (E.164) or card number this is, or None."""
    found = or_(members.c.phone == key, members.c.card == key)
    return conn.execute(select(members).where(found)).first()


def phone_of_card(engine: Engine, card: str) -> str | None:
    """The phone of the member holding the card (its normal form, as `members` keeps it), so
    that a person named by their card is found with everything held about their phone; None
    when the card is nobody's or its member has no phone (then the card is the key)."""
    with reader(engine).connect() as conn:
        found = select(members.c.phone).where(members.c.card == card)
        return conn.execute(found).scalar()


def keys_of(conn: Connection, key: str, member: Row[Any] | None) -> list[str]:
    """Every key that names the person: `key` (the phone or card they were named by), the
    member's phone and card, and each key a till sent with an event of theirs that made a lot,
    used one, spun the wheel or confirmed a spend (a phone typed without its country code, a
    card as printed). Longest first, so that a key is replaced before a shorter one inside it."""
    found = {key}
    if member is not None:
        found |= {k for k in (member.phone, member.card) if k}
        mine = lots.c.member_id == member.id
        for query in (
            select(events.c.member).join(lots, lots.c.event_id == events.c.event_id).where(mine),
            select(events.c.member).join(lot_uses, lot_uses.c.event_id == events.c.event_id)
            .where(lot_uses.c.member_id == member.id),
            select(events.c.member).join(wheel_spins, wheel_spins.c.event_id == events.c.event_id)
            .where(wheel_spins.c.member_id == member.id),
            select(events.c.member)
            .join(spend_confirmations, spend_confirmations.c.used_event == events.c.event_id)
            .where(spend_confirmations.c.member_id == member.id),
        ):  # fmt: skip
            found |= {k for k in conn.execute(query.distinct()).scalars() if k}
    return sorted(found, key=lambda k: (-len(k), k))


def points_left(conn: Connection, member_id: int, now: float) -> int:
    """Points of the member's lots not yet spent, returned or expired (pending ones too)."""
    return int(
        conn.execute(
            select(func.coalesce(func.sum(lots.c.remaining), 0)).where(
                lots.c.member_id == member_id, lots.c.remaining > 0, lots.c.expires_at > now
            )
        ).scalar_one()
    )


def counts(conn: Connection, member: Row[Any], now: float) -> dict[str, Any]:
    """What erasure keeps of the member under their id, and the points it forfeits."""

    def count(table: Any, *where: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())

    return {
        "id": member.id, "points_left": points_left(conn, member.id, now),
        "lots": count(lots, lots.c.member_id == member.id),
        "lot_uses": count(lot_uses, lot_uses.c.member_id == member.id),
        "spend_confirmations": count(spend_confirmations,
                                     spend_confirmations.c.member_id == member.id),
        "wheel_spins": count(wheel_spins, wheel_spins.c.member_id == member.id),
    }  # fmt: skip


def export(conn: Connection, key: str, now: float) -> dict[str, Any] | None:
    """The member behind `key` (a phone or card), whole: their row, the keys tills named them
    by, their points left, every lot (partner, store, points, dates) and what used it (spends,
    returns, voids, expiries), spend confirmations, wheel spins and USSD sessions; None when the
    key is no member's. Times are ISO dates in UTC."""
    member = member_of(conn, key)
    if member is None:
        return None
    keys = keys_of(conn, key, member)
    lo, u, p = lots.c, lot_uses.c, partners.c
    found = _rows(
        conn,
        select(lo.id, lo.partner_id.label("partner"), p.name.label("partner_name"),
               lo.store_id.label("store"), lo.points, lo.remaining, lo.earned_at,
               lo.pending_until, lo.expires_at, lo.event_id)
        .select_from(lots.outerjoin(partners, p.id == lo.partner_id))
        .where(lo.member_id == member.id).order_by(lo.earned_at, lo.id),
    )  # fmt: skip
    uses = _rows(
        conn,
        select(u.lot_id.label("lot"), u.kind, u.points, u.issuer, u.redeemer,
               u.store_id.label("store"), u.at, u.event_id)
        .where(u.member_id == member.id).order_by(u.at, u.id),
    )  # fmt: skip
    c, w, s = spend_confirmations.c, wheel_spins.c, ussd_sessions.c
    return {
        "id": member.id, "phone": member.phone, "card": member.card, "lang": member.lang,
        "registered_via": member.registered_via, "registered": _iso(member.created),
        "blocked": _iso(member.blocked), "blocked_reason": member.blocked_reason,
        "known_as": keys, "points_left": points_left(conn, member.id, now),
        "lots": found, "spends": [x for x in uses if x["kind"] == "spend"],
        "lot_uses": uses,
        "spend_confirmations": _rows(conn, select(
            c.device_id.label("device"), c.points, c.created.label("asked"), c.confirmed,
            c.used_event,
        ).where(c.member_id == member.id).order_by(c.id)),
        "wheel_spins": _rows(conn, select(
            w.campaign, w.day, w.outcome, w.points, w.device_id.label("device"), w.created,
            w.event_id,
        ).where(w.member_id == member.id).order_by(w.created, w.idx)),
        "ussd_sessions": _rows(conn, select(
            s.session_id, s.menu, s.lang, s.created, s.updated,
        ).where(s.phone.in_(keys)).order_by(s.created)),
    }  # fmt: skip


def erase(
    conn: Connection, key: str, keys: list[str], placeholder: str, actor: str, now: float
) -> dict[str, Any]:
    """Everything but the events (`person_erase` does those, with the same keys): the member
    row emptied and blocked, the keys replaced by `placeholder` in the balance cache, conflicts
    and their notes, alerts and card limits, USSD sessions deleted. Counts of what changed."""
    member = member_of(conn, key)
    done: dict[str, Any] = {"member": None if member is None else member.id}
    done["loyalty"] = _move_balances(conn, keys, placeholder)
    done["loyalty"] += _replace_in_conflicts(conn, keys, placeholder)
    done["alerts"] = _replace_in(conn, alerts, alerts.c.id, alerts.c.message, keys, placeholder)
    limit = loyalty_limits.c
    done["limits"] = conn.execute(
        update(loyalty_limits).where(limit.scope == "card", limit.subject.in_(keys))
        .values(subject=placeholder)
    ).rowcount  # fmt: skip
    done["ussd_sessions"] = conn.execute(
        delete(ussd_sessions).where(ussd_sessions.c.phone.in_(keys))
    ).rowcount
    if member is not None:
        conn.execute(
            update(members).where(members.c.id == member.id).values(
                phone=None, card=None, blocked=now,
                blocked_reason=f"{ERASED_REASON} by {actor}"[:1000],
            )
        )  # fmt: skip
    return done


def replaced(text: str, keys: list[str], placeholder: str) -> str:
    """`text` with each key (as a whole word: "M-1" is not a part of "M-12") replaced."""
    for key in keys:
        text = re.sub(rf"(?<![\w+]){re.escape(key)}(?!\w)", placeholder, text)
    return text


def _move_balances(conn: Connection, keys: list[str], placeholder: str) -> int:
    """The balance cache under each key moved to the placeholder (added to one kept there
    before), with its stores; the feed's balance rows name the placeholder."""
    changed = 0
    for key in keys:
        balance = conn.execute(select(balances).where(balances.c.member == key)).first()
        if balance is not None:
            conn.execute(delete(balances).where(balances.c.member == key))
            kept = conn.execute(
                select(balances.c.balance).where(balances.c.member == placeholder)
            ).scalar_one_or_none()
            if kept is None:
                conn.execute(balances.insert().values(member=placeholder, balance=balance.balance,
                                                      updated=balance.updated))  # fmt: skip
            else:
                conn.execute(update(balances).where(balances.c.member == placeholder)
                             .values(balance=kept + balance.balance))  # fmt: skip
            changed += 1
        stores = conn.execute(
            select(member_stores.c.store_id).where(member_stores.c.member == key)
        ).scalars().all()  # fmt: skip
        for store_id in stores:
            conn.execute(
                insert_ignore(conn, member_stores).values(member=placeholder, store_id=store_id)
            )
        conn.execute(delete(member_stores).where(member_stores.c.member == key))
        changed += len(stores)
        quoted = json.dumps(key)
        for row_id, data in conn.execute(
            select(feed.c.id, feed.c.data).where(feed.c.data.contains(quoted, autoescape=True))
        ).all():  # fmt: skip
            new = data.replace(quoted, json.dumps(placeholder))
            conn.execute(update(feed).where(feed.c.id == row_id).values(data=new))
            changed += 1
    return changed


def _replace_in_conflicts(conn: Connection, keys: list[str], placeholder: str) -> int:
    """Conflicts naming a key name the placeholder; staff's notes on them (the resolution,
    its audit, the proposals) have the keys replaced."""
    c = conflicts.c
    ids = list(conn.execute(select(c.id).where(c.member.in_(keys))).scalars())
    changed = conn.execute(
        update(conflicts).where(c.member.in_(keys)).values(member=placeholder)
    ).rowcount
    for table, key, column, of in (
        (conflicts, c.id, c.note, c.id),
        (conflict_audit, conflict_audit.c.id, conflict_audit.c.note, conflict_audit.c.conflict_id),
        (conflict_proposals, conflict_proposals.c.id, conflict_proposals.c.note,
         conflict_proposals.c.conflict_id),
    ):  # fmt: skip
        changed += _replace_in(conn, table, key, column, keys, placeholder, of.in_(ids))
    return int(changed)


def _replace_in(
    conn: Connection, table: Any, key: Any, column: Any, keys: list[str], placeholder: str,
    *where: Any,
) -> int:  # fmt: skip
    """The keys replaced in one text column of the rows that hold one; how many changed."""
    holding = or_(*(column.contains(k, autoescape=True) for k in keys))
    changed = 0
    for row_key, text in conn.execute(select(key, column).where(holding, *where)).all():
        new = replaced(text, keys, placeholder)
        if new != text:
            conn.execute(update(table).where(key == row_key).values({column.name: new}))
            changed += 1
    return changed


def _rows(conn: Connection, query: Any) -> list[dict[str, Any]]:
    found = [dict(row._mapping) for row in conn.execute(query)]
    for row in found:
        for name, value in row.items():
            if isinstance(value, float) and value > 1e9:  # a moment: readable as a date
                row[name] = _iso(value)
    return found


def _iso(at: float | None) -> str | None:
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
