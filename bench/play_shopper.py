"""A phone's browser at /play/ for bench/play_bench.py: a kept-alive connection, the cookies
the server sets, the CSRF token of the last page, and sign-in with the one-time password read
from the file SMS gateway's folder."""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from server_stub.play import visits
from server_stub.play.web import COOKIE

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_SIX = re.compile(r"(?<!\d)\d{6}(?!\d)")


@dataclass
class Answer:
    status: int
    text: str


@dataclass
class Shopper:
    """One phone's browser: a kept-alive connection, the visit's cookie and its last page. Plain
    http.client, not requests: the phones are not on the server's machine, and requests took
    a millisecond of these two cores for each page."""

    port: int
    phone: str
    address: str  # what the proxy says in X-Forwarded-For
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    page: str = ""
    entered: int = 0  # codes this phone won: its page lists up to 50 of them
    connection: http.client.HTTPConnection | None = None

    def ask(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        headers = {"X-Forwarded-For": self.address, "Cookie": cookie}
        body = urllib.parse.urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request(method, path, body, headers)
                response = self.connection.getresponse()
                text = response.read().decode()
                break
            except (http.client.RemoteDisconnected, ConnectionError):  # closed while idle
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        for given in response.headers.get_all("Set-Cookie") or []:
            name, _, value = given.split(";", 1)[0].partition("=")
            if value.strip('"') and "max-age=0" not in given.lower():
                self.cookies[name.strip()] = value
            else:  # deleted
                self.cookies.pop(name.strip(), None)
        self.page = text
        found = _CSRF.search(text)
        self.csrf = found.group(1) if found else self.csrf
        return Answer(response.status, text)

    def get(self, path: str) -> Answer:
        return self.ask("GET", path)

    def post(self, **fields: str) -> Answer:
        return self.ask("POST", "/play/", {"csrf": self.csrf, **fields})

    def sign_in(self, sms: Path) -> None:
        self.get("/play/")
        self.post(phone=self.phone)
        assert 'name="otp"' in self.page, self.page[:2000]
        self.post(otp=_password(sms, self.phone))
        assert 'name="code"' in self.page, self.page[:2000]

    def signed_in(self, visit: visits.Visit) -> None:
        """Signed in through the engine: the cookie and CSRF token a confirmed visit has."""
        self.cookies[COOKIE], self.csrf = visit.token, visit.csrf


def _password(sms: Path, phone: str) -> str:
    for _ in range(250):
        for path in sms.glob("*.json"):
            text = path.read_text()
            if f'"{phone}"' in text:
                return str(_SIX.findall(text.split('"text"', 1)[1])[0])
        time.sleep(0.02)
    raise AssertionError(f"no password for {phone} in {sms}")
