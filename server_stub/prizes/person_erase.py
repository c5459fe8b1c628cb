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
from server_stub.database.schema import (
    WEB_DEVICE,
    attempt_counters,
    attempt_sources,
    balances,
    claim_documents,
    claim_timeline,
    conflicts,
    devices,
    events,
    feed,
    member_stores,
    meta,
    otp_codes,
    outbox,
    play_sessions,
    prize_claims,
    sms_messages,
)
from server_stub.errors import ApiError
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


def plan(engine: Engine, phone: str) -> dict[str, Any]:
    """What `erase` would do, without doing it: the claims (number and status) and, for each,
    whether it would be withdrawn or blocks the erasure, and counts of what else is held."""
    with reader(engine).connect() as conn:
        found = claims_of(conn, phone)
        held = _held(conn, phone, [c.number for c in found], emails_of(found))
    return {
        "phone": phone,
        "claims": [{"number": c.number, "status": c.status, "will_be": _fate(c.status)}
                   for c in found],
        "shipping": [c.number for c in found if c.status in SHIPPING],
        **held,
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

    409 `being_shipped` when a claim is approved or dispatched and `force` is not given. A
    second erasure of the same phone finds nothing left but what was waiting (`waiting`)."""
    now = time.time() if now is None else now
    actor = actor.strip()[:200] or "admin"
    with writing(engine) as conn:
        placeholder = erased_phone(conn, phone)
        found = conn.execute(
            select(prize_claims)
            .where(prize_claims.c.phone == phone)
            .order_by(prize_claims.c.created, prize_claims.c.number)  # as `plan` lists them
            .with_for_update()
        ).all()
        shipping = [c.number for c in found if c.status in SHIPPING]
        if shipping and not force:
            raise ApiError(
                409, "being_shipped",
                f"{', '.join(shipping)} {'is' if len(shipping) == 1 else 'are'} being shipped to the"
                " address erasure would remove: erase once delivered, or force it (the parcel may"
                " then not arrive)",
            )  # fmt: skip
        numbers = [c.number for c in found]
        emails = emails_of(found)
        words = _words_of(found, phone)
        done = {"phone": placeholder, "claims": len(found),
                "withdrawn": sum(c.status in OPEN for c in found)}  # fmt: skip
        done["messages"] = _erase_messages(conn, phone, numbers, emails, words)
        done["notes"] = _scrub_notes(conn, numbers, words)
        for claim in found:
            _erase_claim(conn, claim, placeholder, actor, now)
        done |= _erase_traces(conn, phone, placeholder)
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


def erased_phone(conn: Connection, phone: str) -> str:
    """The placeholder that stands for `phone` once erased: the same for the same phone."""
    find = select(meta.c.value).where(meta.c.key == KEY)
    key = conn.execute(find).scalar()
    if key is None:
        conn.execute(insert_ignore(conn, meta).values(key=KEY, value=secrets.token_hex(32)))
        key = conn.execute(find).scalar_one()
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


def _erase_traces(conn: Connection, phone: str, placeholder: str) -> dict[str, int]:
    """The phone everywhere else: passwords, SMS and redemptions keep their rows under the
    placeholder; visits end; attempt counters (an hour's worth) go."""
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
    done["redemptions"], done["waiting"] = _erase_events(conn, phone, placeholder)
    done["loyalty"] = _erase_member(conn, phone, placeholder)
    return done


def _erase_events(conn: Connection, phone: str, placeholder: str) -> tuple[int, int]:
    """(events changed, of which payloads still wait for a gap in their chain). The events of
    an earlier erasure that waited are found by the placeholder, and finished when they may."""
    e, dv = events.c, devices.c
    quoted, replaced = json.dumps(phone), json.dumps(placeholder)
    rows = conn.execute(
        select(e.event_id, e.device_id, e.seq, e.member, e.payload, dv.chain_seq)
        .select_from(events.outerjoin(devices, dv.id == e.device_id))
        .where(e.member.in_([phone, placeholder]))
    ).all()  # fmt: skip
    changed = waiting = 0
    for row in rows:
        values: dict[str, Any] = {"member": placeholder} if row.member == phone else {}
        if quoted in row.payload:
            # a device's event past the verified part of its chain is hashed again when the gap
            # before it closes: its payload stays as signed until then
            verified = row.device_id == WEB_DEVICE or (
                row.chain_seq is not None and row.seq <= row.chain_seq
            )
            if verified:
                values["payload"] = row.payload.replace(quoted, replaced)
            else:
                waiting += 1
        if values:
            conn.execute(update(events).where(e.event_id == row.event_id).values(values))
            changed += 1
    return changed, waiting


def _erase_member(conn: Connection, phone: str, placeholder: str) -> int:
    """A loyalty member whose number is the phone: the balance, its stores and conflicts kept
    under the placeholder (added to one kept there before), the feed's balance rows too."""
    changed = 0
    balance = conn.execute(select(balances).where(balances.c.member == phone)).first()
    if balance is not None:
        conn.execute(delete(balances).where(balances.c.member == phone))
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
    for store_id in conn.execute(
        select(member_stores.c.store_id).where(member_stores.c.member == phone)
    ).scalars().all():  # fmt: skip
        conn.execute(delete(member_stores).where(member_stores.c.member == phone,
                                                 member_stores.c.store_id == store_id))  # fmt: skip
        conn.execute(
            insert_ignore(conn, member_stores).values(member=placeholder, store_id=store_id)
        )
        changed += 1
    changed += conn.execute(
        update(conflicts).where(conflicts.c.member == phone).values(member=placeholder)
    ).rowcount
    quoted = json.dumps(phone)
    for row_id, data in conn.execute(
        select(feed.c.id, feed.c.data).where(feed.c.data.contains(quoted))
    ).all():  # fmt: skip
        new = data.replace(quoted, json.dumps(placeholder))
        conn.execute(update(feed).where(feed.c.id == row_id).values(data=new))
        changed += 1
    return changed
