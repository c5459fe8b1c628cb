"""A phone's browser and a POS program over loopback HTTP, for the scripted day: cookies, a
form's CSRF token and hidden fields carried as a browser carries them, files sent as multipart.
Standard library only (urllib): the server's rooms do not import requests."""

from __future__ import annotations

import html
import http.cookiejar
import json
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

Files = Mapping[str, tuple[str, bytes, str]]  # field -> (file name, content, content type)


class Browser:
    """One phone's visit to the server: paths, not URLs; the last page kept."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.page = ""
        self.status = 0

    def open(self, path: str) -> str:
        return self._send(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: Mapping[str, str], files: Files | None = None) -> str:
        """The page's form: its CSRF token and hidden fields, with `fields` over them."""
        sent = {**self.hidden(), **fields}
        if files:
            body, kind = _multipart(sent, files)
        else:
            body, kind = urllib.parse.urlencode(sent).encode(), "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, body, {"Content-Type": kind})
        return self._send(request)

    def hidden(self) -> dict[str, str]:
        found = re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', self.page)
        return {name: html.unescape(value) for name, value in found}

    def _send(self, request: urllib.request.Request) -> str:
        try:
            with self.opener.open(request, timeout=30) as answer:
                self.status, self.page = answer.status, answer.read().decode()
        except urllib.error.HTTPError as refused:
            self.status, self.page = refused.code, refused.read().decode()
        return self.page


def call_json(url: str, body: Mapping[str, Any] | None = None, token: str = "") -> Any:
    """POST (or GET without a body) JSON; the answer's JSON, refusals included."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return json.loads(refused.read() or b"{}")


def post_form(url: str, fields: Mapping[str, str]) -> str:
    """A form posted once, its answer's text (a USSD gateway's call)."""
    body = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(urllib.request.Request(url, body), timeout=30) as answer:
        return str(answer.read().decode())


def _multipart(fields: Mapping[str, str], files: Files) -> tuple[bytes, str]:
    boundary = "demo" + secrets.token_hex(12)
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            .encode()
        )  # fmt: skip
    for name, (filename, content, kind) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}";'
            f' filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
