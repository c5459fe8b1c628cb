"""Prize claims as the server keeps them: filed by the shopper with three documents, followed on a
status page, moved by the back office along one path, sent again once after a rejection.

The shopper's web (`play`) and the back office's commands are thin faces over these functions.
What a claim form must hold is `claim_form`; which other claims a claim resembles,
`claim_flags`; reading what was filed, `claim_reads`. This module gives all of them one name.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, exists, select, text, update
from sqlalchemy.exc import IntegrityError

from server_stub.database.connection import is_sqlite, reader, writing
from server_stub.database.schema import claim_documents, claim_timeline, events, prize_claims
from server_stub.database.schema import claims as held_codes
from server_stub.errors import ApiError
from server_stub.prizes import claim_flags, decision_reasons, outbox
from server_stub.prizes.claim_form import (
    DOCUMENT_KINDS,
    ID_TYPES,
    BadClaim,
    ClaimDraft,
    check_files,
    checked_changes,
    checked_row,
    checked_text,
)
from server_stub.prizes.claim_reads import (
    claim_for_code,
    claims_of_phone,
    list_claims,
    normal_number,
    show,
    status_page,
)
from server_stub.prizes.documents import DocumentStore
from server_stub.prizes.uploads import CheckedFile

__all__ = [
    "DOCUMENT_KINDS", "ID_TYPES", "NEXT", "STATUSES", "BadClaim", "ClaimDraft", "claim_for_code",
    "claims_of_phone", "file_claim", "list_claims", "move", "move_in", "normal_number", "resubmit",
    "show", "status_page",
]  # fmt: skip

STATUSES = ("received", "in_verification", "approved", "rejected", "dispatched", "delivered")
# The one path a claim takes; a rejected claim goes back to `received` only through `resubmit`.
NEXT: dict[str, tuple[str, ...]] = {
    "received": ("in_verification",),
    "in_verification": ("approved", "rejected"),
    "approved": ("dispatched",),
    "dispatched": ("delivered",),
    "rejected": (),
    "delivered": (),
}
DAY_S = 86_400.0
SHOPPER = "shopper"  # the timeline's actor for what the shopper did
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O or U
# Claims are few (a prize to ship, not a code to check): filing them one at a time on PostgreSQL
# too (a transaction-scoped advisory lock) makes the one-claim-per-code check and the duplicate
# flags exact, where two filings at the same moment would otherwise not see each other's rows.
_FILING_LOCK = 0x1C_1A_1D_5F
_NOTE_LIMIT = 2000


def file_claim(
    engine: Engine, store: DocumentStore, draft: ClaimDraft, files: Mapping[str, CheckedFile],
    now: float | None = None,
) -> str:  # fmt: skip
    """File a claim with its three documents; the claim number (`CL-` and 8 letters or digits).

    Refused with 422 `consent_needed` or `bad_claim`, 409 `already_claimed` (another claim holds
    the code; its number and owner are not told) or 410 `claim_deadline` (with the date). The
    documents are saved first and the rows written in one transaction; when that fails, the saved
    files are deleted again, so nothing is ever half filed.
    """
    now = time.time() if now is None else now
    if not draft.consent:
        raise ApiError(
            422, "consent_needed",
            "Tick the box to agree that we keep these details and documents to deliver your prize.",
        )  # fmt: skip
    row = checked_row(draft)
    check_files(files, required=True)
    with reader(engine).begin() as conn:
        redeemed_at = _redeemed_at(conn, draft, now)
        if _code_taken(conn, draft.campaign, draft.serial):  # before any file is written
            raise _already_claimed()
    deadline = redeemed_at + draft.claim_days * DAY_S
    if now > deadline:
        raise ApiError(
            410, "claim_deadline", f"The claim deadline for this prize was {_date(deadline)}."
        )
    with _saved(store, files) as saved:
        try:
            with writing(engine) as conn:
                _one_filing_at_a_time(conn)
                if _code_taken(conn, draft.campaign, draft.serial):
                    raise _already_claimed()
                number = _new_number(conn)
                filed = {"consent_at": now, "deadline": deadline, "created": now, "updated": now}
                conn.execute(
                    prize_claims.insert().values(number=number, status="received", **row, **filed)
                )
                _add_step(conn, number, now, "received", "", SHOPPER)
                _add_documents(conn, number, saved, now)
                flags = claim_flags.flags_for(conn, number, draft.claims_per_phone)
                _set_flags(conn, number, flags)
        except IntegrityError:  # the unique code, should a filing slip past the lock
            raise _already_claimed() from None
    return number


def resubmit(
    engine: Engine, store: DocumentStore, number: str, phone: str,
    files: Mapping[str, CheckedFile], *, name: str | None = None, address: str | None = None,
    email: str | None = None, id_type: str | None = None, id_number: str | None = None,
    invoice_number: str | None = None, now: float | None = None,
) -> None:  # fmt: skip
    """Send a rejected claim once more: the documents given replace those of the same kind (any
    of the three, at least one), the details given replace the old, and the claim is `received`
    again. Only once per claim (409 `resubmitted_once`); only a rejected claim (409
    `not_rejected`); a number and phone that do not match answer 404 like a number never made.
    """
    now = time.time() if now is None else now
    changes = checked_changes(
        name=name, address=address, email=email, id_type=id_type, id_number=id_number,
        invoice_number=invoice_number,
    )  # fmt: skip
    check_files(files, required=False)
    wanted = normal_number(number) or ""
    with reader(engine).begin() as conn:
        _may_resubmit(_claim_of(conn, wanted, phone))
    with _saved(store, files) as saved, writing(engine) as conn:
        _one_filing_at_a_time(conn)  # its flags see every claim filed before it, as a filing's do
        found = _may_resubmit(_claim_of(conn, wanted, phone, lock=True))  # again: two tabs at once
        conn.execute(
            update(claim_documents)
            .where(claim_documents.c.number == wanted, claim_documents.c.kind.in_(list(files)))
            .values(current=False)
        )
        _add_documents(conn, wanted, saved, now)
        conn.execute(
            update(prize_claims)
            .where(prize_claims.c.number == wanted)
            .values(**changes, status="received", reason="", reason_code=None, resubmissions=1,
                    updated=now)
        )  # fmt: skip
        _add_step(conn, wanted, now, "received", "sent again", SHOPPER)
        kept = [f for f in json.loads(found["flags"]) if f["kind"] == "phone_over_limit"]
        _set_flags(conn, wanted, claim_flags.flags_for(conn, wanted, None) + kept)


def move(
    engine: Engine, number: str, status: str, actor: str, note: str = "",
    carrier: str | None = None, tracking: str | None = None, now: float | None = None,
    delivered_on: str | None = None, reason_code: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The back office's step: received -> in_verification -> approved or rejected (the reason,
    `note`, is required: the shopper reads it; `reason_code`, the listed reason it begins with,
    lets the shopper read that in their language: `decision_reasons`) -> dispatched (`carrier`
    and `tracking` required) -> delivered (`delivered_on`, the shipping partner's YYYY-MM-DD,
    kept when given). Only forward; each step is a timeline row with its actor and note, and the
    shopper's status page shows the note. Answers {number, status}."""
    with writing(engine) as conn:
        return move_in(conn, number, status, actor, note, carrier, tracking, now, delivered_on,
                       reason_code)  # fmt: skip


def move_in(
    conn: Connection, number: str, status: str, actor: str, note: str = "",
    carrier: str | None = None, tracking: str | None = None, now: float | None = None,
    delivered_on: str | None = None, reason_code: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`move` in the caller's transaction: an import of the shipping partner's file moves its
    claims a few hundred to a commit, each in a savepoint of its own, where a commit per claim
    took most of its time."""
    now = time.time() if now is None else now
    if status not in STATUSES:
        raise ApiError(422, "bad_status", f"{status!r} is not a status: {', '.join(STATUSES)}")
    actor = checked_text("actor", actor, 200, required=True, what="who moves the claim") or ""
    note = checked_text("note", note, _NOTE_LIMIT, required=False, multiline=True) or ""
    if status == "rejected" and not note:
        raise ApiError(422, "reason_needed", "Say why the claim is rejected: the shopper reads it.")
    values: dict[str, Any] = {"status": status, "updated": now}
    if status == "rejected":
        values["reason"] = note
        values["reason_code"] = _reason_code(reason_code)
    if status == "dispatched":
        values["carrier"] = checked_text("carrier", carrier or "", 64, required=False)
        values["tracking"] = checked_text("tracking", tracking or "", 64, required=False)
        if not (values["carrier"] and values["tracking"]):
            raise ApiError(
                422, "tracking_needed", "A dispatched prize needs its carrier and tracking number."
            )
    if status == "delivered" and delivered_on is not None:  # in the step's own transaction
        values["delivered_on"] = _day(delivered_on)
    wanted = normal_number(number) or number
    query = select(prize_claims.c.status).where(prize_claims.c.number == wanted)
    before = conn.execute(query.with_for_update()).scalar_one_or_none()
    if before is None:
        raise ApiError(404, "not_found", f"no claim {number}")
    if status not in NEXT[before]:
        raise ApiError(409, "bad_move", _no_move(before, status))
    conn.execute(update(prize_claims).where(prize_claims.c.number == wanted).values(**values))
    _add_step(conn, wanted, now, status, note, actor)
    return {"number": wanted, "status": status}


# -- filing -----------------------------------------------------------------------------------


def _redeemed_at(conn: Connection, draft: ClaimDraft, now: float) -> float:
    """When the code was redeemed: the draft says (the web redeemed it), else the redemption's
    arrival, else the online claim of the code; else now, since a device's QR can come before
    the device has synced (then the deadline counts from the claim)."""
    event = conn.execute(
        select(events.c.received, events.c.campaign, events.c.serial).where(
            events.c.event_id == draft.event_id
        )
    ).first()
    if event is not None and event.campaign is not None and (
        (event.campaign, event.serial) != (draft.campaign, draft.serial)
    ):  # fmt: skip
        raise BadClaim("event_id", "the redemption named is of another code")
    if draft.redeemed_at is not None:
        return draft.redeemed_at
    if event is not None:
        return float(event.received)
    held = conn.execute(
        select(held_codes.c.claimed_at).where(
            held_codes.c.campaign == draft.campaign, held_codes.c.serial == draft.serial
        )
    ).scalar_one_or_none()
    return now if held is None else float(held)


def _code_taken(conn: Connection, campaign: str, serial: int) -> bool:
    mine = (prize_claims.c.campaign == campaign) & (prize_claims.c.serial == serial)
    return bool(conn.execute(select(exists().where(mine))).scalar())


def _already_claimed() -> ApiError:
    return ApiError(409, "already_claimed", "This prize has already been claimed.")


def _date(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).date().isoformat()


def _one_filing_at_a_time(conn: Connection) -> None:
    if not is_sqlite(conn):  # SQLite's writers are one at a time already (`writing`)
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FILING_LOCK})


def _new_number(conn: Connection) -> str:
    while True:  # 32^8 numbers: a second draw is all but never needed
        number = "CL-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))
        taken = select(exists().where(prize_claims.c.number == number))
        if not conn.execute(taken).scalar():
            return number


@contextmanager
def _saved(
    store: DocumentStore, files: Mapping[str, CheckedFile]
) -> Iterator[list[tuple[str, CheckedFile, str]]]:
    """The files saved in the store as (kind, file, stored name), and deleted again should the
    block fail: a claim that is not filed leaves no document behind."""
    saved: list[tuple[str, CheckedFile, str]] = []
    try:
        for kind in DOCUMENT_KINDS:
            if kind in files:
                saved.append((kind, files[kind], store.save(files[kind].data)))
        yield saved
    except BaseException:
        for _kind, _file, name in saved:
            with contextlib.suppress(OSError):
                store.delete(name)
        raise


def _add_documents(
    conn: Connection, number: str, saved: list[tuple[str, CheckedFile, str]], now: float
) -> None:
    conn.execute(
        claim_documents.insert(),
        [
            {
                "id": secrets.token_hex(16),
                "number": number,
                "kind": kind,
                "stored": name,
                "content_type": f.content_type,
                "size": len(f.data),
                "sha256": f.sha256,
                "phash": f.phash,
                "current": True,
                "created": now,
            }
            for kind, f, name in saved
        ],
    )


def _add_step(conn: Connection, number: str, at: float, status: str, note: str, actor: str) -> None:
    conn.execute(
        claim_timeline.insert().values(number=number, at=at, status=status, note=note, actor=actor)
    )
    # the winner hears of the step by SMS and email: written in this transaction, so a step
    # is never recorded without its messages, nor a message sent for a step rolled back
    outbox.claim_changed(conn, number, status, at)


def _set_flags(conn: Connection, number: str, flags: list[dict[str, Any]]) -> None:
    conn.execute(
        update(prize_claims).where(prize_claims.c.number == number).values(flags=json.dumps(flags))
    )


# -- resubmitting and moving ------------------------------------------------------------------


def _claim_of(
    conn: Connection, number: str, phone: str, lock: bool = False
) -> Mapping[str, Any] | None:
    query = select(prize_claims.c.status, prize_claims.c.resubmissions, prize_claims.c.flags)
    query = query.where(prize_claims.c.number == number, prize_claims.c.phone == phone)
    found = conn.execute(query.with_for_update() if lock else query).first()
    return None if found is None else dict(found._mapping)


def _may_resubmit(found: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if found is None:  # a wrong phone reads as a wrong number: nothing is told of other claims
        raise ApiError(404, "not_found", "There is no such claim for this phone number.")
    if found["resubmissions"] >= 1:
        raise ApiError(409, "resubmitted_once", "This claim was already sent again once.")
    if found["status"] != "rejected":
        raise ApiError(409, "not_rejected", "Only a rejected claim can be sent again.")
    return found


def _reason_code(code: str | None) -> str | None:
    """A rejection's listed reason, or 422 `bad_reason`: only a code on the list is kept."""
    if code is None or code in decision_reasons.codes("reject"):
        return code
    raise ApiError(422, "bad_reason", f"{code[:40]!r} is not a reason on the list for a rejection.")


def _day(typed: str) -> str:
    """A date as YYYY-MM-DD, or 422 `bad_date`."""
    with contextlib.suppress(ValueError):
        if date.fromisoformat(typed).isoformat() == typed:  # not 20260314 nor 2026-W11-6
            return typed
    raise ApiError(422, "bad_date", f"{typed[:40]!r} is not a date: write it as YYYY-MM-DD")


def _no_move(before: str, status: str) -> str:
    after = NEXT[before]
    if after:
        return f"a claim {before} cannot move to {status}; its next step: {' or '.join(after)}"
    if before == "rejected":
        return "a rejected claim moves on only when the shopper sends it again"
    return f"a claim {before} is finished: it cannot move to {status}"
