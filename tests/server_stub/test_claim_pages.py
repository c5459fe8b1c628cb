"""The prize office's pages as data, without HTTP (dashboard/claim_pages.py): the queue oldest
first, filtered and paged, late claims standing out, each role's first view; one claim with
what each role may see (documents, the winner's details whole or masked) and do."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, insert, update

from server_stub.accounts.users import Role, Viewer
from server_stub.dashboard import pages
from server_stub.dashboard.claim_pages import STATES, claim_page, queue_page
from server_stub.dashboard.dispatch_pages import dispatch_page
from server_stub.database.schema import campaigns, prize_claims
from server_stub.prizes import claims, verification
from server_stub.prizes.documents import DocumentStore
from server_stub.prizes.uploads import check_upload
from tests.server_stub.prizes.test_claims import PHONE, documents, refused
from tests.server_stub.prizes.test_verification import (
    ABE,
    CAM,
    HEL,
    LOU,
    VERA,
    check_all,
    file,
    threshold,
)

SAM = Viewer(9, "sam", Role.STORE_MANAGER, stores=frozenset({"s1"}))
OTHER_CAM = Viewer(10, "oli", Role.CAMPAIGN_MANAGER, campaigns=frozenset({"other"}))
HOUR = 3600.0


@pytest.fixture
def store(tmp_path: Path) -> DocumentStore:
    return DocumentStore(tmp_path / "documents")


def test_the_queue_is_oldest_first_filtered_paged_and_late_claims_stand_out(
    engine: Engine, store: DocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    threshold(engine, 0.0)
    now = 1_800_000_000.0
    numbers = [file(engine, store, s, now=now - (52 - s) * HOUR) for s in range(1, 6)]
    silver = file(engine, store, 6, now=now - HOUR)
    with engine.begin() as conn:  # another prize of the campaign
        conn.execute(
            update(prize_claims).where(prize_claims.c.number == silver).values(tier="silver")
        )
    page = queue_page(engine, VERA, {}, now)
    assert [c["number"] for c in page["claims"]] == [*numbers, silver]
    assert [c["late"] for c in page["claims"]] == [True, True, True, False, False, False]
    assert page["late"] == 3 and page["claims"][0]["waiting"] == "2 days 3 h"
    assert page["counts"]["received"] == 6 and page["filters"]["state"] == "open"
    assert page["claims"][0]["phone"] == "+••••••••3210"  # masked in a list, for everyone
    assert [c["number"] for c in queue_page(engine, VERA, {"tier": "silver"}, now)["claims"]] == [
        silver
    ]
    assert queue_page(engine, VERA, {"campaign": "other"}, now)["claims"] == []
    assert [c["number"] for c in queue_page(engine, VERA, {"q": numbers[2].lower()}, now)["claims"]] == [numbers[2]]  # fmt: skip
    verification.start(engine, VERA, numbers[0])
    assert [c["number"] for c in queue_page(engine, VERA, {"state": "received"}, now)["claims"]] == [*numbers[1:], silver]  # fmt: skip
    assert queue_page(engine, VERA, {"state": "nonsense"}, now)["filters"]["state"] == "open"
    monkeypatch.setattr("server_stub.dashboard.claim_pages.PAGE", 4)
    first = queue_page(engine, VERA, {}, now)
    assert len(first["claims"]) == 4 and first["next"]
    rest = queue_page(engine, VERA, {"after": first["next"]}, now)
    assert [c["number"] for c in rest["claims"]] == [numbers[4], silver] and rest["next"] is None
    assert queue_page(engine, VERA, {"after": "x_y"}, now)["claims"] == first["claims"]  # ignored


def test_each_role_sees_its_own_work_first_and_a_store_manager_nothing(
    engine: Engine, store: DocumentStore
) -> None:
    threshold(engine, 0.0)
    waiting, recommended = file(engine, store, 1), file(engine, store, 2)
    check_all(engine, VERA, recommended)
    verification.recommend(engine, VERA, recommended, "approve")
    page = queue_page(engine, ABE, {})
    assert page["filters"]["state"] == "to_decide"
    assert [(c["number"], c["recommended_by"]) for c in page["claims"]] == [(recommended, "vera")]
    assert queue_page(engine, VERA, {})["claims"][1]["mine"] is True
    assert [c["number"] for c in queue_page(engine, HEL, {})["claims"]] == [waiting, recommended]
    assert queue_page(engine, LOU, {})["filters"]["state"] == "approved"
    assert [c["number"] for c in queue_page(engine, CAM, {})["claims"]] == [waiting, recommended]
    assert queue_page(engine, OTHER_CAM, {})["claims"] == []  # not their campaign
    assert queue_page(engine, OTHER_CAM, {"campaign": "ice-2026"})["claims"] == []
    assert queue_page(engine, HEL, {})["may"] == {"take": False, "approve": False, "reject": False}
    with refused(403, "not_for_stores"):
        queue_page(engine, SAM, {})


def test_an_empty_queue_says_so_in_plain_words_for_each_roles_first_view(
    engine: Engine, store: DocumentStore
) -> None:
    assert queue_page(engine, ABE, {})["empty"] == (
        "No claims to decide. A claim shows here once a verifier recommends approving or"
        " rejecting it."
    )
    assert queue_page(engine, VERA, {})["empty"] == (
        "No open claims. A winner's claim shows here once they file it at /play/."
    )
    assert queue_page(engine, LOU, {})["empty"].startswith("No approved claims. ")
    assert queue_page(engine, HEL, {"state": "all"})["empty"].startswith("No claims. ")
    assert queue_page(engine, HEL, {"state": "in_verification", "tier": "gold"})["empty"] == (
        "No claims in verification match the filters."
    )
    assert queue_page(engine, HEL, {"q": "CL-ZZZZZZ"})["empty"].startswith("No claim CL-")
    for state in STATES:  # every state reads as English, never "No to decide claims"
        words = queue_page(engine, HEL, {"state": state})["empty"]
        assert words.startswith("No ") and "_" not in words and "No all" not in words


def test_a_verifier_sees_the_documents_with_their_checklists_and_flags(
    engine: Engine, store: DocumentStore
) -> None:
    threshold(engine, 1000.0)
    scan = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(scan, "PDF", save_all=True,
                                               append_images=[Image.new("RGB", (300, 200))])  # fmt: skip
    given = documents(invoice=check_upload("invoice.pdf", scan.getvalue()))
    first = claims.file_claim(engine, store, _draft(1), given)
    again = claims.file_claim(engine, store, _draft(2), documents(id_front=given["id_front"]))
    page = claim_page(engine, store, VERA, again.lower())
    assert page["claim"]["number"] == again and page["winner"]["masked"] is False
    assert page["winner"]["phone"] == PHONE and "Lake Road" in page["winner"]["address"]
    kinds = [d["kind"] for d in page["documents"]]
    assert kinds == ["invoice", "id_front", "id_back"]
    invoice, front, _ = page["documents"]
    assert not invoice["pdf"] and invoice["page_count"] == 1 and invoice["pages"] == []
    assert front["image"] == f"/dashboard/documents/{front['id']}/image" and front["pages"] == []
    assert [f["kind"] for f in front["flags"]] == ["same_file"]  # beside the photo it is about
    assert front["flags"][0]["other"] == first
    assert "stored" not in front  # a file's name in the store never leaves the server
    assert [b["key"] for b in front["checks"]["boxes"]] == ["readable", "name_matches", "id_valid"]
    assert page["may"]["take"] and not page["may"]["recommend_approve"]
    assert page["needs_approver"] is False and page["approval_value"] == 1000.0
    check_all(engine, VERA, again)
    page = claim_page(engine, store, VERA, again)
    assert page["may"]["recommend_approve"] and page["unchecked"] == []
    assert all(d["checks"]["complete"] and d["checks"]["by"] == "vera" for d in page["documents"])
    pdf = claim_page(engine, store, VERA, first)["documents"][0]
    assert pdf["pages"] == [f"/dashboard/documents/{pdf['id']}/pages/1", f"/dashboard/documents/{pdf['id']}/pages/2"]  # fmt: skip
    assert pdf["page_count"] == 2


def test_helpdesk_and_a_campaign_manager_see_the_status_and_timeline_masked_without_documents(
    engine: Engine, store: DocumentStore
) -> None:
    threshold(engine, 0.0)
    number = file(engine, store, 3)
    verification.start(engine, VERA, number)
    for viewer in (HEL, CAM):
        page = claim_page(engine, store, viewer, number)
        assert page["documents"] is None and page["document_count"] == 3
        assert page["winner"]["masked"] and page["winner"]["phone"] == "+••••••••3210"
        assert "Lake" not in str(page["winner"]) and page["winner"]["address"] == "•••"
        assert page["winner"]["id_number"] == "•••• •••• 0003"
        assert [s["status"] for s in page["timeline"]] == ["received", "in_verification"]
        assert not any(page["may"].values())
    logistics = claim_page(engine, store, LOU, number)
    assert logistics["documents"] is None and logistics["winner"]["phone"] == PHONE
    with refused(404, "not_found"):
        claim_page(engine, store, OTHER_CAM, number)
    with refused(403, "not_for_stores"):
        claim_page(engine, store, SAM, number)
    with refused(404, "not_found"):
        claim_page(engine, store, VERA, "CL-00000000")


def test_an_approver_sees_the_recommendation_and_the_form_starts_from_it(
    engine: Engine, store: DocumentStore
) -> None:
    threshold(engine, 0.0)
    number = file(engine, store, 4)
    verification.recommend(engine, VERA, number, "reject", "unreadable", "The ID photo is dark.")
    page = claim_page(engine, store, ABE, number)
    assert page["recommendation"] | {"at": 0} == {
        "decision": "reject", "by": "vera", "at": 0, "reason": "unreadable",
        "note": "A document cannot be read. Send a sharper photo of it. The ID photo is dark.",
        "extra": "The ID photo is dark.",
    }  # fmt: skip
    assert page["may"]["decide"] and page["needs_approver"]
    assert claim_page(engine, store, VERA, number)["may"]["own_recommendation"]


def _draft(serial: int) -> claims.ClaimDraft:
    return claims.ClaimDraft(
        campaign="ice-2026", serial=serial, code=f"HV-{serial}", tier="gold", value=500.0,
        event_id=f"web-{serial}", phone=PHONE, name="A. Shopper", address="12 Lake Road",
        id_type="aadhaar", id_number=f"1234 5678 {serial:04d}", consent=True,
    )  # fmt: skip


def test_campaigns_are_named_beside_their_ids_and_only_the_viewers(
    engine: Engine, store: DocumentStore
) -> None:
    threshold(engine, 0.0)
    number = file(engine, store, 1)
    with engine.begin() as conn:
        conn.execute(
            update(campaigns).values(
                data=json.dumps({"id": "ice-2026", "approval_value": 0.0, "name": "Ice lids 2026"})
            )
        )
        conn.execute(insert(campaigns).values(
            id="other", data=json.dumps({"id": "other", "name": "Other lids"}), key="00" * 32,
            created=0.0))  # fmt: skip
    both = {"ice-2026": "Ice lids 2026", "other": "Other lids"}
    assert queue_page(engine, ABE, {})["campaign_names"] == both
    assert queue_page(engine, CAM, {})["campaign_names"] == {"ice-2026": "Ice lids 2026"}
    assert claim_page(engine, store, ABE, number)["claim"]["campaign_name"] == "Ice lids 2026"
    assert dispatch_page(engine, LOU)["campaign_names"] == both
    assert pages.overview(engine, CAM)["campaign_names"] == {"ice-2026": "Ice lids 2026"}
