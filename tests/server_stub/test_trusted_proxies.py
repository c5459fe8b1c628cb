"""`instore server` believes X-Forwarded-For only from the proxies it was told to trust: a
client that writes a new address into the header each time is still one address to the
throttle (uvicorn by itself believed the header from any process on the same machine)."""

from __future__ import annotations

import http.client
from collections.abc import Sequence
from pathlib import Path

import pytest

from server_stub.limits.throttle import ADMIN_TOKEN
from server_stub.settings import ServerSettings, proxy_network
from tests.codes.test_cli import instore
from tests.live import ServerProcess

PROXY = "127.0.0.2"  # the proxy in front of the server: another of this machine's addresses


def _wrong_tokens(url: str, forwarded: Sequence[str], source: str = "127.0.0.1") -> list[int]:
    """Wrong admin tokens, each naming another forwarded address, sent from `source` (any
    127.x address is this machine)."""
    host, port = url.removeprefix("http://").split(":")
    statuses = []
    for address in forwarded:
        conn = http.client.HTTPConnection(host, int(port), timeout=5, source_address=(source, 0))
        conn.request("GET", "/v1/admin/stores", headers={"Authorization": "Bearer guess",
                                                         "X-Forwarded-For": address})  # fmt: skip
        statuses.append(conn.getresponse().status)
        conn.close()
    return statuses


def test_x_forwarded_for_is_believed_from_a_trusted_proxy_only(tmp_path: Path) -> None:
    server = ServerProcess(str(tmp_path / "server.db"), tmp_path, args=["--trusted-proxy", PROXY])
    server.start()
    try:
        # not from the proxy: a client that writes a new address each time is one address
        rotating = _wrong_tokens(server.url, [f"198.51.100.{i}" for i in range(12)])
        # from the proxy: each client it forwards counts alone...
        apart = _wrong_tokens(server.url, [f"192.0.2.{i}" for i in range(12)], PROXY)
        # ...by the address the proxy saw, not what the client wrote left of it
        spoofed = _wrong_tokens(server.url, [f"192.0.2.{i}, 203.0.113.9" for i in range(12)],
                                PROXY)  # fmt: skip
    finally:
        server.stop()
    assert rotating == [401] * ADMIN_TOKEN.most + [429, 429]
    assert apart == [401] * 12
    assert spoofed == [401] * ADMIN_TOKEN.most + [429, 429]


def test_a_trusted_proxy_that_is_no_address_is_refused_in_one_line(tmp_path: Path) -> None:
    done = instore("server", "--db", "server.db", "--trusted-proxy", "the load balancer",
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "'the load balancer' is not an address or a network" in done.stderr


def test_the_trusted_proxies_reach_every_worker_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """`instore server --workers N` hands its settings to the workers it starts by name."""
    given = ServerSettings(trusted_proxies=frozenset({proxy_network(PROXY),
                                                      proxy_network("10.0.0.0/8")}))  # fmt: skip
    for name, value in given.to_environment().items():
        monkeypatch.setenv(name, value)
    assert ServerSettings.from_environment() == given


def test_an_ipv4_client_on_a_dual_stack_socket_is_one_address() -> None:
    """A server listening on :: sees an IPv4 proxy as ::ffff:a.b.c.d; it is still the proxy
    named with --trusted-proxy a.b.c.d, and an IPv4 client counts as its IPv4 address."""
    from server_stub.client_address import client_address
    from server_stub.limits.throttle import address_key

    trusted = [proxy_network("10.0.0.5")]
    assert client_address("::ffff:10.0.0.5", ["203.0.113.7"], trusted) == "203.0.113.7"
    assert client_address("::ffff:198.51.100.9", ["203.0.113.7"], trusted) == "::ffff:198.51.100.9"
    assert address_key("::ffff:198.51.100.9") == address_key("198.51.100.9") == "198.51.100.9"
    assert address_key("2001:db8::1") == "2001:db8::/64"
