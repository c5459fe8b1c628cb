"""The prize office's verification of a claim: starting it, each document's checklist, the
verifier's recommendation and the decision on it, for one claim or many at once.

The rules, checked here at the server whatever a page showed:
- A verifier (or an admin) starts a claim's verification (received -> in_verification) by
  taking it, by saving its first checklist or by recommending.
- Each current document has a checklist (CHECKS_OF its kind). Recommending approval needs every
  box of every current document ticked; a rejection needs only its reason.
- A recommendation is approve or reject with a reason from a list plus free text.
- A prize worth the campaign's `approval_value` or more (0, the default: every prize) needs a
  decision by an approver (or an admin) who is not the one who recommended it: nobody decides
  their own recommendation. Below it, the verifier's recommendation is the decision.
- Every step is a timeline row with who and when. Status moves go through `claims.move` (which
  tells the winner); a checklist saved and a recommendation are rows of their own (`checked`,
  `recommended`), for staff: they change no status and send no message.
- A rejected claim the shopper sends again (`claims.resubmit`) is verified afresh: starting it
  clears the old round's recommendation.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from server_stub.accounts.users import Viewer
from server_stub.database.connection import reader, writing
from server_stub.database.schema import campaigns, claim_documents, claim_timeline, prize_claims
from server_stub.errors import ApiError
from server_stub.prizes import claims, decision_reasons
from server_stub.prizes.claim_form import checked_text

CHECKS = {
    "readable": "Readable",
    "name_matches": "Name matches the claim",
    "product_and_date": "Shows a qualifying product and its date",
    "id_valid": "ID valid (the type claimed, not expired)",
}
CHECKS_OF: dict[str, tuple[str, ...]] = {
    "invoice": ("readable", "name_matches", "product_and_date"),
    "id_front": ("readable", "name_matches", "id_valid"),
    "id_back": ("readable", "id_valid"),
}
DECISIONS = {"approve": "approved", "reject": "rejected"}
# The reasons offered, in English as staff choose them; the winner reads a rejection's in their
# own language on the status page and in the message (decision_reasons: one file a language),
# and the free text beside it after them, as written.
APPROVE_REASONS = decision_reasons.english("approve")
REJECT_REASONS = decision_reasons.english("reject") | {decision_reasons.OTHER: ""}
REASONS = {"approve": APPROVE_REASONS, "reject": REJECT_REASONS}
BULK_ACTIONS = ("take", "approve", "reject")
MAX_BULK = 100
_NOTE_LIMIT = 1000  # the free text; the reason's words come before it
CHECKED, RECOMMENDED = "checked", "recommended"  # the staff's own timeline rows
_DOCUMENT_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # claim_documents.id: random, 32 at most


# -- what the rules say -----------------------------------------------------------------------


def approval_value(conn: Connection, campaign: str) -> float:
    """The campaign's threshold: a prize worth this or more needs an approver."""
    data = conn.execute(select(campaigns.c.data).where(campaigns.c.id == campaign)).scalar()
    return float(json.loads(data).get("approval_value", 0.0)) if data else 0.0


def needs_approver(value: float, threshold: float) -> bool:
    return value >= threshold


def checklist(kind: str, stored: str) -> dict[str, Any]:
    """A document's checklist as the page shows it: each box with its words and whether it is
    ticked, who saved it and when (None before anyone did)."""
    saved = json.loads(stored or "{}")
    return {
        "boxes": [
            {"key": k, "label": CHECKS[k], "ticked": saved.get(k) is True}
            for k in CHECKS_OF.get(kind, ())
        ],
        "by": saved.get("by"),
        "at": saved.get("at"),
        "complete": "by" in saved and all(saved.get(k) is True for k in CHECKS_OF.get(kind, ())),
    }


def allowed(viewer: Viewer, claim: Mapping[str, Any], complete: bool) -> dict[str, bool]:
    """What the viewer may do to the claim now (`claim`: its status, recommendation and
    recommended_by): the page offers these; the functions below check them again."""
    status, recommended = claim["status"], claim["recommendation"] is not None
    open_ = status in ("received", "in_verification")
    fresh = status == "received" or not recommended  # a received claim's old round is void
    return {
        "take": viewer.may_verify and status == "received",
        "check": viewer.may_verify and open_ and fresh,
        "recommend": viewer.may_verify and open_ and fresh,
        "recommend_approve": viewer.may_verify and open_ and fresh and complete,
        "decide": viewer.may_decide_claims and status == "in_verification" and recommended
        and claim["recommended_by"] != viewer.username,
        "own_recommendation": status == "in_verification" and recommended
        and claim["recommended_by"] == viewer.username,
    }  # fmt: skip


# -- the steps --------------------------------------------------------------------------------


def start(engine: Engine, viewer: Viewer, number: str, now: float | None = None) -> dict[str, Any]:
    """received -> in_verification, by a verifier. A claim already in verification is left as
    it is (two verifiers taking it at once: one moves it, both go on)."""
    _verifier(viewer)
    now = time.time() if now is None else now
    found = _claim(engine, number)
    if found["status"] == "in_verification":
        return {"number": found["number"], "status": "in_verification", "started": False}
    if found["status"] != "received":
        raise _decided(found["status"])
    with writing(engine) as conn:  # the last round's recommendation, of a claim sent again
        conn.execute(
            update(prize_claims)
            .where(prize_claims.c.number == found["number"], prize_claims.c.status == "received")
            .values(recommendation=None, recommended_by=None, recommended_note="",
                    recommended_at=None)
        )  # fmt: skip
    try:
        claims.move(engine, found["number"], "in_verification", viewer.username,
                    "verification started", now=now)  # fmt: skip
    except ApiError as exc:
        if exc.code != "bad_move" or _claim(engine, number)["status"] != "in_verification":
            raise
        return {"number": found["number"], "status": "in_verification", "started": False}
    return {"number": found["number"], "status": "in_verification", "started": True}


def save_checks(
    engine: Engine, viewer: Viewer, number: str, document_id: str, ticked: Iterable[str],
    now: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A current document's checklist: the boxes named in `ticked` pass, the others do not.
    Starts the claim's verification if nobody has; refused once it is recommended."""
    _verifier(viewer)
    now = time.time() if now is None else now
    found = _claim(engine, number)
    if found["status"] not in ("received", "in_verification"):
        raise _decided(found["status"])
    if not _DOCUMENT_ID.fullmatch(document_id):  # the path's, as typed: not one of ours
        raise ApiError(404, "not_found", "This claim holds no such document.")
    with reader(engine).connect() as conn:
        document = conn.execute(
            select(claim_documents.c.kind).where(
                claim_documents.c.id == document_id, claim_documents.c.number == found["number"],
                claim_documents.c.current.is_(True), claim_documents.c.deleted.is_(None),
            )
        ).first()  # fmt: skip
    if document is None:
        raise ApiError(404, "not_found", "This claim holds no such document.")
    boxes = CHECKS_OF.get(document.kind, ())
    given = set(ticked)
    unknown = sorted(given - set(boxes))
    if unknown:
        raise ApiError(422, "bad_check", f"A {_words(document.kind)} has no check {unknown[0]!r}.")
    if found["status"] == "received":
        start(engine, viewer, found["number"], now)
    saved = {k: k in given for k in boxes} | {"by": viewer.username, "at": now}
    passed = [CHECKS[k] for k in boxes if k in given]
    failed = [CHECKS[k] for k in boxes if k not in given]
    note = f"{_words(document.kind)}: " + "; ".join(
        part for part in (", ".join(passed), ("not: " + ", ".join(failed)) if failed else "")
        if part
    )  # fmt: skip
    with writing(engine) as conn:
        if _locked(conn, found["number"])["recommendation"] is not None:
            raise ApiError(409, "already_recommended",
                           "This claim is recommended already; its checklists are closed.")  # fmt: skip
        conn.execute(
            update(claim_documents)
            .where(claim_documents.c.id == document_id)
            .values(checks=json.dumps(saved))
        )
        _audit(conn, found["number"], now, CHECKED, note, viewer.username)
    return {"number": found["number"], "document": document_id, "checks": saved}


def recommend(
    engine: Engine, viewer: Viewer, number: str, decision: str, reason: str = "", note: str = "",
    now: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The verifier's recommendation; below the campaign's threshold it is also the decision.
    Answers {number, status, decided}."""
    _verifier(viewer)
    now = time.time() if now is None else now
    text = reason_text(decision, reason, note)
    code = listed_code(decision, reason)
    found = _claim(engine, number)
    if found["status"] == "received":
        start(engine, viewer, found["number"], now)
    elif found["status"] != "in_verification":
        raise _decided(found["status"])
    wanted = found["number"]
    if decision == "approve":
        missing = unchecked(engine, wanted)
        if missing:
            raise ApiError(
                409, "checklist_incomplete",
                f"Tick every check before recommending approval; still open: {', '.join(missing)}.",
            )  # fmt: skip
    with writing(engine) as conn:
        current = _locked(conn, wanted)
        if current["status"] != "in_verification":
            raise _decided(current["status"])
        if current["recommendation"] is not None:
            raise ApiError(409, "already_recommended",
                           f"{current['recommended_by']} recommended this claim already.")  # fmt: skip
        conn.execute(
            update(prize_claims).where(prize_claims.c.number == wanted)
            .values(recommendation=decision, recommended_by=viewer.username,
                    recommended_note=text, recommended_at=now)
        )  # fmt: skip
        _audit(conn, wanted, now, RECOMMENDED, f"{decision}: {text}", viewer.username)
        threshold = approval_value(conn, current["campaign"])
    if needs_approver(float(current["value"]), threshold):
        return {"number": wanted, "status": "in_verification", "decided": False}
    claims.move(engine, wanted, DECISIONS[decision], viewer.username, text, now=now,
                reason_code=code)  # fmt: skip
    return {"number": wanted, "status": DECISIONS[decision], "decided": True}


def decide(
    engine: Engine, viewer: Viewer, number: str, decision: str, reason: str = "", note: str = "",
    now: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """An approver's decision on someone else's recommendation: the claim is approved or
    rejected (the reason is what the winner reads). Answers {number, status, decided}."""
    if not viewer.may_decide_claims:
        raise _approvers_only()
    found = _claim(engine, number)
    if found["status"] != "in_verification" or found["recommendation"] is None:
        if found["status"] not in ("received", "in_verification"):
            raise _decided(found["status"])
        raise ApiError(409, "not_recommended", "A verifier recommends this claim first.")
    if found["recommended_by"] == viewer.username:
        raise _own()
    text = reason_text(decision, reason, note)
    claims.move(engine, found["number"], DECISIONS[decision], viewer.username, text, now=now,
                reason_code=listed_code(decision, reason))  # fmt: skip
    return {"number": found["number"], "status": DECISIONS[decision], "decided": True}


def act(
    engine: Engine, viewer: Viewer, number: str, decision: str, reason: str = "", note: str = "",
    now: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The claim page's decision form (`decision`, `reason`, a note): a decision on a
    recommendation someone else made, else a recommendation. Whoever recommended it may not
    decide it (403 `own_recommendation`)."""
    if not (viewer.may_verify or viewer.may_decide_claims):  # before a claim is looked up: the
        raise _approvers_only()  # bulk form names any number, of any campaign
    found = _claim(engine, number)
    recommended = found["status"] == "in_verification" and found["recommendation"] is not None
    if recommended and found["recommended_by"] == viewer.username:
        raise _own()
    if recommended or not viewer.may_verify:
        return decide(engine, viewer, number, decision, reason, note, now)
    return recommend(engine, viewer, number, decision, reason, note, now)


def bulk(
    engine: Engine, viewer: Viewer, numbers: Iterable[str], action: str, reason: str = "",
    note: str = "", now: float | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """One action on many claims (`take`, `approve`, `reject`), each as on its own page: a
    result per claim, {number, ok, status} or {number, ok: False, error, message}."""
    if action not in BULK_ACTIONS:
        raise ApiError(422, "bad_action", f"The action is one of {', '.join(BULK_ACTIONS)}.")
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    if not wanted:
        raise ApiError(422, "no_claims", "Tick the claims to act on first.")
    if len(wanted) > MAX_BULK:
        raise ApiError(422, "too_many", f"At most {MAX_BULK} claims at once.")
    results = []
    for number in wanted:
        try:
            if action == "take":
                done = start(engine, viewer, number, now)
            else:
                done = act(engine, viewer, number, action, reason, note, now)
            results.append({"number": done["number"], "ok": True, "status": done["status"]})
        except ApiError as exc:
            results.append({"number": number[:20], "ok": False, "error": exc.code,
                            "message": exc.message})  # fmt: skip
    return results


# -- reading and checking ---------------------------------------------------------------------


def reason_text(decision: str, reason: str, note: str) -> str:
    """The words of a decision: the listed reason's, then the free text. A reason not on the
    list is taken as free text; a rejection needs one or the other."""
    if decision not in DECISIONS:
        raise ApiError(422, "bad_decision", "The decision is approve or reject.")
    listed = REASONS[decision]
    reason = reason.strip()
    other = "reject" if decision == "approve" else "approve"
    if reason in REASONS[other]:  # a reason chosen for the other decision: not a slip to keep
        raise ApiError(422, "reason_mismatch", f"That reason is for a decision to {other}.")
    words = listed.get(reason, "") if reason in listed else None
    free = checked_text("reason", reason, _NOTE_LIMIT, required=False, what="the reason")
    extra = checked_text("note", note, _NOTE_LIMIT, required=False, multiline=True, what="the note")
    parts = [words] if words is not None else [free] if free else []
    text = " ".join(p for p in [*parts, extra] if p)
    if not text and decision == "reject":
        raise ApiError(422, "reason_needed", "Say why the claim is rejected: the winner reads it.")
    return text or APPROVE_REASONS["documents_match"]


def listed_code(decision: str, reason: str) -> str | None:
    """The listed reason a decision names (its code, kept with the claim so the winner reads it
    in their language); None for words of one's own."""
    reason = reason.strip()
    return reason if reason in REASONS.get(decision, {}) else None


def unchecked(engine: Engine, number: str) -> list[str]:
    """What is still unticked on the claim's current documents, in words ([] when all is)."""
    d = claim_documents.c
    query = select(d.kind, d.checks).where(
        d.number == number, d.current.is_(True), d.deleted.is_(None)
    )
    with reader(engine).connect() as conn:
        rows = conn.execute(query).all()
    missing = []
    for row in sorted(
        rows, key=lambda r: list(CHECKS_OF).index(r.kind) if r.kind in CHECKS_OF else 9
    ):
        saved = json.loads(row.checks or "{}")
        missing += [
            f"{_words(row.kind)}: {CHECKS[k]}"
            for k in CHECKS_OF.get(row.kind, ())
            if saved.get(k) is not True
        ]
    return missing


_COLUMNS = (
    prize_claims.c.number, prize_claims.c.status, prize_claims.c.campaign, prize_claims.c.value,
    prize_claims.c.recommendation, prize_claims.c.recommended_by,
)  # fmt: skip


def _claim(engine: Engine, number: str) -> dict[str, Any]:
    wanted = claims.normal_number(number) or number[:20]
    with reader(engine).connect() as conn:
        found = conn.execute(select(*_COLUMNS).where(prize_claims.c.number == wanted)).first()
    if found is None:
        raise ApiError(404, "not_found", f"There is no claim {wanted}.")
    return dict(found._mapping)


def _locked(conn: Connection, number: str) -> dict[str, Any]:
    query = select(*_COLUMNS).where(prize_claims.c.number == number)
    return dict(conn.execute(query.with_for_update()).one()._mapping)


def _audit(conn: Connection, number: str, at: float, what: str, note: str, actor: str) -> None:
    """A staff step that moves no status: a row of the timeline, never a message."""
    conn.execute(
        claim_timeline.insert().values(number=number, at=at, status=what, note=note, actor=actor)
    )


def _verifier(viewer: Viewer) -> None:
    if not viewer.may_verify:
        raise ApiError(403, "verifiers_only", "Only a verifier checks and recommends claims.")


def _approvers_only() -> ApiError:
    return ApiError(403, "approvers_only",
                    "Only an approver decides a claim on someone else's recommendation.")  # fmt: skip


def _own() -> ApiError:
    return ApiError(403, "own_recommendation",
                    "Nobody decides their own recommendation: another approver decides it.")  # fmt: skip


def _decided(status: str) -> ApiError:
    return ApiError(409, "not_open", f"This claim is {status.replace('_', ' ')}: its verification"
                    " is over.")  # fmt: skip


def _words(kind: str) -> str:
    return {"invoice": "invoice", "id_front": "ID front", "id_back": "ID back"}.get(kind, kind)
