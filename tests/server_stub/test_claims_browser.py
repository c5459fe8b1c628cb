"""The prize office in a real browser (Debian's chromium, driven by Playwright): a winner files a
claim at /play/ with a real photo and PDF, a verifier takes it from the queue, reads the
documents (the photo as re-encoded, the PDF's pages drawn by the server), ticks each checklist
and recommends approval; her own approval is refused at the server; an approver, another
person, approves; the prize is dispatched and delivered, and every step is on the claim's
timeline with who and when. The helpdesk sees the claim's status and timeline, masked.

Pictures of every step go to tests/artifacts/claims/ for people to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, Response
from playwright.sync_api import Error as PlaywrightError

from server_stub.accounts import users
from server_stub.prizes import claims
from tests.server_stub.play.shopper import (
    TIERS,
    Client,
    Shopper,
    serial_of_tier,
    server_for,
    sms_folder,
)
from tests.server_stub.play.test_play_browser import _pdf, _photo
from tests.server_stub.play.test_play_pages import _claim
from tests.server_stub.test_dashboard_browser import PASSWORD, _sign_in, browser
from tests.world import World

__all__ = ["browser"]  # the module's browser fixture, shared
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "claims"
PHONE = "+919876543210"

pytestmark = pytest.mark.parametrize("server_url", ["sqlite"], indirect=True)


@pytest.fixture
def office(world: World) -> Iterator[str]:
    world.setup(tiers=TIERS)
    for name, role in (("vera", "verifier"), ("abe", "approver"), ("hel", "helpdesk")):
        users.create_user(world.engine, name, PASSWORD, role)
    with server_for(world) as url:
        yield url


def _shot(page: Page, name: str) -> None:
    """A picture of the page; chromium under load sometimes refuses one capture: asked twice."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for attempt in (1, 2):
        try:
            page.screenshot(path=str(SHOTS / name), full_page=True)
            return
        except PlaywrightError:
            if attempt == 2:
                raise
            page.wait_for_timeout(200)


def _file_a_claim(world: World, url: str, folder: Path) -> str:
    """A winner at /play/: phone, password, the gold code, the claim form with an invoice as a
    PDF scan and the ID's two sides as phone photos."""
    shopper = Shopper(Client(url), sms_folder(world)).sign_in(PHONE)
    shopper.enter(world.code(serial_of_tier(world, "gold")))
    link = re.search(r'href="(/play/claim\?event=[^"]+)"', shopper.html)
    assert link, shopper.html
    shopper.open(link.group(1).replace("&amp;", "&"))
    _claim(
        shopper,
        invoice=("invoice.pdf", _pdf(folder, "invoice.pdf").read_bytes(), "application/pdf"),
        id_front=("front.jpg", _photo(folder, "front.jpg", "ID FRONT", 2).read_bytes(), "image/jpeg"),
        id_back=("back.jpg", _photo(folder, "back.jpg", "ID BACK", 3).read_bytes(), "image/jpeg"),
    )  # fmt: skip
    found = re.search(r"CL-[0-9A-Z]{8}", shopper.html)
    assert found, shopper.html
    return found.group(0)


class Desk:
    """One person's browser at the dashboard, with every failed request and script error."""

    def __init__(self, browser: Browser, url: str, name: str) -> None:
        self.url, self.name = url, name
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.problems: list[str] = []
        self.documents: list[Response] = []
        self.page.on("console", lambda m: self._note(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self._note(str(e)))
        self.page.on("response", self._answered)
        _sign_in(self.page, url, name)

    def _note(self, problem: str) -> None:
        self.problems.append(problem)

    def _answered(self, response: Response) -> None:
        if "/dashboard/documents/" in response.url:
            self.documents.append(response)
        elif response.status >= 400:
            self.problems.append(f"{response.status} {response.url}")

    def click(self, name: str, within: str = "main") -> None:
        with self.page.expect_navigation():
            self.page.locator(within).get_by_role("button", name=name, exact=True).click()

    def text(self, selector: str = "main") -> str:
        return self.page.locator(selector).inner_text()

    def cookies(self) -> dict[str, str]:
        return {c["name"]: c["value"] for c in self.page.context.cookies()}

    def close(self) -> None:
        assert not self.problems, self.problems
        self.page.close()


def test_a_claim_goes_from_received_to_delivered_by_two_people_and_no_self_approval(
    world: World, office: str, browser: Browser, tmp_path: Path
) -> None:
    url = office
    number = _file_a_claim(world, url, tmp_path)

    vera = Desk(browser, url, "vera")
    assert vera.page.url == f"{url}/dashboard/claims"  # the office lands at its work
    row = vera.page.locator(f"#row-{number}")
    assert "received" in row.inner_text() and "gold" in row.inner_text()
    _shot(vera.page, "1-queue-verifier.png")
    row.get_by_role("checkbox").check()  # taken from the queue with the bulk form
    vera.click("Start verification")
    assert f"{number}\tnow in verification" in vera.text(".results")
    _shot(vera.page, "2-queue-taken.png")

    vera.page.get_by_role("link", name=number).first.click()
    vera.page.wait_for_url(f"{url}/dashboard/claims/{number}")
    assert "+919876543210" in vera.text() and "12 MG Road" in vera.text()  # hers to check
    sheets = vera.page.locator(".document img")
    assert sheets.count() == 3  # the invoice's one page drawn by the server, two photos
    for i in range(3):
        sheets.nth(i).scroll_into_view_if_needed()
    vera.page.wait_for_load_state("networkidle")
    drawn = {r.url.rsplit("/", 2)[-2] + "/" + r.url.rsplit("/", 1)[-1]: r for r in vera.documents}
    assert [r.status for r in vera.documents] == [200, 200, 200]
    assert sorted(r.headers["content-type"] for r in vera.documents) == [
        "image/jpeg", "image/jpeg", "image/png",
    ]  # fmt: skip
    assert any(key.startswith("pages/") for key in drawn)
    assert vera.page.get_by_role("button", name="Recommend approval").is_disabled()
    _shot(vera.page, "3-claim-to-check.png")

    for kind in ("invoice", "id_front", "id_back"):
        card = vera.page.locator(f"#document-{kind}")
        for box in card.get_by_role("checkbox").all():
            box.check()
        vera.click("Save checklist", f"#document-{kind}")
        assert vera.text(".done") == "Checklist saved."
    assert "Saved by vera" in vera.text("#document-id_back")
    vera.page.locator("form.decide").first.locator("textarea").fill("Name and date match.")
    vera.click("Recommend approval")
    assert vera.text(".done") == "Recommendation saved: an approver decides it."
    assert "You made this recommendation" in vera.text()
    assert vera.page.locator("#decision").count() == 0  # no form to decide it herself
    _shot(vera.page, "4-recommended.png")

    # her own approval, posted all the same (a form kept from before, a crafted request)
    csrf = vera.page.locator("input[name=csrf]").first.get_attribute("value") or ""
    forged = requests.post(
        f"{url}/dashboard/claims/{number}/decision", cookies=vera.cookies(), timeout=10,
        data={"decision": "approve", "reason": "documents_match", "csrf": csrf},
    )  # fmt: skip
    assert forged.status_code == 403 and "Nobody decides their own recommendation" in forged.text
    assert claims.show(world.engine, number)["status"] == "in_verification"
    vera.close()

    abe = Desk(browser, url, "abe")
    assert abe.page.url == f"{url}/dashboard/claims"
    assert "vera recommends approve" in abe.text(f"#row-{number}")  # waiting for him
    abe.page.get_by_role("link", name=number).first.click()
    abe.page.wait_for_url(f"{url}/dashboard/claims/{number}")
    assert "vera recommends approve" in abe.text()
    _shot(abe.page, "5-to-approve.png")
    abe.click("Approve")
    assert abe.text(".done") == "Decision saved. The winner is told."
    assert claims.show(world.engine, number)["status"] == "approved"

    # dispatch and delivery, as the dispatch page or the shipping partner's file would do
    claims.move(world.engine, number, "dispatched", "lou", carrier="India Post",
                tracking="EE123456789IN")  # fmt: skip
    claims.move(world.engine, number, "delivered", "lou")
    abe.page.reload()
    assert abe.page.locator("h1 .status").inner_text() == "delivered"
    steps = [
        tuple(cell.strip() for cell in line.split("\t")[1:3])
        for line in abe.text(".timeline").splitlines()[1:]
    ]
    assert steps == [
        ("received", "shopper"), ("in verification", "vera"), ("checked", "vera"),
        ("checked", "vera"), ("checked", "vera"), ("recommended", "vera"), ("approved", "abe"),
        ("dispatched", "lou"), ("delivered", "lou"),
    ]  # fmt: skip
    assert "India Post, tracking EE123456789IN" in abe.text()
    _shot(abe.page, "6-delivered.png")
    abe.close()

    hel = Desk(browser, url, "hel")
    hel.page.goto(f"{url}/dashboard/claims/{number}")
    text = hel.text()
    assert "delivered" in text and "abe" in text  # the status and the timeline, with who
    assert "12 MG Road" not in text and PHONE not in text and "••••3210" in text
    assert hel.page.locator(".document").count() == 0 and not hel.documents
    _shot(hel.page, "7-helpdesk.png")
    hel.close()
