"""Messages to winners, written to the outbox in the caller's transaction: a claim's status
changes and a voucher given on the web. A worker sends them later (notifications/worker.py).

Each message has a key that names the change it tells of: `claim|<number>|<status>|<channel>`
(with `|2` after a resubmission, whose steps the claim takes a second time) or
`voucher|<event id>|sms`. A row is inserted only when its key is new, so a change written twice
(a retried transaction, a step recorded again) is still one message, and the worker's sending
keys (an email's Message-ID, an SMS's id) come from it too.

The texts are files, one per language (`messages/en.json`, `hi`, `ru`, `kk`): for each kind a
subject, an email body and an SMS, with `{number}`, `{link}` and the kind's own placeholders.
A rejection's `{reason}` is its listed reason in the winner's language (`decision_reasons`),
then the verifier's free text as written.
The status link starts with the address shoppers reach the server at: `instore server
--public-url` writes it to the database's `meta` table at start (`set_public_url`), so every
process that moves a claim (a server, `instore admin`) writes the same link without being told.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, Engine, select, update

from server_stub.database.connection import insert_ignore, writing
from server_stub.database.schema import meta, outbox, prize_claims
from server_stub.prizes import decision_reasons

MESSAGES = Path(__file__).parent / "messages"
LANGUAGES = ("en", "hi", "ru", "kk")
PARTS = ("subject", "email", "sms")
# a claim status -> the kind of message that tells of it; other timeline steps send nothing
CLAIM_KINDS = {
    status: f"claim_{status}"
    for status in ("received", "in_verification", "approved", "rejected", "dispatched", "delivered")
}
VOUCHER = "voucher"
# what each kind's texts may name, besides the claim's number and link
PLACEHOLDERS: dict[str, frozenset[str]] = {
    **{kind: frozenset({"number", "link"}) for kind in CLAIM_KINDS.values()},
    "claim_rejected": frozenset({"number", "link", "reason"}),
    "claim_dispatched": frozenset({"number", "link", "carrier", "tracking"}),
    VOUCHER: frozenset({"reward", "voucher"}),
}
PENDING, SENT, DEAD = "pending", "sent", "dead"
SMS, EMAIL = "sms", "email"
PUBLIC_URL_KEY = "public_url"  # in `meta`
_SMS_REASON = 120  # characters of a rejection's reason an SMS carries; the email has it whole


@functools.cache
def templates(lang: str) -> dict[str, dict[str, str]]:
    """One language's texts: kind -> {subject, email, sms}. English for a language we lack."""
    lang = lang if lang in LANGUAGES else "en"
    loaded: dict[str, dict[str, str]] = json.loads(
        (MESSAGES / f"{lang}.json").read_text(encoding="utf-8")
    )
    return loaded


def render(lang: str, kind: str, values: Mapping[str, str]) -> dict[str, str]:
    """The subject, email body and SMS of one kind in `lang`, its placeholders filled in."""
    return {part: text.format_map(values) for part, text in templates(lang)[kind].items()}


def status_link(public_url: str, number: str) -> str:
    """Where the winner follows a claim: its status page, the number filled in."""
    return f"{public_url}/play/status?{urlencode({'claim': number})}"


def set_public_url(engine: Engine, url: str) -> None:
    """Record the address shoppers reach the server at ("" for paths only), for the links."""
    with writing(engine) as conn:
        conn.execute(insert_ignore(conn, meta).values(key=PUBLIC_URL_KEY, value=url))
        conn.execute(update(meta).where(meta.c.key == PUBLIC_URL_KEY).values(value=url))


def public_url(conn: Connection) -> str:
    found = conn.execute(select(meta.c.value).where(meta.c.key == PUBLIC_URL_KEY)).scalar()
    return str(found or "")


def claim_changed(conn: Connection, number: str, status: str, at: float) -> int:
    """Write the messages that tell a claim's winner of its new `status`: an SMS to the claim's
    phone and an email where the winner gave an address, in the claim's language. How many
    rows were new (0 for a step that sends nothing, or a change already written)."""
    kind = CLAIM_KINDS.get(status)
    if kind is None:
        return 0
    c = prize_claims.c
    claim = conn.execute(
        select(c.phone, c.email, c.lang, c.reason, c.reason_code, c.carrier, c.tracking,
               c.resubmissions, c.erased).where(c.number == number)
    ).first()  # fmt: skip
    if claim is None or claim.erased is not None:
        return 0
    # a listed reason in the winner's language, then the verifier's free text as written
    reason = decision_reasons.for_winner(claim.lang, claim.reason_code, claim.reason or "")
    values = {
        "number": number, "link": status_link(public_url(conn), number), "reason": reason,
        "carrier": claim.carrier or "", "tracking": claim.tracking or "",
    }  # fmt: skip
    texts = render(claim.lang, kind, values)
    if status == "rejected":
        texts["sms"] = render(claim.lang, kind, {**values, "reason": sms_reason(reason)})["sms"]
    again = "|2" if claim.resubmissions else ""  # the steps after a resubmission are new news
    rows = []
    if claim.phone:
        rows.append(_row(f"claim|{number}|{status}|{SMS}{again}", SMS, claim.phone, kind,
                         number, claim.lang, "", texts["sms"], at))  # fmt: skip
    if claim.email:
        rows.append(_row(f"claim|{number}|{status}|{EMAIL}{again}", EMAIL, claim.email, kind,
                         number, claim.lang, texts["subject"], texts["email"], at))  # fmt: skip
    return _write(conn, rows)


def sms_reason(reason: str) -> str:
    """A rejection's reason as an SMS carries it: cut to _SMS_REASON characters (the email has
    it whole), without the full stop that ends it, since the SMS's own sentence goes on."""
    if len(reason) > _SMS_REASON:
        reason = reason[: _SMS_REASON - 1].rstrip() + "…"
    return reason.rstrip().rstrip(".।").rstrip()


def voucher_won(
    conn: Connection, phone: str, event_id: str, reward: str, voucher: str, lang: str,
    at: float,
) -> int:  # fmt: skip
    """Write the SMS that gives a web winner their voucher (the page shows it too). 1 when
    written, 0 when this redemption's message was written before."""
    lang = lang if lang in LANGUAGES else "en"
    text = render(lang, VOUCHER, {"reward": reward, "voucher": voucher})["sms"]
    return _write(
        conn, [_row(f"voucher|{event_id}|{SMS}", SMS, phone, VOUCHER, None, lang, "", text, at)]
    )


def queue_sms(
    conn: Connection, key: str, phone: str, kind: str, lang: str, body: str, at: float
) -> int:  # fmt: skip
    """Write an SMS another room composed (loyalty's expiry reminder) under its own key: 1 when
    written, 0 when a message of that key was written before (a retried run sends it once)."""
    return _write(conn, [_row(key, SMS, phone, kind, None, lang, "", body, at)])


def forget(conn: Connection, number: str) -> int:
    """A claim's person erased on request: its messages keep their kind, state and times, not
    the address or the text; one still waiting is never sent. How many messages it had."""
    t = outbox.c
    conn.execute(
        update(outbox).where(t.claim == number, t.state == PENDING)
        .values(state=DEAD, last_error="the winner's details were erased on request")
    )  # fmt: skip
    return int(
        conn.execute(
            update(outbox).where(t.claim == number).values(to="", subject="", body="")
        ).rowcount
    )


def _row(
    key: str, channel: str, to: str, kind: str, claim: str | None, lang: str, subject: str,
    body: str, at: float,
) -> dict[str, Any]:  # fmt: skip
    return {
        "key": key, "channel": channel, "to": to, "kind": kind, "claim": claim, "lang": lang,
        "subject": subject, "body": body, "state": PENDING, "attempts": 0, "next_at": at,
        "last_error": "", "created": at,
    }  # fmt: skip


def _write(conn: Connection, rows: list[dict[str, Any]]) -> int:
    written = 0
    for row in rows:  # one or two: a statement each, its new id counted (rowcount is -1 here)
        new = insert_ignore(conn, outbox).values(**row).returning(outbox.c.id)
        written += len(conn.execute(new).all())
    return written
