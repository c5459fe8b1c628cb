"""What every request passes through before a route: a limit on the body (and on what a gzip
body unpacks to), and one log line per request. ASGI layers, so a route never sees a body too
large or a log line it could forge."""

from __future__ import annotations

import gzip
import logging
import time
import zlib
from collections.abc import Callable, Mapping, Sequence

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server_stub.errors import ApiError, error_body
from server_stub.log_format import OneLineFormatter
from sync import protocol


def error_response(exc: ApiError) -> Response:
    """An API error as the device API answers it: JSON, its status and any headers it names."""
    return Response(error_body(exc), exc.status, exc.headers, media_type="application/json")


class BodyLimit:
    """Refuse oversized bodies (413) and unpack gzip ones before anything else reads them.

    `streamed`: paths whose bodies are larger (a prize claim's documents) and are read by their
    route as they arrive, never held whole here: refused up front past their limit by their
    Content-Length, and cut off should they run past it anyway.
    """

    def __init__(
        self, app: ASGIApp, limit: int = protocol.MAX_BODY_BYTES,
        streamed: Mapping[str, int] | None = None,
    ) -> None:  # fmt: skip
        self.app, self.limit, self.streamed = app, limit, dict(streamed or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.streamed:
            await self._streamed(self.streamed[scope["path"]], scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                too_large = ApiError(
                    413, "too_large", f"the request body is over {self.limit} bytes"
                )
                await error_response(too_large)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        headers = dict(scope["headers"])
        if headers.get(b"content-encoding", b"").lower() == b"gzip":
            try:
                body = _gunzip(body, self.limit)
            except ApiError as exc:
                await error_response(exc)(scope, receive, send)
                return
            scope = dict(scope)
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-encoding"]
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _streamed(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        refusal = None
        if headers.get(b"content-encoding"):
            refusal = ApiError(415, "bad_body", "this form is sent as it is, not compressed")
        elif not length.isdigit():
            refusal = ApiError(411, "length_required", "send the form with its Content-Length")
        elif int(length) > limit:
            refusal = ApiError(413, "too_large", f"the request body is over {limit} bytes")
        if refusal is not None:
            await error_response(refusal)(scope, receive, send)
            return
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            return {"type": "http.disconnect"} if size > limit else message

        await self.app(scope, counted, send)


def _gunzip(body: bytes, limit: int) -> bytes:
    try:
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = inflate.decompress(body, limit + 1)
    except (zlib.error, gzip.BadGzipFile):
        raise ApiError(400, "bad_body", "the body is not valid gzip") from None
    if len(out) > limit:
        raise ApiError(413, "bad_body", f"the unpacked body is too large (over {limit} bytes)")
    return out


REQUEST_LOG = logging.getLogger("instore.server.requests")


RequestSeen = Callable[[Scope, int, float], None]  # the request, its status, its seconds


class RequestTimer:
    """Times each request and notes its status, then tells each observer: the log line, the
    metrics. One layer, so both see the same status and the same time."""

    def __init__(self, app: ASGIApp, observers: Sequence[RequestSeen]) -> None:
        self.app = app
        self.observers = tuple(observers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began, status = time.perf_counter(), 500

        async def note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, note_status)
        finally:
            seconds = time.perf_counter() - began
            for observe in self.observers:
                observe(scope, status, seconds)


def log_request(scope: Scope, status: int, seconds: float) -> None:
    """One line per request: method, path, status, milliseconds, and the device that signed it.

    Never a body, a query string or a header's secret: a device id is no secret.
    """
    if not REQUEST_LOG.isEnabledFor(logging.INFO):
        return
    device = dict(scope["headers"]).get(protocol.DEVICE.lower().encode(), b"-")
    REQUEST_LOG.info(
        "%s %s %d %.1f ms device=%s", scope["method"], scope["path"], status, seconds * 1000,
        device.decode("ascii", "replace")[:64],
    )  # fmt: skip


def configure_logging(level: str) -> None:
    """The server's own lines on standard error, at `level` (debug, info, warning, error); each
    one line, whatever a request put in it (see log_format)."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
