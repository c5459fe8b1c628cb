"""An SMS gateway of our own on loopback, which records what it is sent and answers as told,
and a migrated server database to record messages in."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class LoopbackGateway:
    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 202  # what it answers
    delay_s: float = 0.0  # how long it thinks first
    headers: dict[str, str] = field(default_factory=dict)  # sent with the answer
    on_message: Callable[[dict[str, Any]], None] | None = None  # done before it answers


@pytest.fixture
def gateway() -> Iterator[LoopbackGateway]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True  # a handler still asleep does not hold the test's end
    state = LoopbackGateway(f"http://127.0.0.1:{server.server_address[1]}/send")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.received.append(Received(self.path, dict(self.headers), json.loads(body)))
            time.sleep(state.delay_s)
            if state.on_message is not None:
                state.on_message(state.received[-1].body)
            self.send_response(state.status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
