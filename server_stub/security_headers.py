"""The headers every answer carries (pages, the API, every error), and redirects that stay here.

A Location header never names a host: the Host header is the client's to write, and a redirect
built from it sends a person wherever a forged request said (cache poisoning, phishing links).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    # no inline script anywhere: a script that got into a page would not run
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self';"
    " img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
_RAW = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]


class SecurityHeaders:
    """Adds HEADERS to every answer that lacks them, and makes every Location relative."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": with_headers(message.get("headers", ()))}
            await send(message)

        await self.app(scope, receive, secured)


def with_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    out = [(k, relative(v) if k == b"location" else v) for k, v in headers]
    names = {k for k, _ in out}
    return out + [(k, v) for k, v in _RAW if k not in names]


def relative(location: bytes) -> bytes:
    """`http://any.host/dashboard/` as `/dashboard/`: this server redirects only to itself."""
    scheme, sep, rest = location.partition(b"://")
    if sep and b"/" not in scheme:
        location = b"/" + rest.partition(b"/")[2]
    while location.startswith(b"//"):  # `//host/path` names a host as well
        location = location[1:]
    return location
