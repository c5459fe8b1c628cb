"""Everything the server holds about one person, found by their phone (or by the card of a
loyalty member who has none: `person_rows.py`), as one JSON-ready dict
(`instore admin person export`): their claims with timelines and documents' details (and, when
asked, copies of the documents' files), messages, SMS, redemptions, the loyalty balance and
the coalition member behind the phone (`person_member.py`: lots, spends, spins, USSD), and
counts of passwords, visits and attempts. Where a phone lives is in `person_rows.py`; erasing
it is `person_erase.py`."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.engine import Row

from server_stub.database.connection import reader
from server_stub.database.schema import (
    attempt_counters,
    balances,
    claim_documents,
    claim_timeline,
    conflicts,
    events,
    member_stores,
    otp_codes,
    outbox,
    sms_messages,
    vouchers,
)
from server_stub.prizes import person_member
from server_stub.prizes.documents import DocumentStore
from server_stub.prizes.person_rows import (
    attempts_of,
    claims_of,
    emails_of,
    is_phone,
    messages_of,
    visits_of,
)

_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def export(
    engine: Engine, phone: str, store: DocumentStore | None = None, out: Path | None = None,
    now: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Everything held about `phone` (E.164, or a member's card) as one JSON-ready dict: claims with their
    timelines and documents' details, messages, redemptions, loyalty (the balance, and under
    `member` the coalition member: their row, lots, spends, spins, USSD sessions; None when the
    phone is no member's), and counts of passwords, visits and attempts. With `out` (and
    `store`), each document's file is copied into that folder too, and its document says under
    which name."""
    now = time.time() if now is None else now
    with reader(engine).connect() as conn:
        found = claims_of(conn, phone)
        numbers = [c.number for c in found]
        emails = emails_of(found)
        card = None if is_phone(phone) else phone
        data: dict[str, Any] = {
            "phone": None if card else phone, "card": card, "exported_at": _iso(now),
            "claims": [_claim(conn, row) for row in found],
            "messages": _messages(conn, phone, numbers, emails),
            "sms": _rows(conn, select(sms_messages).where(sms_messages.c.phone == phone)),
            "one_time_passwords": _password_counts(conn, phone),
            "visits": _visit_counts(conn, phone),
            "attempts": _rows(conn, select(attempt_counters).where(attempts_of(phone))),
            "redemptions": _redemptions(conn, phone),
            "loyalty": _loyalty(conn, phone),
            "member": person_member.export(conn, phone, now),
        }  # fmt: skip
    if out is not None:
        if store is None:
            raise ValueError("copying the documents needs the document store")
        _copy_documents(data["claims"], store, out)
    return data


def _claim(conn: Connection, row: Row[Any]) -> dict[str, Any]:
    claim = dict(row._mapping)
    claim["flags"] = json.loads(claim["flags"])
    t, d = claim_timeline.c, claim_documents.c
    claim["timeline"] = _rows(
        conn, select(t.at, t.status, t.note, t.actor).where(t.number == row.number).order_by(t.at, t.id)
    )  # fmt: skip
    documents = _rows(
        conn,
        select(d.id, d.kind, d.content_type, d.size, d.sha256, d.current, d.checks, d.deleted,
               d.created, d.stored).where(d.number == row.number).order_by(d.created, d.kind),
    )  # fmt: skip
    for document in documents:
        document["checks"] = json.loads(document["checks"] or "{}")
    claim["documents"] = documents
    return claim


def _messages(
    conn: Connection, phone: str, numbers: list[str], emails: list[str]
) -> list[dict[str, Any]]:
    o = outbox.c
    columns = (o.id, o.channel, o.to, o.kind, o.claim, o.lang, o.subject, o.body, o.state,
               o.attempts, o.created, o.sent_at)  # fmt: skip
    query = select(*columns).where(messages_of(phone, numbers, emails)).order_by(o.id)
    return _rows(conn, query)


def _password_counts(conn: Connection, phone: str) -> dict[str, Any]:
    o = otp_codes.c
    count, first, last = conn.execute(
        select(func.count(), func.min(o.created), func.max(o.created)).where(o.phone == phone)
    ).one()
    return {"count": count, "first": first, "last": last, "note": "only hashes are kept"}


def _visit_counts(conn: Connection, phone: str) -> dict[str, Any]:
    count = conn.execute(select(func.count()).where(visits_of(phone))).scalar_one()
    return {"open": count, "note": "a visit ends after 30 idle minutes; ended ones are not kept"}


def _redemptions(conn: Connection, phone: str) -> list[dict[str, Any]]:
    e, v = events.c, vouchers.c
    query = (
        select(e.event_id, e.device_id, e.store_id, e.kind, e.campaign, e.serial, e.tier,
               e.received, e.verdict, e.payload, v.voucher)
        .select_from(events.outerjoin(vouchers, v.event_id == e.event_id))
        .where(e.member == phone).order_by(e.received)
    )  # fmt: skip
    found = _rows(conn, query)
    for row in found:
        payload = json.loads(row.pop("payload"))
        row["code"] = payload.get("code", "")
        row["context"] = payload.get("context", {})
    return found


def _loyalty(conn: Connection, phone: str) -> dict[str, Any]:
    balance = conn.execute(
        select(balances.c.balance).where(balances.c.member == phone)
    ).scalar_one_or_none()
    stores = conn.execute(
        select(member_stores.c.store_id).where(member_stores.c.member == phone)
    ).scalars()
    conflict_ids = conn.execute(select(conflicts.c.id).where(conflicts.c.member == phone)).scalars()
    return {"balance": balance, "stores": sorted(stores), "conflicts": sorted(conflict_ids)}


def _copy_documents(claims: list[dict[str, Any]], store: DocumentStore, out: Path) -> None:
    """Each document still on the disk copied to `out` as CLAIM-KIND-ID.ext (mode 0600: these
    are ID cards), named in its document as `file`."""
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    for claim in claims:
        for document in claim["documents"]:
            if document["deleted"] is not None:
                continue
            name = (
                f"{claim['number']}-{document['kind']}-{document['id'][:8]}"
                f"{_EXTENSIONS.get(document['content_type'], '')}"
            )
            target = out / name
            target.write_bytes(store.read(document["stored"]))
            target.chmod(0o600)
            document["file"] = name


def _rows(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in conn.execute(query)]


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
