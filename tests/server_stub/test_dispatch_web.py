"""The dispatch page over HTTP on a live server, as logistics uses it: the counts, the partner's
file downloaded and uploaded back, the answer page listing the applied rows and the bad ones by
line; an upload without the form's CSRF token, by another role, too large or of the wrong file
refused, and nothing moved by any of them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine

from server_stub.accounts import sessions, users
from server_stub.dashboard.web import COOKIE
from tests.live import live_server
from tests.server_stub.prizes.test_dispatch import CAMPAIGN, HEADER, claim_maker, state

PASSWORD = "correct horse battery"


@dataclass
class Office:
    engine: Engine
    url: str
    first: str
    second: str

    def signed_in(self, name: str) -> requests.Session:
        browser = requests.Session()
        form = browser.get(f"{self.url}/dashboard/login", timeout=10).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf is not None
        answer = browser.post(
            f"{self.url}/dashboard/login", timeout=10, allow_redirects=False,
            data={"username": name, "password": PASSWORD, "csrf": csrf.group(1)},
        )  # fmt: skip
        assert answer.status_code == 303 and "login" not in answer.headers["location"], name
        return browser

    def csrf(self, browser: requests.Session) -> str:
        """The session's form token, as every page of the dashboard carries it."""
        token = browser.cookies.get(COOKIE, path="/dashboard")
        found = sessions.session(self.engine, token or "")
        assert found is not None
        return found.csrf

    def upload(
        self, browser: requests.Session, data: bytes, csrf: str | None, json_answer: bool = False
    ) -> requests.Response:
        return browser.post(
            f"{self.url}/dashboard/dispatch/import{'?format=json' if json_answer else ''}",
            files={"csv": ("from-partner.csv", data, "text/csv")},
            data={} if csrf is None else {"csrf": csrf}, timeout=30,
        )  # fmt: skip


@pytest.fixture
def office(engine: Engine, tmp_path: Path) -> Iterator[Office]:
    make = claim_maker(engine, tmp_path)
    first, second = make(name="=1+2 <b>x</b>"), make()
    make("delivered")
    for name, role in (("lou", "logistics"), ("ann", "admin"), ("vic", "verifier"),
                       ("hal", "helpdesk")):  # fmt: skip
        users.create_user(engine, name, PASSWORD, role)
    with live_server(engine) as url:
        yield Office(engine, url, first, second)


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_logistics_downloads_the_file_and_uploads_the_partners_answer(office: Office) -> None:
    lou, url = office.signed_in("lou"), office.url
    page = lou.get(f"{url}/dashboard/dispatch", timeout=10)
    assert page.status_code == 200
    assert f"{CAMPAIGN} 2 0 1 Download to ship (2)" in text_of(page.text)
    counts = lou.get(f"{url}/dashboard/dispatch?format=json", timeout=10).json()
    assert counts["campaigns"] == [
        {"campaign": CAMPAIGN, "approved": 2, "dispatched": 0, "delivered": 1}
    ]
    download = lou.get(f"{url}/dashboard/dispatch/export.csv?campaign={CAMPAIGN}", timeout=10)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert re.fullmatch(
        rf'attachment; filename="dispatch-{CAMPAIGN}-to-ship-\d{{4}}-\d{{2}}-\d{{2}}.csv"',
        download.headers["content-disposition"],
    )
    sent = download.content.decode("utf-8-sig")
    assert f"{office.first},'=1+2 <b>x</b>," in sent and office.second in sent

    back = f"{HEADER}\r\n{office.first},India Post,EE1IN,\r\n{office.second},India Post,,\r\n"
    answer = office.upload(lou, back.encode(), office.csrf(lou))
    assert answer.status_code == 200
    said = text_of(answer.text)
    assert "1 claim dispatched, 0 delivered; 1 bad row, listed by line" in said
    assert (
        f"Bad rows: not applied line claim why 3 {office.second} carrier without a tracking"
        " number" in said
    )
    assert f"Applied line claim now 2 {office.first} dispatched" in said
    assert f"{CAMPAIGN} 1 1 1" in said  # the counts as they are now
    assert state(office.engine, office.first)[:3] == ("dispatched", "India Post", "EE1IN")
    assert office.csrf(lou) in answer.text  # the form is there for the fixed file
    timeline = json.dumps(state(office.engine, office.second))
    again = office.upload(lou, back.encode(), office.csrf(lou), json_answer=True)
    assert again.status_code == 200
    assert [u["line"] for u in again.json()["unchanged"]] == [2]
    assert json.dumps(state(office.engine, office.second)) == timeline


def test_an_upload_without_its_csrf_token_or_by_another_role_moves_nothing(
    office: Office,
) -> None:
    url, ship = office.url, f"{HEADER}\n{office.first},India Post,EE1IN,\n".encode()
    lou = office.signed_in("lou")
    forged = office.upload(lou, ship, None)
    assert forged.status_code == 403 and "The form had expired" in forged.text
    assert office.upload(lou, ship, "not-the-token").status_code == 403
    anonymous = requests.post(f"{url}/dashboard/dispatch/import", timeout=10,
                              files={"csv": ("f.csv", ship)}, data={"csrf": "x"})  # fmt: skip
    assert anonymous.status_code == 401
    for name in ("vic", "hal"):
        other = office.signed_in(name)
        refused = office.upload(other, ship, office.csrf(other))  # their own valid token
        assert refused.status_code == 403, name
        assert "Only logistics and admins ship prizes" in refused.text
        assert other.get(f"{url}/dashboard/dispatch", timeout=10).status_code == 403
        assert other.get(f"{url}/dashboard/dispatch?format=json", timeout=10).status_code == 403
        csv_file = other.get(f"{url}/dashboard/dispatch/export.csv?campaign={CAMPAIGN}", timeout=10)
        assert csv_file.status_code == 403 and office.first not in csv_file.text
    assert state(office.engine, office.first)[0] == "approved"
    ann = office.signed_in("ann")  # an admin may
    assert office.upload(ann, ship, office.csrf(ann)).status_code == 200
    assert state(office.engine, office.first)[0] == "dispatched"


def test_a_wrong_or_too_large_file_is_refused_on_the_page(office: Office) -> None:
    lou = office.signed_in("lou")
    wrong = office.upload(lou, f"number,courier\n{office.first},DHL\n".encode(), office.csrf(lou))
    assert wrong.status_code == 422
    said = text_of(wrong.text)
    assert "Nothing was imported. The first line must name the columns claim, carrier," in said
    assert 'name="csv"' in wrong.text  # beside the form, to send the right one
    as_json = office.upload(lou, b"number,courier\n", office.csrf(lou), json_answer=True)
    assert as_json.status_code == 422 and as_json.json()["error"] == "bad_tracking_file"
    # past the 4 MB every other form may send: this path's own limit (app.py) lets the browser
    # hear the page's words, not a bare 413
    big = (HEADER + "\n" + "x" * (5 * 1024 * 1024)).encode()
    too_large = office.upload(lou, big, office.csrf(lou))
    assert too_large.status_code == 413 and "The file is over 2 MB" in text_of(too_large.text)
    no_file = lou.post(f"{office.url}/dashboard/dispatch/import", timeout=10,
                       data={"csrf": office.csrf(lou)})  # fmt: skip
    assert no_file.status_code == 422
    assert "Choose the shipping partner's CSV file" in text_of(no_file.text)
    assert state(office.engine, office.first)[0] == "approved"
