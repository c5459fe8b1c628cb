"""How requests reach the server: a small interface, with HTTP (requests) as the real one.

Tests put the server in-process behind the same interface, with faults (drops, duplicates,
delays) in between; the client cannot tell the difference.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from typing import Protocol

import requests

from codes.common.errors import InstoreError

GZIP_FROM_BYTES = 1024  # smaller bodies are not worth compressing


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class Unreachable(Exception):
    """The request did not get an answer: no route, refused, timed out, cut off."""


class Transport(Protocol):
    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Reply:
        """Deliver one request and return the answer, or raise Unreachable."""
        ...


def server_address(text: str) -> str:
    """The server's base URL from what a person typed: `127.0.0.1:8000` means http://..."""
    text = text.strip().rstrip("/")
    if "://" not in text:
        text = "http://" + text
    scheme, _, rest = text.partition("://")
    if scheme.lower() not in ("http", "https") or not rest or " " in rest:
        raise InstoreError(
            "bad_server",
            f"{text!r} is not a server address; write it like http://10.0.0.5:8000",
        )
    return f"{scheme.lower()}://{rest}"


class HttpTransport:
    """The real thing: HTTP with keep-alive; large bodies go gzipped."""

    def __init__(self, base_url: str) -> None:
        self.base_url = server_address(base_url)
        self.session = requests.Session()

    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Reply:
        headers = {**headers, "Content-Type": "application/json"}
        if len(body) >= GZIP_FROM_BYTES:
            body = self.compress(body)
            headers["Content-Encoding"] = "gzip"
        try:
            r = self.session.request(
                method, self.base_url + path, data=body, headers=headers, timeout=timeout
            )
        except requests.Timeout:
            raise Unreachable(f"no answer from {self.base_url} within {timeout:g} s") from None
        except requests.ConnectionError:
            raise Unreachable(f"cannot connect to {self.base_url}") from None
        except requests.RequestException as exc:
            raise Unreachable(f"{type(exc).__name__} talking to {self.base_url}") from None
        return Reply(r.status_code, r.content, dict(r.headers))

    def compress(self, body: bytes) -> bytes:
        return gzip.compress(body, compresslevel=1)

    def close(self) -> None:
        self.session.close()
