"""A deadline for a request's headers, which uvicorn does not have.

uvicorn closes a connection idle between requests (`timeout_keep_alive`) but waits for ever on
one that has begun a request and sends its headers a byte at a time (slowloris): a few hundred
such connections hold every file descriptor the server has. This protocol is uvicorn's own
(httptools) with one timer more: from the connection's first moment, and from the first byte of
each later request, to the end of that request's headers. Past it the client gets 408 and the
connection is closed; requests on other connections go on as before.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server_stub import metrics

LOG = logging.getLogger("instore.server.security")
VARIABLE = "INSTORE_HEADER_TIMEOUT"  # how `instore server` hands its --header-timeout to workers
DEFAULT_S = 10.0
_BODY = b"the request's headers did not arrive in time\n"
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_BODY), _BODY)
)


class HeaderDeadline(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = float(os.environ.get(VARIABLE) or DEFAULT_S)
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a client that connects and says nothing is held no longer

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        metrics.SLOW_HEADERS.inc()
        host = self.client[0] if self.client else "-"
        LOG.warning(
            "closed a connection from %s: no complete request headers in %g s",
            host, self.header_timeout,
        )  # fmt: skip
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(_TIMED_OUT)
        self.transport.close()
