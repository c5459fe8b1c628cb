"""Erasing a person on request, found by their phone (`instore admin person erase`): erasure
keeps counts and audit lines but not the person. Where a phone lives is in `person_rows.py`;
exporting it is `person_export.py`.

Erasure puts a placeholder in place of the phone everywhere: "erased:" and 16 hex digits of an
HMAC under a key of this server's, the same for the same phone, so counts per phone (claims per
phone, redemptions) still group and nobody can read the number back. The name, address, email,
ID number, invoice number and city are emptied, the documents' files deleted (their rows marked
and their hashes emptied), words from those details in staff notes replaced by "[erased]",
messages not yet sent cancelled and every message's address and text emptied, visits ended.
The claims stay with their statuses, values, flags and timelines, and the timeline says who
erased them and when.

A claim still open is withdrawn (rejected, with no chance to be sent again): nobody can check a
win whose documents are gone. A claim approved or dispatched is being shipped to the address
about to be erased, so erasure refuses it unless forced (`force`): then the parcel already
handed over may still arrive, and its status moves on as the carrier reports.

A loyalty member behind the phone (`person_member.py`) keeps their member id, under which
their lots, lot uses, spend confirmations and wheel spins stay for the partners' accounts; the
row loses its phone and card, and every key tills named them by is replaced as the phone is.
Their points left are forfeited, so erasure refuses a member who has some unless forced.
A phone the server never held nor erased is refused (404), so a mistyped number is noticed.

Events a device signed that lie beyond a gap in its hash chain keep their payload until the gap
closes (their hash would no longer match and the chain check would raise a false alarm); their
`member` column is replaced at once, and erasing again later finishes them (`waiting`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, or_, select, update
from sqlalchemy.engine import Row

from server_stub.database.connection import insert_ignore, reader, writing
from server_stub.database.loyalty_tables import ussd_sessions
from server_stub.database.schema import (
    WEB_DEVICE,
    attempt_counters,
    attempt_sources,
    balances,
    claim_documents,
    claim_timeline,
    devices,
    events,
    meta,
    otp_codes,
    outbox,
    play_sessions,
    prize_claims,
    sms_messages,
)
from server_stub.errors import ApiError
from server_stub.prizes import person_member
from server_stub.prizes.documents import DocumentStore
from server_stub.prizes.person_rows import (
    attempts_of,
    claims_of,
    emails_of,
    messages_of,
    visits_of,
)

KEY = "erasure_key"  # meta: the HMAC key of the placeholders
PREFIX = "erased:"
ERASED_WORDS = "[erased]"
OPEN = ("received", "in_verification")
SHIPPING = ("approved", "dispatched")


def plan(engine: Engine, phone: str, now: float | None = None) -> dict[str, Any]:
    """What `erase` would do, without doing it: the claims (number and status) and, for each,
    whether it would be withdrawn or blocks the erasure, the loyalty member (what is kept under
    their id, the points they would lose), counts of what else is held, and whether the server
    knows the phone at all (`known`: anything held, or erased before)."""
    now = time.time() if now is None else now
    with reader(engine).connect() as conn:
        found = claims_of(conn, phone)
        held = _held(conn, phone, [c.number for c in found], emails_of(found))
        member = person_member.member_of(conn, phone)
        kept = None if member is None else person_member.counts(conn, member, now)
        known = bool(found) or member is not None or any(held.values())
        known = known or _erased_before(conn, phone)
    return {
        "phone": phone, "known": known,
        "claims": [{"number": c.number, "status": c.status, "will_be": _fate(c.status)}
                   for c in found],
        "shipping": [c.number for c in found if c.status in SHIPPING],
        "member": kept, **held,
    }  # fmt: skip


def _fate(status: str) -> str:
    if status in OPEN:
        return "withdrawn"
    if status in SHIPPING:
        return "being shipped: erased only with --force"
    return "erased"


def erase(
    engine: Engine, store: DocumentStore, phone: str, actor: str, force: bool = False,
    now: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Erase the person behind `phone`; what was erased, in counts (see the module's words).

    409 `being_shipped` when a claim is approved or dispatched, or `points_left` when they are a
    loyalty member with points not yet spent, and `force` is not given. 404 `unknown_person`
    when nothing is held about the phone and it was never erased. A second erasure of the same
    phone finds nothing left but what was waiting (`waiting`)."""
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
        numbers = [c.number for c in found]
        emails = emails_of(found)
        held = found or member is not None or any(_held(conn, phone, [], emails).values())
        if not held and not _erased_before(conn, phone):
            raise ApiError(404, "unknown_person", unknown(phone))
        _refuse_unforced(conn, found, member, force, now)
        placeholder = erased_phone(conn, phone)
        keys = person_member.keys_of(conn, phone, member)
        words = _words_of(found, phone)
        done = {"phone": placeholder, "claims": len(found),
                "withdrawn": sum(c.status in OPEN for c in found)}  # fmt: skip
        done["messages"] = _erase_messages(conn, phone, numbers, emails, words)
        done["notes"] = _scrub_notes(conn, numbers, words)
        for claim in found:
            _erase_claim(conn, claim, placeholder, actor, now)
        done |= _erase_traces(conn, phone, placeholder, keys)
        done |= person_member.erase(conn, phone, keys, placeholder, actor, now)
        stored = conn.execute(
            select(claim_documents.c.id, claim_documents.c.stored).where(
                claim_documents.c.number.in_(numbers), claim_documents.c.deleted.is_(None)
            )
        ).all()
        conn.execute(
            update(claim_documents)
            .where(claim_documents.c.number.in_(numbers))
            .values(sha256="", phash=None, deleted=func.coalesce(claim_documents.c.deleted, now))
        )
        # last, so that a failure before leaves the files for a second try; a failure after
        # leaves rows that the next erasure or retention run marks (their files found gone)
        for row in stored:
            store.delete(row.stored)
        done["documents"] = len(stored)
    return done


def unknown(phone: str) -> str:
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
    """The placeholder that stands for `phone` once erased: the same for the same phone."""
    find = select(meta.c.value).where(meta.c.key == KEY)
    key = conn.execute(find).scalar()
    if key is None:
        conn.execute(insert_ignore(conn, meta).values(key=KEY, value=secrets.token_hex(32)))
        key = conn.execute(find).scalar_one()
    return _placeholder(key, phone)


def _placeholder(key: str, phone: str) -> str:
    digest = hmac.new(bytes.fromhex(key), phone.encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:16]


def _held(conn: Connection, phone: str, numbers: list[str], emails: list[str]) -> dict[str, int]:
    """Counts of what is held besides the claims."""
    d, e = claim_documents.c, events.c

    def count(table: Any, *where: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())

    return {
        "documents": count(claim_documents, d.number.in_(numbers), d.deleted.is_(None)),
        "messages": count(outbox, messages_of(phone, numbers, emails)),
        "sms": count(sms_messages, sms_messages.c.phone == phone),
        "one_time_passwords": count(otp_codes, otp_codes.c.phone == phone),
        "visits": count(play_sessions, visits_of(phone)),
        "redemptions": count(events, e.member == phone),
        "attempts": count(attempt_counters, attempts_of(phone)),
        "balances": count(balances, balances.c.member == phone),
        "ussd_sessions": count(ussd_sessions, ussd_sessions.c.phone == phone),
    }  # fmt: skip


def _words_of(found: Iterable[Row[Any]], phone: str) -> list[str]:
    """The details staff may have copied into notes, longest first (so a name goes before a
    part of it); each at least 3 characters, so no short word is taken for one."""
    words = {phone}
    for c in found:
        words |= {c.name, c.email or "", c.id_number, c.invoice_number or "", c.city or ""}
        words |= {line.strip(" ,") for line in c.address.splitlines()}
    return sorted((w for w in words if len(w.strip()) >= 3), key=len, reverse=True)


def _scrubbed(text: str, words: list[str], flags: int = 0) -> str:
    """`text` with each of `words` (as a whole word: "Ali" is not a part of "Aligned")
    replaced by [erased]."""
    for word in words:
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", ERASED_WORDS, text, flags=flags)
    return text


def _scrubbed_json(text: str, words: list[str]) -> str:
    """A checklist's JSON with the words replaced in its texts only, never in its keys."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return _scrubbed(value, words)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return json.dumps(walk(json.loads(text or "{}")), ensure_ascii=False)


def _scrub_notes(conn: Connection, numbers: list[str], words: list[str]) -> int:
    """The details replaced in what staff wrote: timeline notes, reasons, the recommendation's
    note and the documents' checklists. How many texts changed."""
    changed = 0
    t, c, d = claim_timeline.c, prize_claims.c, claim_documents.c
    for table, key, column, number in (
        (claim_timeline, t.id, t.note, t.number), (prize_claims, c.number, c.reason, c.number),
        (prize_claims, c.number, c.recommended_note, c.number),
        (claim_documents, d.id, d.checks, d.number),
    ):  # fmt: skip
        scrub = _scrubbed_json if column is d.checks else _scrubbed
        for row_key, text in conn.execute(select(key, column).where(number.in_(numbers))).all():
            new = scrub(text or "", words)
            if text and new != text:
                conn.execute(update(table).where(key == row_key).values({column.name: new}))
                changed += 1
    return changed


def _erase_claim(
    conn: Connection, claim: Row[Any], placeholder: str, actor: str, now: float
) -> None:
    values: dict[str, Any] = {
        "phone": placeholder, "name": "", "address": "", "email": None, "id_number": "",
        "invoice_number": None, "city": None, "listed": False, "erased": now, "updated": now,
    }  # fmt: skip
    status, note = claim.status, "the winner's details were erased on request"
    if claim.status in OPEN:
        status, note = "rejected", "withdrawn: the winner's details were erased on request"
        values |= {"status": status, "reason": note, "resubmissions": 1}
    conn.execute(update(prize_claims).where(prize_claims.c.number == claim.number).values(values))
    conn.execute(
        claim_timeline.insert().values(
            number=claim.number, at=now, status=status, note=note, actor=actor
        )
    )


def _erase_messages(
    conn: Connection, phone: str, numbers: list[str], emails: list[str], words: list[str]
) -> int:
    """Messages not sent yet are cancelled (dead, saying why); every message keeps its kind,
    channel, state and times, but neither its address nor its text (as `outbox.forget` does
    for one claim's; these include the vouchers texted to the phone), and its last error keeps
    the gateway's words without the details in them (a mail server's refusal says the address
    back, in whatever case it likes)."""
    o = outbox.c
    mine = messages_of(phone, numbers, emails)
    for row_id, to, error in conn.execute(
        select(o.id, o.to, o.last_error).where(mine, o.state != "pending", o.last_error != "")
    ).all():  # fmt: skip
        details = {*words, to} if len(to) >= 3 else set(words)  # an emptied address: no word
        kept = _scrubbed(error, sorted(details, key=len, reverse=True), re.IGNORECASE)
        if kept != error:
            conn.execute(update(outbox).where(o.id == row_id).values(last_error=kept))
    conn.execute(
        update(outbox).where(mine, o.state == "pending")
        .values(state="dead", last_error="the winner's details were erased on request")
    )  # fmt: skip
    done = conn.execute(update(outbox).where(mine).values(to="", subject="", body=""))
    return int(done.rowcount)


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
    conn.execute(
        delete(attempt_sources).where(or_(counted == phone, counted.endswith(" " + phone)))
    )
    done["attempts"] = conn.execute(delete(attempt_counters).where(attempts_of(phone))).rowcount
    done["redemptions"], done["waiting"] = _erase_events(conn, keys, placeholder)
    return done


def _erase_events(conn: Connection, keys: list[str], placeholder: str) -> tuple[int, int]:
    """(events changed, of which payloads still wait for a gap in their chain). The member
    column and the reason (not signed) name the placeholder at once; the payload where it may.
    The events of an earlier erasure that waited are found by the placeholder, and finished when
    they may: the keys their payload names are read from it (a card a first erasure knew)."""
    e, dv = events.c, devices.c
    rows = conn.execute(
        select(e.event_id, e.device_id, e.seq, e.member, e.payload, e.reason, dv.chain_seq)
        .select_from(events.outerjoin(devices, dv.id == e.device_id))
        .where(e.member.in_([*keys, placeholder]))
    ).all()  # fmt: skip
    changed = waiting = 0
    for row in rows:
        values: dict[str, Any] = {"member": placeholder} if row.member != placeholder else {}
        named = sorted({*keys, *_payload_members(row.payload)} - {placeholder}, key=len,
                       reverse=True)  # fmt: skip
        reason = person_member.replaced(row.reason or "", named, placeholder)
        if reason != (row.reason or ""):
            values["reason"] = reason
        quoted = [json.dumps(k) for k in named if json.dumps(k) in row.payload]
        if quoted:
            # a device's event past the verified part of its chain is hashed again when the gap
            # before it closes: its payload stays as signed until then
            verified = row.device_id == WEB_DEVICE or (
                row.chain_seq is not None and row.seq <= row.chain_seq
            )
            if verified:
                payload = row.payload
                for q in quoted:
                    payload = payload.replace(q, json.dumps(placeholder))
                values["payload"] = payload
            else:
                waiting += 1
        if values:
            conn.execute(update(events).where(e.event_id == row.event_id).values(values))
            changed += 1
    return changed, waiting


def _payload_members(payload: str) -> set[str]:
    """The member keys an event's payload names: its own `member` and its context's."""
    try:
        data = json.loads(payload)
    except ValueError:
        return set()
    if not isinstance(data, dict):
        return set()
    context = data.get("context")
    found = {data.get("member"), context.get("member") if isinstance(context, dict) else None}
    return {k for k in found if isinstance(k, str) and k}
