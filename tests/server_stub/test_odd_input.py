"""What an attacker sends the dashboard and the API: every odd request gets a 4xx with the
security headers, never a 500; redirects never name a host; sign-out ends the session at the
server; a person's sessions are capped. A real server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
import requests

from server_stub.accounts import sessions, users
from server_stub.catalog import store_setup
from server_stub.dashboard import pages
from server_stub.database.connection import admin_token
from tests.live import live_server
from tests.world import World

PASSWORD = "correct horse battery"
SECURED = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


class Site:
    def __init__(self, world: World, url: str) -> None:
        self.world, self.url = world, url
        with world.engine.connect() as conn:
            self.admin = {"Authorization": f"Bearer {admin_token(conn)}"}

    def signed_in(self, name: str = "ann") -> tuple[requests.Session, str]:
        """A browser's session signed in as `name`, and its CSRF token for forms."""
        browser = requests.Session()
        form = browser.get(f"{self.url}/dashboard/login", timeout=5).text
        csrf = form.split('name="csrf" value="')[1].split('"')[0]
        signed = browser.post(f"{self.url}/dashboard/login", timeout=10, data={
            "username": name, "password": PASSWORD, "csrf": csrf})  # fmt: skip
        assert signed.url.endswith("/dashboard/"), signed.url
        page = browser.get(f"{self.url}/dashboard/conflicts", timeout=5).text
        return browser, page.split('name="csrf" value="')[1].split('"')[0]


@pytest.fixture
def site(world: World) -> Iterator[Site]:
    world.setup()
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    with live_server(world.engine, world.service) as url:
        yield Site(world, url)


def _raw(url: str, request: bytes) -> int:
    """The status of a request sent as these bytes (what requests would refuse to send)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as s:
        s.sendall(request)
        answer = s.recv(65536)
    return int(answer.split(b" ", 2)[1])


def test_no_odd_request_gets_a_server_error(site: Site) -> None:
    url, admin = site.url, site.admin
    browser, csrf = site.signed_in()
    login = browser.cookies.get("instore_login") or ""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    json_body = {**admin, "Content-Type": "application/json"}
    odd: dict[str, Callable[[], requests.Response]] = {
        # forms: too many fields, too large, odd encodings, multipart, NUL bytes
        "25 fields": lambda: requests.post(f"{url}/dashboard/login", headers=form,
                                           data="&".join(f"f{i}=1" for i in range(25))),
        "a 5,000-byte field": lambda: requests.post(f"{url}/dashboard/login",
                                                    data={"username": "x" * 5000}),
        "bytes not UTF-8": lambda: requests.post(f"{url}/dashboard/login", headers=form,
                                                 data=b"username=\xff\xfe&password=\xc0"),
        "UTF-16": lambda: requests.post(
            f"{url}/dashboard/login", data="username=ann".encode("utf-16"),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-16"}),
        "bad multipart": lambda: requests.post(
            f"{url}/dashboard/login", data=b"--x\r\nContent-Disposition: garbage\r\n",
            headers={"Content-Type": "multipart/form-data; boundary=x"}),
        "NUL in a username": lambda: browser.post(f"{url}/dashboard/login", data={
            "username": "a\x00b", "password": "p", "csrf": login}),
        "NUL in a note": lambda: browser.post(f"{url}/dashboard/conflicts/1/propose", data={
            "csrf": csrf, "action": "recover", "note": "x\x00y"}),
        "NUL in a lookup": lambda: browser.get(f"{url}/dashboard/lookup", params={"q": "a\x00"}),
        "NUL in a filter": lambda: browser.get(f"{url}/dashboard/conflicts",
                                               params={"store": "\x00", "state": "\x00"}),
        "a conflict id past 64 bits": lambda: browser.post(
            f"{url}/dashboard/conflicts/99999999999999999999999/propose",
            data={"csrf": csrf, "action": "recover", "note": "x"}),
        "a proposal id past 64 bits": lambda: browser.post(
            f"{url}/dashboard/proposals/99999999999999999999/decide",
            data={"csrf": csrf, "decision": "approve"}),
        "a gzip form that is not gzip": lambda: requests.post(
            f"{url}/dashboard/login", data=b"xx", headers={"Content-Encoding": "gzip"}),
        # paths
        "../ to a file": lambda: requests.get(f"{url}/dashboard/static/..%2f..%2fweb.py"),
        "NUL in a path": lambda: requests.get(f"{url}/dashboard/%00"),
        "bytes not UTF-8 in a path": lambda: requests.get(f"{url}/dashboard/%ff%fe"),
        "a page and a slash": lambda: browser.get(f"{url}/dashboard/lookup/"),
        "PUT a page": lambda: requests.put(f"{url}/dashboard/"),
        # the API
        "non-ASCII admin token": lambda: requests.get(
            f"{url}/v1/admin/stores", headers={"Authorization": "Bearer caf\xe9"}),
        "NUL in a query": lambda: requests.get(f"{url}/v1/admin/conflicts", headers=admin,
                                               params={"store": "\x00"}),
        "NUL in a path id": lambda: requests.post(f"{url}/v1/admin/devices/%00/revoke",
                                                  headers=admin),
        "JSON 100,000 deep": lambda: requests.post(f"{url}/v1/admin/stores", data="[" * 100_000,
                                                   headers=json_body),
        "JSON not UTF-8": lambda: requests.post(f"{url}/v1/admin/stores", headers=json_body,
                                                data=b'{"id": "\xff", "name": "x"}'),
        "JSON with NUL": lambda: requests.post(f"{url}/v1/admin/stores", headers=json_body,
                                               data=b'{"id": "a", "name": "x\\u0000"}'),
        "non-ASCII device headers": lambda: requests.post(f"{url}/v1/pull", data=b"{}", headers={
            "X-Instore-Device": "\xe9", "X-Instore-Timestamp": "\xe9",
            "X-Instore-Nonce": "\xe9", "X-Instore-Signature": "\xe9"}),
        "OPTIONS": lambda: requests.options(f"{url}/v1/push"),
        "an API path and a slash": lambda: requests.get(f"{url}/v1/health/"),
    }  # fmt: skip
    answers = {name: send() for name, send in odd.items()}
    # a NUL in what is only read, never stored, finds nothing (SQLite) or is refused (PostgreSQL)
    read_only = {"NUL in a lookup", "NUL in a filter", "NUL in a query"}
    assert {n: a.status_code for n, a in answers.items() if a.status_code >= 500} == {}
    assert {
        n: a.status_code for n, a in answers.items()
        if not 400 <= a.status_code < 500 and n not in read_only
    } == {}  # fmt: skip
    for name, answer in answers.items():
        for header, words in SECURED.items():
            assert words in answer.headers.get(header, ""), (name, header)
    assert answers["25 fields"].status_code == 400
    assert "more than 20 fields" in answers["25 fields"].text  # a page, said in words
    assert answers["a 5,000-byte field"].status_code == 413
    # what the HTTP parser refuses before the app: still a 4xx
    assert _raw(url, b"GET /dashboard/ HTTP/1.1\r\nHost: x\r\nCookie: a=\x01\r\n\r\n") == 400
    assert _raw(url, b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n") in (400, 414)


def test_error_pages_carry_the_security_headers(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, admin = site.url, site.admin
    browser, _ = site.signed_in()

    def broken(*_: object) -> dict[str, object]:
        raise RuntimeError("a bug in a page")

    monkeypatch.setattr(pages, "overview", broken)
    monkeypatch.setattr(store_setup, "list_stores", broken)
    answers = {
        404: [requests.get(f"{url}/dashboard/nowhere"), requests.get(f"{url}/v1/nowhere")],
        405: [requests.delete(f"{url}/dashboard/login"), requests.get(f"{url}/v1/push")],
        413: [requests.post(f"{url}/dashboard/login", data=b"x" * 5000),
              requests.post(f"{url}/v1/push", data=b"x" * (5 * 2**20))],
        422: [browser.post(f"{url}/dashboard/conflicts/x/propose"),
              requests.post(f"{url}/v1/admin/stores", json={}, headers=admin)],
        500: [browser.get(f"{url}/dashboard/"), requests.get(f"{url}/v1/admin/stores",
                                                            headers=admin)],
    }  # fmt: skip
    for status, (page, api) in answers.items():
        assert (page.status_code, api.status_code) == (status, status)
        for answer in (page, api):
            for header, words in SECURED.items():
                assert words in answer.headers.get(header, ""), (status, answer.url, header)
        assert page.headers["content-type"].startswith("text/html"), status  # for a person
        assert api.json()["error"] and api.json()["message"]  # JSON for a program
    assert "Traceback" not in answers[500][0].text and "a bug" not in answers[500][1].text


def test_a_redirect_never_names_the_host_a_client_claimed(site: Site) -> None:
    url = site.url
    evil = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    browser, csrf = site.signed_in()
    login = requests.Session()
    login.get(f"{url}/dashboard/login", timeout=5)
    answers = [
        requests.get(f"{url}/dashboard", headers=evil, allow_redirects=False),
        requests.get(f"{url}/dashboard/", headers=evil, allow_redirects=False),
        requests.get(f"{url}/dashboard/reports.csv", headers=evil, allow_redirects=False),
        # cookies by hand: requests matches them to the Host header, not the address
        requests.post(f"{url}/dashboard/login", allow_redirects=False, headers={
            **evil, "Cookie": f"instore_login={login.cookies['instore_login']}"}, data={
            "username": "ann", "password": "wrong", "csrf": login.cookies["instore_login"]}),
        requests.post(f"{url}/dashboard/logout", allow_redirects=False, headers={
            **evil, "Cookie": f"instore_session={browser.cookies['instore_session']}"},
            data={"csrf": csrf}),
    ]  # fmt: skip
    for answer in answers:
        assert answer.status_code == 303, answer.url
        location = answer.headers["location"]
        assert location.startswith("/dashboard") and "evil" not in location, location


def test_sign_out_ends_the_session_at_the_server_without_its_csrf_token(site: Site) -> None:
    url = site.url
    for form in ({}, {"csrf": "forged"}):
        browser, _ = site.signed_in()
        cookie = {"instore_session": browser.cookies["instore_session"]}
        assert requests.get(f"{url}/dashboard/?format=json", cookies=cookie).status_code == 200
        out = requests.post(f"{url}/dashboard/logout", cookies=cookie, data=form,
                            allow_redirects=False)  # fmt: skip
        assert out.status_code == 303 and out.headers["location"] == "/dashboard/login"
        # a stolen copy of the cookie is worth nothing now
        assert requests.get(f"{url}/dashboard/?format=json", cookies=cookie).status_code == 401


def test_a_persons_sessions_are_capped_and_the_oldest_ends_first(world: World) -> None:
    world.setup()
    ann = int(str(users.create_user(world.engine, "ann", PASSWORD, "admin")["id"]))
    bob = int(str(users.create_user(world.engine, "bob", PASSWORD, "admin")["id"]))
    now = time.time()
    bobs = sessions.open_session(world.engine, bob, now)
    opened = [sessions.open_session(world.engine, ann, now + i) for i in range(8)]
    cap = sessions.MAX_PER_USER
    assert cap == 5
    alive = [sessions.session(world.engine, t, now + 8) is not None for t in opened]
    assert alive == [False] * (8 - cap) + [True] * cap
    assert sessions.session(world.engine, bobs, now + 8) is not None  # another person's stay
    # sessions opened in the same second: the new one always stays
    for _ in range(3):
        same = sessions.open_session(world.engine, ann, now + 9)
        assert sessions.session(world.engine, same, now + 9) is not None
