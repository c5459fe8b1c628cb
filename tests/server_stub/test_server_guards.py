"""`instore server` as a chain runs it, attacked at the socket and the log, and watched by an
operator: forged log lines, a slowloris client, and /metrics with several workers."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import requests

from server_stub import metrics
from server_stub.log_format import escaped
from tests.live import ServerProcess
from tests.world import World


def test_a_path_with_cr_lf_or_an_ansi_escape_writes_no_line_of_its_own(tmp_path: Path) -> None:
    server = ServerProcess(str(tmp_path / "server.db"), tmp_path)
    server.start()
    try:
        forged = "2026-01-01 00:00:00,000 INFO POST /v1/admin/stores 200 1.0 ms device=-"
        for path in (f"/x%0D%0A{forged.replace(' ', '%20')}", "/y%1B%5B2J%1B%5B31mred%C2%85z"):
            assert requests.get(f"{server.url}{path}", timeout=5).status_code == 404
        deadline = time.monotonic() + 10
        while "GET /y" not in server.output() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.stop()
    lines = server.output().splitlines()
    assert not any(line.startswith("2026-01-01 00:00:00,000 INFO POST") for line in lines)
    assert any("\\r\\n2026-01-01" in line and " 404 " in line for line in lines)
    assert "\x1b" not in server.output() and "\\x1b[2J\\x1b[31mred\\x85z" in server.output()
    assert escaped("a\u2028b\x00\t") == "a\\u2028b\\x00\\t"


def _slow(url: str) -> socket.socket:
    """A slowloris client: half a request's headers, then silence."""
    port = int(url.rsplit(":", 1)[1])
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    return s


def test_a_client_that_never_finishes_its_headers_is_dropped_and_others_are_served(
    tmp_path: Path,
) -> None:
    server = ServerProcess(str(tmp_path / "server.db"), tmp_path, args=["--header-timeout", "1"])
    server.start()
    try:
        began = time.monotonic()
        slow = [_slow(server.url) for _ in range(20)]
        silent = socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
        # meanwhile everyone else is served at once
        assert requests.get(f"{server.url}/v1/health", timeout=2).status_code == 200
        for s in slow:
            answer = s.recv(4096)  # 408, then the server closes: recv returns at once after
            assert answer.startswith(b"HTTP/1.1 408") and s.recv(4096) == b""
            s.close()
        silent.settimeout(5)
        assert silent.recv(4096).startswith(b"HTTP/1.1 408")
        silent.close()
        took = time.monotonic() - began
        assert 0.9 < took < 3.5, took
        # a slow but steady request within the limit is served
        steady = _slow(server.url)
        time.sleep(0.5)
        steady.sendall(b"1\r\n\r\n")
        assert steady.recv(4096).startswith(b"HTTP/1.1 200")
        steady.close()
        metrics = requests.get(f"{server.url}/metrics", timeout=5).text
        assert "instore_slow_headers_dropped_total 21.0" in metrics
    finally:
        server.stop()


def _value(text: str, name: str, **labels: str) -> float:
    """A sample's value in Prometheus' text format (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_add_up_every_worker_and_answer_only_this_machine_or_the_token(
    tmp_path: Path,
) -> None:
    token = "m3tr1cs-t0ken-for-prometheus"
    (tmp_path / "metrics.token").write_text(token + "\n")
    server = ServerProcess(str(tmp_path / "server.db"), tmp_path, workers=2,
                           args=["--metrics-token-file", str(tmp_path / "metrics.token")])  # fmt: skip
    server.start()
    try:
        for _ in range(30):  # a new connection each: both workers take some
            requests.get(f"{server.url}/v1/health", timeout=5, headers={"Connection": "close"})
        for n in range(5):
            requests.get(f"{server.url}/dashboard/conflicts/{n}/nowhere", timeout=5)
            requests.get(f"{server.url}/v1/admin/stores", timeout=5,
                         headers={"Authorization": f"Bearer wrong-{n}"})  # fmt: skip
        page = requests.get(f"{server.url}/metrics", timeout=5)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
        text = page.text
        # start() asked /v1/health until it answered: 30 and those, whichever worker took each
        health = _value(text, "instore_http_requests_total", route="/v1/health", status="200")
        assert 31 <= health <= 60, health
        assert _value(text, "instore_http_requests_total", route="unmatched", status="404") == 5
        assert "/dashboard/conflicts/0" not in text  # route templates, never raw paths
        assert _value(text, "instore_wrong_credentials_total", what="admin token") == 5
        assert _value(text, "instore_http_request_duration_seconds_count", route="/v1/health") >= 31
        assert _value(text, "instore_conflicts_open") == 0
        assert "instore_devices_silent" in text
        # through a proxy on this machine, or from elsewhere: only with the token
        proxied = {"X-Forwarded-For": "203.0.113.9"}
        assert requests.get(f"{server.url}/metrics", headers=proxied, timeout=5).status_code == 401
        wrong = {**proxied, "Authorization": "Bearer nope"}
        assert requests.get(f"{server.url}/metrics", headers=wrong, timeout=5).status_code == 401
        right = {**proxied, "Authorization": f"Bearer {token}"}
        assert requests.get(f"{server.url}/metrics", headers=right, timeout=5).status_code == 200
    finally:
        server.stop()


def _sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_ingest_counts_events_by_verdict_and_conflicts_by_kind(world: World) -> None:
    world.setup()
    a, b = world.device("s1", "A"), world.device("s2", "B")
    before = {v: _sample("instore_events_ingested_total", verdict=v)
              for v in ("accepted", "conflict", "repeat")}  # fmt: skip
    doubles = _sample("instore_conflicts_total", kind="double_redemption")
    for serial in range(3):
        a.terminal.redeem(world.code(serial))
        b.terminal.redeem(world.code(serial))
    assert a.sync().ok and b.sync().ok
    after = {v: _sample("instore_events_ingested_total", verdict=v) - before[v] for v in before}
    assert after == {"accepted": 3, "conflict": 3, "repeat": 0}
    assert _sample("instore_conflicts_total", kind="double_redemption") - doubles == 3
