"""The prize office's verification rules, called as the dashboard calls them: the checklist a
recommendation to approve needs, two people for a prize at or above the campaign's threshold,
nobody deciding their own recommendation, the verifier's word below the threshold, a
resubmitted claim verified afresh, bulk actions with a result per claim, and every step in the
timeline with who and when."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update

from server_stub.accounts.users import Role, Viewer
from server_stub.database.connection import migrate, open_engine
from server_stub.database.schema import campaigns, claim_documents, prize_claims
from server_stub.errors import ApiError
from server_stub.prizes import claims, verification
from server_stub.prizes.documents import DocumentStore
from tests.server_stub.prizes.test_claims import PHONE, documents, photo, refused

CAMPAIGN = "ice-2026"
VERA = Viewer(1, "vera", Role.VERIFIER)  # verifies
VIC = Viewer(2, "vic", Role.VERIFIER)
ABE = Viewer(3, "abe", Role.APPROVER)  # decides
ADA = Viewer(4, "ada", Role.ADMIN)
ANN = Viewer(5, "ann", Role.ADMIN)
HEL = Viewer(6, "hel", Role.HELPDESK)
CAM = Viewer(7, "cam", Role.CAMPAIGN_MANAGER, campaigns=frozenset({CAMPAIGN}))
LOU = Viewer(8, "lou", Role.LOGISTICS)


@pytest.fixture
def store(tmp_path: Path) -> DocumentStore:
    return DocumentStore(tmp_path / "documents")


@pytest.fixture
def office(server_url: str) -> Iterator[Engine]:
    """A migrated server on SQLite and on PostgreSQL, with the campaign's row (its threshold
    set by `threshold`)."""
    engine = open_engine(server_url)
    migrate(engine)
    threshold(engine, 0.0)
    yield engine
    engine.dispose()


def threshold(engine: Engine, value: float) -> None:
    data = json.dumps({"id": CAMPAIGN, "approval_value": value})
    with engine.begin() as conn:
        if conn.execute(select(campaigns.c.id).where(campaigns.c.id == CAMPAIGN)).first():
            conn.execute(update(campaigns).values(data=data))
        else:
            conn.execute(insert(campaigns).values(id=CAMPAIGN, data=data, key="00" * 32,
                                                  created=time.time()))  # fmt: skip


def file(engine: Engine, store: DocumentStore, serial: int, value: float = 500.0, **kw: Any) -> str:
    draft = claims.ClaimDraft(
        campaign=CAMPAIGN, serial=serial, code=f"HV-{serial}", tier="gold", value=value,
        event_id=f"web-{serial}", phone=kw.pop("phone", PHONE), name="A. Shopper",
        address="12 Lake Road\nPune 411001", id_type="aadhaar", id_number=f"1234 5678 {serial:04d}",
        invoice_number=f"INV-{serial}", consent=True,
    )  # fmt: skip
    return claims.file_claim(engine, store, draft, documents(), **kw)


def check_all(engine: Engine, viewer: Viewer, number: str, now: float | None = None) -> None:
    for document_id, kind in document_ids(engine, number):
        verification.save_checks(
            engine, viewer, number, document_id, verification.CHECKS_OF[kind], now=now
        )


def document_ids(engine: Engine, number: str) -> list[tuple[str, str]]:
    d = claim_documents.c
    query = select(d.id, d.kind).where(d.number == number, d.current.is_(True)).order_by(d.kind)
    with engine.connect() as conn:
        return [(r.id, r.kind) for r in conn.execute(query)]


def status(engine: Engine, number: str) -> str:
    return str(claims.show(engine, number)["status"])


def steps(engine: Engine, number: str) -> list[tuple[str, str]]:
    return [(s["status"], s["actor"]) for s in claims.show(engine, number)["timeline"]]


def test_a_valuable_prize_needs_a_verifier_and_an_approver_who_are_two_people(
    office: Engine, store: DocumentStore
) -> None:
    number = file(office, store, 7)
    with refused(409, "checklist_incomplete") as early:
        verification.recommend(office, VERA, number, "approve")
    assert "invoice: Readable" in early.value.message
    assert status(office, number) == "in_verification"  # recommending started it all the same
    invoice = dict((kind, i) for i, kind in document_ids(office, number))["invoice"]
    verification.save_checks(office, VERA, number, invoice, ["readable"])
    assert verification.unchecked(office, number)  # one box of three, two documents untouched
    check_all(office, VERA, number)
    assert verification.unchecked(office, number) == []
    made = verification.act(office, VERA, number, "approve", "documents_match", "ID photo sharp")
    assert made == {"number": number, "status": "in_verification", "decided": False}
    shown = claims.status_page(office, number, PHONE)  # the winner's page: no staff step
    assert shown is not None and [s["status"] for s in shown["timeline"]] == [
        "received", "in_verification",
    ]  # fmt: skip
    with refused(403, "own_recommendation"):  # her own recommendation, through the same form
        verification.act(office, VERA, number, "approve")
    with refused(403, "approvers_only"):  # another verifier is no approver
        verification.act(office, VIC, number, "approve")
    with refused(403, "approvers_only"):
        verification.decide(office, HEL, number, "approve")
    done = verification.act(office, ABE, number, "approve")
    assert done == {"number": number, "status": "approved", "decided": True}
    with refused(409, "not_open"):  # decided: nobody decides it twice
        verification.act(office, ADA, number, "reject", "unreadable")
    timeline = claims.show(office, number)["timeline"]
    assert [(s["status"], s["actor"]) for s in timeline] == [
        ("received", "shopper"), ("in_verification", "vera"), ("checked", "vera"),
        ("checked", "vera"), ("checked", "vera"), ("checked", "vera"), ("recommended", "vera"),
        ("approved", "abe"),
    ]  # fmt: skip
    assert all(s["at"] > 0 for s in timeline)
    assert timeline[6]["note"] == (
        "approve: Your documents were checked and match your claim. ID photo sharp"
    )
    assert timeline[2]["note"] == (
        "invoice: Readable; not: Name matches the claim, Shows a qualifying product and its date"
    )
    with office.connect() as conn:
        row = conn.execute(select(prize_claims).where(prize_claims.c.number == number)).one()
    assert (row.recommendation, row.recommended_by) == ("approve", "vera")


def test_nobody_decides_their_own_recommendation_not_even_an_admin(
    engine: Engine, store: DocumentStore
) -> None:
    threshold(engine, 0.0)
    number = file(engine, store, 8)
    check_all(engine, ADA, number)
    verification.act(engine, ADA, number, "reject", "name_mismatch")  # an admin may verify
    for attempt in ("approve", "reject"):
        with refused(403, "own_recommendation"):
            verification.act(engine, ADA, number, attempt, "other", "my own call")
        with refused(403, "own_recommendation"):
            verification.decide(engine, ADA, number, attempt, "other", "my own call")
    assert status(engine, number) == "in_verification"
    verification.act(engine, ANN, number, "reject", "name_mismatch", "The invoice names B. Other.")
    shown = claims.status_page(engine, number, PHONE)
    assert shown is not None and shown["status"] == "rejected"
    assert shown["reason"] == (
        "The name on the documents is not the name on the claim. The invoice names B. Other."
    )


def test_below_the_threshold_the_verifiers_recommendation_decides(
    engine: Engine, store: DocumentStore
) -> None:
    threshold(engine, 1000.0)
    small, large = file(engine, store, 9, value=500.0), file(engine, store, 10, value=1000.0)
    answer = verification.recommend(engine, VERA, small, "reject", "unreadable", "blurred")
    assert answer == {"number": small, "status": "rejected", "decided": True}
    assert steps(engine, small)[-2:] == [("recommended", "vera"), ("rejected", "vera")]
    check_all(engine, VERA, large)
    answer = verification.recommend(engine, VERA, large, "approve")  # at the threshold: two
    assert answer["decided"] is False and status(engine, large) == "in_verification"


def test_an_approver_decides_only_what_a_verifier_recommended(
    engine: Engine, store: DocumentStore
) -> None:
    threshold(engine, 0.0)
    number = file(engine, store, 11)
    with refused(409, "not_recommended"):
        verification.act(engine, ABE, number, "approve")
    with refused(403, "verifiers_only"):  # an approver does not verify either
        verification.start(engine, ABE, number)
    for nobody in (HEL, CAM, LOU):
        with refused(403, "verifiers_only"):
            verification.save_checks(engine, nobody, number, document_ids(engine, number)[0][0], [])
        with pytest.raises(ApiError) as no:
            verification.act(engine, nobody, number, "approve")
        assert no.value.status == 403
    assert steps(engine, number) == [("received", "shopper")]


def test_a_checklist_the_timeline_names_is_the_one_saved(
    office: Engine, store: DocumentStore
) -> None:
    """A document's id with more after it, or a NUL (a form's path is the verifier's to
    write), is either that document, saved, or no document (404): never a timeline row for a
    checklist not kept, nor a server error (PostgreSQL refuses a NUL)."""
    number = file(office, store, 20)
    (document_id, kind), *_ = document_ids(office, number)
    for typed in (document_id + "zz", document_id[:8] + "\x00"):
        try:
            verification.save_checks(office, VERA, number, typed, ["readable"])
        except ApiError as refused:
            assert refused.code == "not_found"
    saved = verification.checklist(kind, _checks(office, document_id))["by"] is not None
    assert saved == any(s == ("checked", "vera") for s in steps(office, number))


def _checks(engine: Engine, document_id: str) -> str:
    with engine.connect() as conn:
        query = select(claim_documents.c.checks).where(claim_documents.c.id == document_id)
        return str(conn.execute(query).scalar_one() or "")


def test_what_a_decision_says_is_checked(engine: Engine, store: DocumentStore) -> None:
    threshold(engine, 0.0)
    number = file(engine, store, 12)
    with refused(422, "reason_needed"):
        verification.recommend(engine, VERA, number, "reject")
    with refused(422, "reason_needed"):
        verification.recommend(engine, VERA, number, "reject", "other")
    with refused(422, "reason_mismatch"):
        verification.recommend(engine, VERA, number, "approve", "unreadable")
    with refused(422, "bad_decision"):
        verification.recommend(engine, VERA, number, "maybe")
    with refused(422, "bad_claim"):
        verification.recommend(engine, VERA, number, "reject", "x" * 1001)
    with refused(404, "not_found"):
        verification.recommend(engine, VERA, "CL-00000000", "reject", "unreadable")
    document, _ = document_ids(engine, number)[0]
    with refused(422, "bad_check"):
        verification.save_checks(engine, VERA, number, document, ["readable", "looks_nice"])
    with refused(404, "not_found"):  # another claim's document
        verification.save_checks(engine, VERA, file(engine, store, 13), document, [])
    made = verification.recommend(engine, VERA, number, "reject", "They sent a cat photo.")
    assert made["decided"] is False
    assert claims.show(engine, number)["timeline"][-1]["note"] == "reject: They sent a cat photo."
    with refused(409, "already_recommended"):
        verification.save_checks(engine, VIC, number, document, [])
    with refused(409, "already_recommended"):
        verification.recommend(engine, VIC, number, "reject", "unreadable")


def test_a_claim_sent_again_is_verified_afresh(engine: Engine, store: DocumentStore) -> None:
    threshold(engine, 0.0)
    number = file(engine, store, 14)
    verification.recommend(engine, VERA, number, "reject", "unreadable")
    verification.act(engine, ABE, number, "reject", "unreadable", "The invoice is blurred.")
    claims.resubmit(engine, store, number, PHONE, {"invoice": photo()})
    assert status(engine, number) == "received"
    with refused(409, "not_recommended"):  # the old round's recommendation counts no more
        verification.act(engine, ABE, number, "approve")
    # the new invoice has no checklist yet; the two ID sides kept theirs? They were never checked
    check_all(engine, VIC, number)
    verification.act(engine, VIC, number, "approve")
    with engine.connect() as conn:
        row = conn.execute(select(prize_claims).where(prize_claims.c.number == number)).one()
    assert (row.recommendation, row.recommended_by) == ("approve", "vic")
    verification.act(engine, ABE, number, "approve")
    assert [s for s, _ in steps(engine, number)].count("received") == 2
    assert status(engine, number) == "approved"


def test_bulk_actions_report_a_result_per_claim(engine: Engine, store: DocumentStore) -> None:
    threshold(engine, 0.0)
    ready, waiting, mine = (file(engine, store, s) for s in (15, 16, 17))
    taken = verification.bulk(engine, VERA, [ready, waiting, ready, "CL-ZZZZZZZZ"], "take")
    assert taken == [
        {"number": ready, "ok": True, "status": "in_verification"},
        {"number": waiting, "ok": True, "status": "in_verification"},
        {"number": "CL-ZZZZZZZZ", "ok": False, "error": "not_found",
         "message": "There is no claim CL-ZZZZZZZZ."},
    ]  # fmt: skip
    for number in (ready, mine):
        check_all(engine, VERA, number)
    assert verification.bulk(engine, VERA, [ready, mine, waiting], "approve") == [
        {"number": ready, "ok": True, "status": "in_verification"},
        {"number": mine, "ok": True, "status": "in_verification"},
        {"number": waiting, "ok": False, "error": "checklist_incomplete",
         "message": verification.bulk(engine, VIC, [waiting], "approve")[0]["message"]},
    ]  # fmt: skip
    answers = verification.bulk(engine, VERA, [mine], "approve")
    assert [a["error"] for a in answers] == ["own_recommendation"]
    decided = verification.bulk(engine, ABE, [ready, mine, waiting], "reject", "duplicate")
    assert [(a["ok"], a.get("status") or a["error"]) for a in decided] == [
        (True, "rejected"), (True, "rejected"), (False, "not_recommended"),
    ]  # fmt: skip
    with refused(422, "no_claims"):
        verification.bulk(engine, ABE, [" "], "approve")
    with refused(422, "bad_action"):
        verification.bulk(engine, ABE, [ready], "delete")
    with refused(422, "too_many"):
        verification.bulk(engine, ABE, [f"CL-{i:08d}" for i in range(101)], "approve")


def test_bulk_tells_who_may_not_act_nothing_of_the_claims_they_name(
    engine: Engine, store: DocumentStore
) -> None:
    """A campaign manager, the helpdesk or logistics ticking numbers on the queue's bulk form
    (its fields are theirs to write) learns no more than their own pages say: another
    campaign's claim reads as a number nobody has."""
    threshold(engine, 0.0)
    theirs = file(engine, store, 19)
    elsewhere = Viewer(9, "cy", Role.CAMPAIGN_MANAGER, campaigns=frozenset({"sun-2026"}))
    for viewer in (elsewhere, HEL, LOU):
        for action in ("take", "approve", "reject"):
            answers = verification.bulk(
                engine, viewer, [theirs, "CL-ZZZZZZZZ"], action, "duplicate"
            )
            assert [(a["ok"], a["error"], a["message"]) for a in answers] == [
                (False, answers[1]["error"], answers[1]["message"])
            ] * 2, (viewer.username, action, answers)
            assert answers[1]["error"] in ("verifiers_only", "approvers_only")
    assert status(engine, theirs) == "received"


def test_the_page_is_told_what_each_person_may_do(engine: Engine, store: DocumentStore) -> None:
    threshold(engine, 0.0)
    number = file(engine, store, 18)

    def may(viewer: Viewer) -> set[str]:
        claim = claims.show(engine, number)
        with engine.connect() as conn:
            row = conn.execute(select(prize_claims).where(prize_claims.c.number == number)).one()
        shown = {"status": claim["status"], "recommendation": row.recommendation,
                 "recommended_by": row.recommended_by}  # fmt: skip
        complete = not verification.unchecked(engine, number)
        return {k for k, v in verification.allowed(viewer, shown, complete).items() if v}

    assert may(VERA) == {"take", "check", "recommend"} and may(ABE) == set() == may(HEL)
    check_all(engine, VERA, number)
    assert may(VERA) == {"check", "recommend", "recommend_approve"}
    verification.recommend(engine, VERA, number, "approve")
    assert may(VERA) == {"own_recommendation"} and may(ABE) == {"decide"}
    assert may(ADA) == {"decide"} and may(VIC) == set()
