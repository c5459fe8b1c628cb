"""A person's prize claims erased (`person_erase.py` erases the rest): each claim's details
emptied and its documents deleted, the details replaced in what staff wrote about it, and the
messages sent to the person or about their claims cancelled or emptied.

The name, address, email, ID number, invoice number and city are emptied, the documents' rows
marked and their hashes emptied (the files are deleted by the caller, once the rows are), words
from those details in staff notes replaced by "[erased]", messages not yet sent cancelled and
every message's address and text emptied. The claims stay with their statuses, values, flags and
timelines, and the timeline says who erased them and when.

A claim still open is withdrawn (rejected, with no chance to be sent again): nobody can check a
win whose documents are gone. A claim approved or dispatched is being shipped to the address
about to be erased: `person_erase` refuses it unless forced, and then the parcel already handed
over may still arrive, and its status moves on as the carrier reports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.engine import Row

from server_stub.database.schema import claim_documents, claim_timeline, outbox, prize_claims
from server_stub.prizes.person_rows import emails_of, messages_of

ERASED_WORDS = "[erased]"
OPEN = ("received", "in_verification")
SHIPPING = ("approved", "dispatched")


def fate(status: str) -> str:
    """What erasure does to a claim in this status, in words."""
    if status in OPEN:
        return "withdrawn"
    if status in SHIPPING:
        return "being shipped: erased only with --force"
    return "erased"


def erase(
    conn: Connection, found: Sequence[Row[Any]], phone: str, placeholder: str, actor: str,
    now: float,
) -> tuple[dict[str, int], list[str]]:  # fmt: skip
    """The claims `found` (the phone's, locked) erased, with the notes on them and the messages:
    counts of what changed, and the stored names of the documents' files to delete once the
    transaction is done (a failure before then leaves the files for a second try)."""
    numbers = [c.number for c in found]
    emails = emails_of(found)
    words = _words_of(found, phone)
    done = {"claims": len(found), "withdrawn": sum(c.status in OPEN for c in found)}
    done["messages"] = _erase_messages(conn, phone, numbers, emails, words)
    done["notes"] = _scrub_notes(conn, numbers, words)
    for claim in found:
        _erase_claim(conn, claim, placeholder, actor, now)
    stored = conn.execute(
        select(claim_documents.c.stored).where(
            claim_documents.c.number.in_(numbers), claim_documents.c.deleted.is_(None)
        )
    ).scalars().all()  # fmt: skip
    conn.execute(
        update(claim_documents)
        .where(claim_documents.c.number.in_(numbers))
        .values(sha256="", phash=None, deleted=func.coalesce(claim_documents.c.deleted, now))
    )
    done["documents"] = len(stored)
    return done, list(stored)


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
