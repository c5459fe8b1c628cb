"""The bridge on loopback HTTP: the standard library's threaded server carrying bytes to `Bridge`.

Keep-alive (HTTP/1.1), so a POS that keeps its connection pays no handshake per scan.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pos_plugin.bridge import MAX_BODY, Bridge


class BridgeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, bridge: Bridge, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.bridge = bridge

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> threading.Thread:
        """Serve in a background thread (tests, the bench); `shutdown()` stops it."""
        thread = threading.Thread(target=self.serve_forever, name="pos-bridge", daemon=True)
        thread.start()
        return thread


DRAIN = 1024 * 1024  # an oversized body up to this size is read and dropped before the 413


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else a small answer waits ~40 ms for a delayed ACK
    server: BridgeServer

    def _serve(self) -> None:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked" or (
            length is not None and not length.isdigit()
        ):
            self._send(411, {"error": "length_required", "message": "Send a Content-Length."}, {})
            return
        size = int(length or 0)
        if size > MAX_BODY:
            # Read what was sent before answering: closing on unread data resets the connection,
            # and the POS would see a network error instead of this answer. Past DRAIN, it may.
            if size <= DRAIN:
                self.rfile.read(size)
            self.close_connection = True
            self._send(413, {"error": "too_large", "message": f"Requests are at most {MAX_BODY} bytes."}, {})  # fmt: skip
            return
        body = self.rfile.read(size) if size else b""
        status, data, extra = self.server.bridge.handle(
            self.command, self.path, dict(self.headers.items()), body
        )
        self._send(status, data, extra)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _send(self, status: int, data: object, extra: dict[str, str]) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the bridge logs each request itself, with its outcome
