"""The prize office's pages as data (issue 26): the verification queue and one claim. Server
functions the templates (claims.html, claim.html) lay out and `?format=json` answers whole.

Who sees what (users.Viewer): a store manager no claim at all (403); a campaign manager their
campaigns' claims only, read-only; the helpdesk every claim's status and timeline. Neither sees
the documents, and both see the winner's phone, email, address and ID number masked. Verifiers,
approvers and admins see everything; logistics everything but the documents. What each may do
to a claim is `verification.allowed`, checked again when the form arrives.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, or_, select

from server_stub.accounts.users import Role, Viewer
from server_stub.dashboard.campaign_names import campaign_names
from server_stub.database.connection import reader
from server_stub.database.schema import campaigns, claim_documents, prize_claims
from server_stub.errors import ApiError
from server_stub.prizes import claim_flags, claims, pdf_pages, pdf_process, verification
from server_stub.prizes.documents import DocumentStore

PAGE = 50  # claims a page, oldest first; "next" leads on from the last one
LATE_S = 48 * 3600  # a claim waiting longer stands out
OPEN = ("received", "in_verification")
# the queue's states: each status, and groups of them
STATES: dict[str, tuple[str, ...]] = {
    "open": OPEN,
    "to_decide": ("in_verification",),  # recommended, waiting for an approver
    **{s: (s,) for s in claims.STATUSES},
    "all": (),
}
# an empty queue in words, per state: what it lacks, and when a claim arrives there
_FILED = "A winner's claim shows here once they file it at /play/."
EMPTY_WORDS: dict[str, tuple[str, str]] = {
    "open": ("No open claims", _FILED),
    "to_decide": ("No claims to decide",
                  "A claim shows here once a verifier recommends approving or rejecting it."),
    "received": ("No received claims", _FILED),
    "in_verification": ("No claims in verification",
                        "A claim shows here once a verifier starts checking it."),
    "approved": ("No approved claims",
                 "A claim shows here once it is approved, and waits on Dispatch to ship."),
    "rejected": ("No rejected claims", ""),
    "dispatched": ("No dispatched claims", ""),
    "delivered": ("No delivered claims", ""),
    "all": ("No claims", _FILED),
}  # fmt: skip
DOCUMENT_WORDS = {"invoice": "Invoice", "id_front": "ID, front", "id_back": "ID, back"}
SHOWN_PAGES = 10  # a PDF's first pages drawn inline; the rest by its download
MASK = "•••"


def _viewer(viewer: Viewer) -> dict[str, str]:
    return {"username": viewer.username, "role": viewer.role.value}


def may_see_claims(viewer: Viewer) -> None:
    if not viewer.sees_claims:
        raise ApiError(403, "not_for_stores", "Prize claims are for the prize office, not a store.")


def default_state(viewer: Viewer) -> str:
    """Each role's own work first: approvers what waits for them, logistics what ships."""
    return {Role.APPROVER: "to_decide", Role.LOGISTICS: "approved"}.get(viewer.role, "open")


def empty_words(state: str, filtered: bool, number: str = "") -> str:
    """What an empty queue says: "No claims to decide. A claim shows here once a verifier
    recommends ..."; with filters, "No claims to decide match the filters."; looking for one
    claim by its number, that none such is there to see."""
    if number:
        return f"No claim {number} among the claims you may see."
    lacking, arrives = EMPTY_WORDS.get(state, EMPTY_WORDS["all"])
    if filtered:
        return f"{lacking} match the filters."
    return f"{lacking}. {arrives}".strip()


def _cursor(text: str) -> tuple[float, str] | None:
    """`after=<created>_<number>`: the last claim of the page before."""
    created, _, number = text.partition("_")
    try:
        at = float(created)
    except ValueError:
        return None
    wanted = claims.normal_number(number)
    return (at, wanted) if wanted and at == at and abs(at) < 1e12 else None


def queue_page(
    engine: Engine, viewer: Viewer, query: Mapping[str, str], now: float | None = None
) -> dict[str, Any]:
    """Claims oldest first, filtered by campaign, tier and state (or one claim by its number,
    `q`), PAGE at a time; each with how long it has waited (those past 48 hours stand out),
    its flags, and its recommendation. Counts per status for the same filters."""
    may_see_claims(viewer)
    now = time.time() if now is None else now
    c = prize_claims.c
    campaign = query.get("campaign", "").strip()[:64]
    tier = query.get("tier", "").strip()[:32]
    state = query.get("state", "")
    state = state if state in STATES else default_state(viewer)
    wanted = claims.normal_number(query.get("q", "")[:40])
    after = _cursor(query.get("after", "")[:60])
    scope: list[ColumnElement[bool]] = []
    if not viewer.sees_every_campaign:
        scope.append(c.campaign.in_(sorted(viewer.campaigns)))
    if campaign:
        scope.append(c.campaign == campaign)
    if tier:
        scope.append(c.tier == tier)
    where = list(scope)
    if wanted:  # one claim by its number, whatever its state
        where.append(c.number == wanted)
    elif STATES[state]:
        where.append(c.status.in_(STATES[state]))
        if state == "to_decide":
            where.append(c.recommendation.is_not(None))
    if after:
        where.append(or_(c.created > after[0], and_(c.created == after[0], c.number > after[1])))
    columns = (
        c.number, c.campaign, c.tier, c.value, c.status, c.phone, c.flags, c.created,
        c.resubmissions, c.recommendation, c.recommended_by,
    )  # fmt: skip
    listed = select(*columns).where(*where).order_by(c.created, c.number).limit(PAGE + 1)
    counted = select(c.status, func.count().label("n")).where(*scope).group_by(c.status)
    late = select(func.count()).where(*scope, c.status.in_(OPEN), c.created < now - LATE_S)
    with reader(engine).connect() as conn:
        rows = conn.execute(listed).all()
        counts = {r.status: int(r.n) for r in conn.execute(counted)}
        late_count = int(conn.execute(late).scalar_one())
        choices = _choices(conn, viewer)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return {
        "viewer": _viewer(viewer),
        "filters": {
            "campaign": campaign,
            "tier": tier,
            "state": state,
            "q": query.get("q", "")[:40],
        },
        "states": list(STATES),
        "empty": empty_words(state, bool(campaign or tier), wanted or ""),
        "campaigns": choices["campaigns"],
        "campaign_names": campaign_names(engine, viewer),
        "tiers": choices["tiers"],
        "counts": {s: counts.get(s, 0) for s in claims.STATUSES},
        "late": late_count,
        "claims": [_row(r, viewer, now) for r in rows],
        "next": f"{rows[-1].created!r}_{rows[-1].number}" if more else None,
        "may": {
            "take": viewer.may_verify,
            "approve": viewer.may_verify or viewer.may_decide_claims,
            "reject": viewer.may_verify or viewer.may_decide_claims,
        },
        "reject_reasons": verification.REJECT_REASONS,
        "late_hours": LATE_S // 3600,
        "as_of": now,
    }


def _row(r: Any, viewer: Viewer, now: float) -> dict[str, Any]:
    waiting = now - float(r.created)
    return {
        "number": r.number, "campaign": r.campaign, "tier": r.tier, "value": r.value,
        "status": r.status, "created": r.created, "waiting_h": round(waiting / 3600, 1),
        "waiting": waited(waiting),
        "late": r.status in OPEN and waiting > LATE_S,
        "phone": masked_phone(r.phone), "flags": len(json.loads(r.flags or "[]")),
        "resubmitted": bool(r.resubmissions), "recommendation": r.recommendation,
        "recommended_by": r.recommended_by,
        "mine": r.recommended_by == viewer.username,
    }  # fmt: skip


def _choices(conn: Connection, viewer: Viewer) -> dict[str, list[str]]:
    """The campaigns the viewer may filter by, and their claim prizes' tiers."""
    found, tiers = [], set()
    for row in conn.execute(select(campaigns.c.id, campaigns.c.data).order_by(campaigns.c.id)):
        if not viewer.may_see_campaign(row.id):
            continue
        found.append(row.id)
        for tier in json.loads(row.data).get("tiers", []):
            if isinstance(tier, dict) and tier.get("kind") == "claim":
                tiers.add(str(tier.get("name", "")))
    return {"campaigns": found, "tiers": sorted(tiers - {""})}


# -- one claim --------------------------------------------------------------------------------


def claim_page(
    engine: Engine, store: DocumentStore, viewer: Viewer, number: str, now: float | None = None
) -> dict[str, Any]:
    """One claim: its prize, the winner's details (masked for who need them not), its
    documents with their checklists and the flags beside them (for who may see documents),
    the recommendation, the timeline with who and when, and what the viewer may do now.
    A claim of a campaign the viewer may not see is a 404, as a number no claim has."""
    may_see_claims(viewer)
    now = time.time() if now is None else now
    shown = claims.show(engine, number)
    if not viewer.may_see_campaign(shown["campaign"]):
        raise ApiError(404, "not_found", f"no claim {number}")
    c = prize_claims.c
    details = select(
        c.name, c.address, c.email, c.id_type, c.id_number, c.invoice_number, c.city, c.lang,
        c.recommendation, c.recommended_by, c.recommended_note, c.recommended_at, c.delivered_on,
        c.erased,
    ).where(c.number == shown["number"])  # fmt: skip
    with reader(engine).connect() as conn:
        row = conn.execute(details).one()
        threshold = verification.approval_value(conn, shown["campaign"])
        documents = _documents(conn, shown["number"])
    flags = [{**f, "words": claim_flags.describe(f), "beside": _beside(f)} for f in shown["flags"]]
    complete = bool(documents) and all(d["checks"]["complete"] for d in documents)
    claim = {
        "status": shown["status"], "recommendation": row.recommendation,
        "recommended_by": row.recommended_by,
    }  # fmt: skip
    waiting = now - float(shown["created"])
    kept = ("number", "status", "campaign", "code", "tier", "value", "reason", "resubmissions",
            "deadline", "carrier", "tracking", "created", "updated", "flagged_by")  # fmt: skip
    about = {key: shown[key] for key in kept} | {
        "delivered_on": row.delivered_on, "lang": row.lang, "erased": row.erased,
        "waiting_h": round(waiting / 3600, 1), "waiting": waited(waiting),
        "late": shown["status"] in OPEN and waiting > LATE_S,
        "campaign_name": campaign_names(engine, viewer).get(shown["campaign"], shown["campaign"]),
    }  # fmt: skip
    recommendation = None
    if row.recommendation is not None:
        recommendation = {
            "decision": row.recommendation, "by": row.recommended_by,
            "note": row.recommended_note, "at": row.recommended_at,
        } | _listed_reason(row.recommendation, row.recommended_note)  # fmt: skip
    page: dict[str, Any] = {
        "viewer": _viewer(viewer),
        "claim": about,
        "winner": _winner(shown["phone"], row, viewer.sees_claim_contact),
        "flags": flags,
        "recommendation": recommendation,
        "approval_value": threshold,
        "needs_approver": verification.needs_approver(float(shown["value"]), threshold),
        "timeline": shown["timeline"],
        "documents": None,
        "document_count": shown["documents"],
        "may": verification.allowed(viewer, claim, complete),
        "unchecked": [],
        "reasons": verification.REASONS,
        "as_of": now,
    }
    stored = {d["id"]: d.pop("stored") for d in documents}  # a file's name stays here
    if viewer.sees_claim_documents:
        for document in documents:
            document["flags"] = [f for f in flags if f["beside"] == document["kind"]]
            document["pages"] = _pages(store, stored[document["id"]], document)
        page["documents"] = documents
        page["unchecked"] = verification.unchecked(engine, shown["number"])
    return page


def waited(seconds: float) -> str:
    """'40 min', '5 h', '3 days 2 h': how long a claim has waited, for the queue."""
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days {hours % 24} h"


def _listed_reason(decision: str, note: str) -> dict[str, str]:
    """The listed reason a recommendation's words begin with, and the free text after them:
    the approver's form starts from them."""
    for key, words in verification.REASONS.get(decision, {}).items():
        if words and note.startswith(words):
            return {"reason": key, "extra": note[len(words) :].strip()}
    return {"reason": "other" if decision == "reject" else "", "extra": note}


def _documents(conn: Connection, number: str) -> list[dict[str, Any]]:
    d = claim_documents.c
    query = select(d.id, d.kind, d.stored, d.content_type, d.size, d.checks, d.created).where(
        d.number == number, d.current.is_(True), d.deleted.is_(None)
    )
    order = {kind: i for i, kind in enumerate(claims.DOCUMENT_KINDS)}
    found = sorted(conn.execute(query), key=lambda r: order.get(r.kind, 99))
    return [
        {
            "id": r.id, "kind": r.kind, "words": DOCUMENT_WORDS.get(r.kind, r.kind),
            "content_type": r.content_type, "size": r.size, "created": r.created,
            "pdf": r.content_type == "application/pdf",
            "image": None if r.content_type == "application/pdf"
            else f"/dashboard/documents/{r.id}/image",
            "download": f"/dashboard/documents/{r.id}",
            "checks": verification.checklist(r.kind, r.checks),
            "stored": r.stored,
        }
        for r in found
    ]  # fmt: skip


def _pages(store: DocumentStore, stored: str, document: dict[str, Any]) -> list[str]:
    """The addresses of a PDF's pages drawn on the server, the first SHOWN_PAGES of them
    (`page_count` says how many it has)."""
    document["page_count"] = 1
    if not document["pdf"]:
        return []
    try:
        count = pdf_process.page_count(store.read(stored))
    except ApiError:  # unreadable or gone: the download link is all there is
        document["page_count"] = 0
        return []
    document["page_count"] = count
    return [
        f"/dashboard/documents/{document['id']}/pages/{n}"
        for n in range(1, min(count, SHOWN_PAGES, pdf_pages.MAX_PAGES) + 1)
    ]


def _beside(flag: Mapping[str, Any]) -> str | None:
    """The document a flag is about, to show it beside; None: about the whole claim."""
    if flag.get("document"):
        return str(flag["document"])
    return {"same_invoice": "invoice", "same_id": "id_front"}.get(str(flag.get("kind")))


def _winner(phone: str, row: Any, whole: bool) -> dict[str, Any]:
    """The winner's details: whole for who check or ship the prize, else masked."""
    if whole:
        return {
            "name": row.name, "phone": phone, "email": row.email, "address": row.address,
            "city": row.city, "id_type": row.id_type, "id_number": row.id_number,
            "invoice_number": row.invoice_number, "masked": False,
        }  # fmt: skip
    return {
        "name": row.name, "phone": masked_phone(phone), "email": masked_email(row.email),
        "address": masked_address(row.city), "city": row.city, "id_type": row.id_type,
        "id_number": masked_tail(row.id_number), "invoice_number": row.invoice_number,
        "masked": True,
    }  # fmt: skip


def masked_phone(phone: str | None) -> str:
    """Every digit but the last four hidden: enough to match what a caller says."""
    return masked_tail(phone)


def masked_tail(text: str | None, keep: int = 4) -> str:
    if not text:
        return ""
    digits = sum(ch.isalnum() for ch in text)
    seen, out = 0, []
    for ch in text:
        if ch.isalnum():
            seen += 1
            out.append(ch if seen > digits - keep else "•")
        else:
            out.append(ch)
    return "".join(out)


def masked_email(email: str | None) -> str:
    if not email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}{MASK}@{domain}" if domain else MASK


def masked_address(city: str | None) -> str:
    """No street, no house: the city at most (the winners list shows it anyway)."""
    return f"{MASK}, {city}" if city else MASK
