"""`instore server` as a store chain starts it: it says where it listens and logs each request."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from sync import protocol
from tests.live import ServerProcess


def test_the_server_says_where_it_listens_and_logs_one_line_per_request(tmp_path: Path) -> None:
    server = ServerProcess(str(tmp_path / "server.db"), tmp_path)
    server.start()
    try:
        secret = "5ec2e7-signature-never-logged"
        headers = {protocol.DEVICE: "dev-42", protocol.SIGNATURE: secret,
                   protocol.TIMESTAMP: "1", protocol.NONCE: "n"}  # fmt: skip
        answer = requests.post(f"{server.url}/v1/push", data=b"{}", headers=headers, timeout=5)
        assert answer.status_code in (401, 422)
        assert requests.get(f"{server.url}/docs", timeout=5).status_code == 404  # no CDN page
        assert requests.get(f"{server.url}/openapi.json", timeout=5).status_code == 200
        deadline = time.monotonic() + 10
        while "openapi.json 200" not in server.output() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.stop()
    log = server.output()
    assert f"instore server on {server.url}" in log
    assert f"POST /v1/push {answer.status_code}" in log and "device=dev-42" in log
    assert "GET /v1/health 200" in log  # start() waits on it
    assert secret not in log


def test_a_taken_port_is_named_with_the_option_before_anything_starts(tmp_path: Path) -> None:
    """A second server on the first one's port says so in one line naming the port and --port,
    and exits 2 before printing the banner or touching the database."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "instore_cli", "server", "--db", "server.db", "--port",
             str(port)],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"port {port} on 127.0.0.1 is taken" in done.stderr and "--port" in done.stderr
    assert "instore server on" not in done.stdout and not (tmp_path / "server.db").exists()


def test_a_server_process_lets_a_waiting_thread_run_within_a_millisecond(tmp_path: Path) -> None:
    """A worker as `instore server --workers N` starts one (app_from_environment): at Python's
    5 ms, a code entry's thread waited that long for the interpreter lock after each answer
    from the database while other requests ran, and /play/'s p95 under load doubled."""
    script = (
        "import sys\nfrom server_stub import app\napp.app_from_environment()\n"
        "print(sys.getswitchinterval())"
    )
    env = {**os.environ, "INSTORE_SERVER_DB": str(tmp_path / "server.db")}
    subprocess.run([sys.executable, "-m", "instore_cli", "admin", "--db", env["INSTORE_SERVER_DB"],
                    "migrate"], check=True, capture_output=True, env=env)  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert float(done.stdout.split()[-1]) == 0.001
