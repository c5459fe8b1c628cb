"""Who may open what of a prize claim, over HTTP: a claim's documents (the file, a photo inline,
a PDF's page drawn on the server) to those who check and decide claims, and to everyone else the
same 404 as an id that does not exist; no claim at all to a store manager; the prize office's
people at their own work, away from the stores' pages; forms without their token refused."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import Engine, update

from server_stub.accounts import users
from server_stub.catalog import store_setup
from server_stub.database.schema import claim_documents
from server_stub.device_api.service import SyncService
from server_stub.prizes import claims, pdf_pages, pdf_process
from server_stub.prizes.documents import store_for
from server_stub.prizes.uploads import check_upload
from server_stub.settings import ServerSettings
from tests.live import live_server
from tests.server_stub.prizes.test_claims import PHONE, photo
from tests.server_stub.prizes.test_documents import PASSWORD, _signed_in
from tests.server_stub.prizes.test_pdf_process import slow_pdf
from tests.server_stub.prizes.test_verification import document_ids, threshold

ROLES = {
    "ann": "admin", "vera": "verifier", "abe": "approver", "lou": "logistics", "hal": "helpdesk",
    "cam": "campaign_manager", "nora": "store_manager",
}  # fmt: skip


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """The server with one claim (a JPEG ID, a PDF invoice of two pages); its URL, the claim's
    number and its documents' ids by kind."""
    settings = ServerSettings(documents_dir=str(tmp_path / "documents"))
    threshold(engine, 0.0)
    store_setup.create_store(engine, "s1", "North Street")
    for name, role in ROLES.items():
        users.create_user(engine, name, PASSWORD, role, ["s1"] if role == "store_manager" else [],
                          ["ice-2026"] if role == "campaign_manager" else [])  # fmt: skip
    scan = io.BytesIO()
    pages = [Image.new("RGB", (600, 850), "white"), Image.new("RGB", (600, 850), "gray")]
    pages[0].save(scan, "PDF", save_all=True, append_images=pages[1:], resolution=72)
    front = io.BytesIO()
    Image.new("RGB", (320, 200), "teal").save(front, "JPEG")
    files = {
        "invoice": check_upload("invoice.pdf", scan.getvalue()),
        "id_front": check_upload("front.jpg", front.getvalue()),
        "id_back": photo(),
    }
    draft = claims.ClaimDraft(
        campaign="ice-2026", serial=7, code="HV-7", tier="gold", value=500.0, event_id="web-7",
        phone=PHONE, name="A. Shopper", address="12 Lake Road", id_type="aadhaar",
        id_number="1234 5678 9012", consent=True,
    )  # fmt: skip
    number = claims.file_claim(engine, store_for(settings, str(engine.url)), draft, files)
    ids = {kind: i for i, kind in document_ids(engine, number)}
    with live_server(engine, SyncService(engine, settings)) as url:
        yield url, number, ids


def _routes(document_id: str) -> list[str]:
    return [f"/dashboard/documents/{document_id}{tail}" for tail in ("", "/image", "/pages/1")]


def test_only_who_checks_and_decides_claims_opens_a_document_others_get_a_404_alike(
    site: tuple[str, str, dict[str, str]],
) -> None:
    url, _, ids = site
    verifier = _signed_in(url, "vera")
    shown = verifier.get(f"{url}/dashboard/documents/{ids['id_front']}/image", timeout=10)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(shown.content)).size == (320, 200)
    assert shown.headers["content-disposition"].startswith("inline;")
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert shown.headers["cross-origin-resource-policy"] == "same-origin"
    assert shown.headers["cache-control"] == "no-store"
    for page in (1, 2):
        drawn = verifier.get(f"{url}/dashboard/documents/{ids['invoice']}/pages/{page}", timeout=30)
        assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(drawn.content))
        assert image.format == "PNG" and image.width == pdf_pages.WIDTH_PX
    missing = verifier.get(f"{url}/dashboard/documents/{'0' * 32}", timeout=10)
    assert missing.status_code == 404
    for tail in (f"{ids['invoice']}/pages/3", f"{ids['invoice']}/image",
                 f"{ids['id_front']}/pages/1"):  # fmt: skip
        answer = verifier.get(f"{url}/dashboard/documents/{tail}", timeout=10)
        assert (answer.status_code, answer.text) == (404, missing.text), tail
    approver = _signed_in(url, "abe")
    assert approver.get(f"{url}{_routes(ids['invoice'])[0]}", timeout=10).content[:5] == b"%PDF-"
    for name in ("hal", "cam", "lou", "nora", None):
        browser = _signed_in(url, name) if name else requests.Session()
        for kind, document_id in ids.items():
            for route in _routes(document_id):
                answer = browser.get(f"{url}{route}", timeout=10)
                assert (answer.status_code, answer.text) == (404, missing.text), (name, kind, route)


def test_a_document_deleted_by_retention_is_gone_for_everyone(
    site: tuple[str, str, dict[str, str]], engine: Engine
) -> None:
    url, _, ids = site
    with engine.begin() as conn:
        conn.execute(update(claim_documents).values(deleted=time.time()))
    admin = _signed_in(url, "ann")
    for route in _routes(ids["invoice"]) + _routes(ids["id_front"]):
        assert admin.get(f"{url}{route}", timeout=10).status_code == 404, route


def test_a_store_manager_sees_no_claim_and_the_office_no_store(
    site: tuple[str, str, dict[str, str]],
) -> None:
    url, number, _ = site
    nora = _signed_in(url, "nora")
    for path in ("/dashboard/claims", f"/dashboard/claims/{number}"):
        answer = nora.get(f"{url}{path}?format=json", timeout=10)
        assert answer.status_code == 403 and answer.json()["error"] == "not_for_stores"
    homes = {"vera": "/dashboard/claims", "abe": "/dashboard/claims", "lou": "/dashboard/dispatch"}
    for name, home in homes.items():
        office = _signed_in(url, name)
        landed = office.get(f"{url}/dashboard/", timeout=10, allow_redirects=False)
        assert (landed.status_code, landed.headers["location"]) == (303, home)
        for page in ("", "devices", "conflicts", "lookup", "reports"):
            answer = office.get(f"{url}/dashboard/{page}?format=json", timeout=10)
            assert answer.status_code == 403 and answer.json()["error"] == "stores_only", page
        assert office.get(f"{url}/dashboard/reports.csv", timeout=10).status_code == 403
        assert office.get(f"{url}/dashboard/claims/{number}?format=json", timeout=10).ok
    helpdesk = _signed_in(url, "hal").get(
        f"{url}/dashboard/claims/{number}?format=json", timeout=10
    )
    assert helpdesk.status_code == 200 and helpdesk.json()["documents"] is None
    assert "Lake Road" not in helpdesk.text and PHONE not in helpdesk.text


def test_claim_forms_need_their_token_and_the_right_role(
    site: tuple[str, str, dict[str, str]], engine: Engine
) -> None:
    url, number, _ = site
    decision = f"{url}/dashboard/claims/{number}/decision"
    for name in ("hal", "cam", "abe"):
        browser = _signed_in(url, name)
        page = browser.get(f"{url}/dashboard/claims/{number}", timeout=10).text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        answer = browser.post(decision, data={"decision": "reject", "reason": "unreadable",
                                              "csrf": csrf}, timeout=10)  # fmt: skip
        assert answer.status_code in (403, 409), (name, answer.status_code)
    vera = _signed_in(url, "vera")
    no_token = vera.post(decision, data={"decision": "reject", "reason": "unreadable"}, timeout=10)
    assert no_token.status_code == 403
    assert [s["status"] for s in claims.show(engine, number)["timeline"]] == ["received"]


def test_a_pdf_that_draws_for_minutes_holds_neither_the_page_nor_the_server(
    site: tuple[str, str, dict[str, str]], engine: Engine, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A stranger's 7 KB invoice that keeps pdfium drawing for minutes a page, opened by a
    verifier (its claim's page and every page of it at once, many times): each answer comes
    within seconds, the pages refused in words, and an honest PDF still draws."""
    monkeypatch.setattr(pdf_process, "DEADLINE_S", 1.5)
    url, _number, ids = site
    store = store_for(ServerSettings(documents_dir=str(tmp_path / "documents")), str(engine.url))
    draft = claims.ClaimDraft(
        campaign="ice-2026", serial=8, code="HV-8", tier="gold", value=500.0, event_id="web-8",
        phone=PHONE, name="M. Allory", address="1 Hill Road", id_type="aadhaar",
        id_number="1234 5678 9013", consent=True,
    )  # fmt: skip
    files = {"invoice": check_upload("invoice.pdf", slow_pdf(pages=3)), "id_front": photo(),
             "id_back": photo()}  # fmt: skip
    slow = claims.file_claim(engine, store, draft, files)
    invoice = dict((kind, i) for i, kind in document_ids(engine, slow))["invoice"]
    verifier = _signed_in(url, "vera")

    def opened(path: str) -> tuple[int, str, float]:
        started = time.monotonic()
        answer = verifier.get(f"{url}{path}", timeout=60)
        words = {422: "takes too long to draw", 503: "being drawn"}.get(answer.status_code, "")
        return answer.status_code, words if words in answer.text else "", time.monotonic() - started

    paths = [f"/dashboard/documents/{invoice}/pages/{1 + i % 3}" for i in range(40)]
    with ThreadPoolExecutor(40) as burst:
        answers = list(burst.map(opened, [f"/dashboard/claims/{slow}?format=json", *paths]))
    assert answers[0][0] == 200
    said = {(status, words) for status, words, _ in answers[1:]}
    assert said <= {(422, "takes too long to draw"), (503, "being drawn")}, said
    assert max(took for _, _, took in answers) < 10
    assert opened(f"/dashboard/documents/{ids['invoice']}/pages/2")[0] == 200
