"""What is read of prize claims: the shopper's own (their claims, a status page that tells a
stranger nothing) and the back office's (one claim whole, a list). Writing them is `claims`."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from server_stub.database.connection import reader
from server_stub.database.schema import claim_documents, claim_timeline, prize_claims
from server_stub.errors import ApiError
from server_stub.prizes import decision_reasons

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32, as numbers are made
_MISREAD = str.maketrans("OIL", "011")  # what a shopper types for 0 and 1


def normal_number(typed: str) -> str | None:
    """A claim number as the shopper typed it (`cl-7q2m 9xk4`, O for 0, I or L for 1) in its
    written form `CL-7Q2M9XK4`; None when it cannot be one."""
    letters = "".join(typed.split()).upper().replace("-", "")
    if len(letters) == 10 and letters.startswith("CL"):
        letters = letters[2:]
    letters = letters.translate(_MISREAD)
    if len(letters) != 8 or any(c not in _ALPHABET for c in letters):
        return None
    return f"CL-{letters}"


def claims_of_phone(engine: Engine, phone: str) -> list[dict[str, Any]]:
    """The shopper's claims, newest first: number, campaign, code, tier, status, created."""
    c = prize_claims.c
    query = (
        select(c.number, c.campaign, c.code, c.tier, c.status, c.created)
        .where(c.phone == phone)
        .order_by(c.created.desc(), c.number)
    )
    with reader(engine).connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def claim_for_code(engine: Engine, campaign: str, serial: int) -> dict[str, Any] | None:
    """The claim of a code, if any: number, status, and phone (whose claim it is: a page names
    the number only to that phone, and says no more than "already claimed" to anyone else)."""
    c = prize_claims.c
    query = select(c.number, c.status, c.phone).where(c.campaign == campaign, c.serial == serial)
    with reader(engine).connect() as conn:
        found = conn.execute(query).first()
    return None if found is None else dict(found._mapping)


def status_page(engine: Engine, number: str, phone: str) -> dict[str, Any] | None:
    """What the shopper's status page shows, or None when no claim has that number for that
    phone (the page then shows nothing, never whether the number exists).

    number, status, tier, reason (when rejected, else ""; as staff wrote it), reason_code and
    reason_note (the listed reason the page says in the winner's language, or None, and the free
    text after it: `decision_reasons.split`), can_resubmit, carrier, tracking, and the timeline:
    [{at, status, note}] in order, its statuses only (no staff step). No documents, ID number
    or address.
    """
    wanted = normal_number(number)
    if wanted is None:
        return None
    c = prize_claims.c
    query = select(c.number, c.status, c.tier, c.reason, c.reason_code, c.resubmissions,
                   c.carrier, c.tracking)  # fmt: skip
    with reader(engine).connect() as conn:
        found = conn.execute(query.where(c.number == wanted, c.phone == phone)).first()
        if found is None:
            return None
        steps = _timeline(conn, wanted, with_actor=False, statuses_only=True)
    rejected = found.status == "rejected"
    reason = found.reason if rejected else ""
    code, note = decision_reasons.split(reason, found.reason_code if rejected else None)
    return {
        "number": found.number, "status": found.status, "tier": found.tier, "reason": reason,
        "reason_code": code, "reason_note": note,
        "can_resubmit": rejected and found.resubmissions == 0,
        "carrier": found.carrier, "tracking": found.tracking, "timeline": steps,
    }  # fmt: skip


def show(engine: Engine, number: str) -> dict[str, Any]:
    """One claim for staff: its prize and code, phone, status, reason (and reason_code, its
    listed reason), flags for the verifier (and `flagged_by`: later claims whose flags name this
    one), deadline, carrier, tracking, a count of current documents and the timeline [{at,
    status, note, actor}]. Not the shopper's name, address or ID number. 404 `not_found` for a
    number no claim has."""
    wanted = normal_number(number) or number
    c = prize_claims.c
    query = select(
        c.number, c.status, c.campaign, c.code, c.serial, c.tier, c.value, c.event_id,
        c.device_id, c.phone, c.reason, c.reason_code, c.resubmissions, c.flags, c.deadline,
        c.carrier,
        c.tracking, c.created, c.updated,
    ).where(c.number == wanted)  # fmt: skip
    with reader(engine).connect() as conn:
        found = conn.execute(query).first()
        if found is None:
            raise ApiError(404, "not_found", f"no claim {number}")
        documents = conn.execute(
            select(func.count()).where(
                claim_documents.c.number == wanted, claim_documents.c.current.is_(True)
            )
        ).scalar_one()
        # a scan of the claims' flags: claims are few, and this is one staff member's look-up
        named = select(c.number).where(c.flags.contains(f'"{wanted}"'), c.number != wanted)
        flagged_by = sorted(conn.execute(named).scalars())
        steps = _timeline(conn, wanted, with_actor=True)
    return dict(found._mapping) | {
        "flags": json.loads(found.flags), "flagged_by": flagged_by, "documents": documents,
        "timeline": steps,
    }  # fmt: skip


def list_claims(
    engine: Engine, status: str | None = None, campaign: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Claims newest first: number, campaign, tier, code, phone, status, flags (how many),
    created."""
    c = prize_claims.c
    query = select(c.number, c.campaign, c.tier, c.code, c.phone, c.status, c.flags, c.created)
    if status is not None:
        query = query.where(c.status == status)
    if campaign is not None:
        query = query.where(c.campaign == campaign)
    query = query.order_by(c.created.desc(), c.number).limit(limit)
    with reader(engine).connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
    return [row | {"flags": len(json.loads(row["flags"]))} for row in rows]


# the steps a shopper sees: the claim's statuses. The staff's own rows (a checklist saved, a
# verifier's recommendation: prizes/verification.py) are for staff only
_STATUSES = ("received", "in_verification", "approved", "rejected", "dispatched", "delivered")


def _timeline(
    conn: Connection, number: str, with_actor: bool, statuses_only: bool = False
) -> list[dict[str, Any]]:
    t = claim_timeline.c
    columns = [t.at, t.status, t.note, *([t.actor] if with_actor else [])]
    query = select(*columns).where(t.number == number).order_by(t.at, t.id)
    if statuses_only:
        query = query.where(t.status.in_(_STATUSES))
    return [dict(row._mapping) for row in conn.execute(query)]
