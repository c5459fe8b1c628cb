"""A real server on loopback: uvicorn in a thread, or `instore server` as its own process."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests
import uvicorn
from sqlalchemy import Engine

from server_stub.app import create_app
from server_stub.device_api.service import SyncService


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(
    engine: Engine, service: SyncService | None = None, metrics_token: str | None = None
) -> Iterator[str]:
    """The server's base URL while the block runs."""
    port = free_port()
    app = create_app(engine, service, metrics_token=metrics_token)
    # as `instore server` runs it: X-Forwarded-For is the app's to believe (--trusted-proxy)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="error", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class ServerProcess:
    """`instore server` as its own process on loopback, as a store chain runs it."""

    def __init__(
        self, db: str, cwd: Path | None = None, workers: int = 1, args: Sequence[str] = ()
    ) -> None:
        self.db, self.cwd, self.port, self.workers = db, cwd, free_port(), workers
        self.args = list(args)  # more of `instore server`'s options, e.g. --trusted-proxy
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        # what it prints (its address, one line per request) goes to a file: a pipe nobody reads
        # would fill up and stall the server
        self.log = Path(tempfile.mkstemp(prefix="instore-server-", suffix=".log")[1])

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "instore_cli", "server", "--db", self.db, "--port",
                 str(self.port), "--workers", str(self.workers), *self.args],
                cwd=self.cwd, stdout=log, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(self.output())
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)
            self.process = None


@contextmanager
def server_process(db: str, workers: int = 1) -> Iterator[str]:
    server = ServerProcess(db, workers=workers)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
