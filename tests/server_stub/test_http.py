"""The server over real HTTP on loopback: sync, admin, errors as JSON, and schemathesis."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.case import Case

from server_stub.database.connection import admin_token
from server_stub.records import conflicts
from sync.cycle import run_cycle
from sync.transport import HttpTransport
from tests.live import live_server
from tests.world import World


@pytest.fixture
def served(world: World) -> Iterator[tuple[World, str, str]]:
    world.setup()
    with world.engine.connect() as conn:
        token = admin_token(conn)
    with live_server(world.engine, world.service) as url:
        yield world, url, token


def test_devices_sync_over_http_and_the_admin_sees_the_conflict(
    served: tuple[World, str, str],
) -> None:
    world, url, token = served
    a = world.device("s1", "A", transport=HttpTransport(url))
    b = world.device("s2", "B", transport=HttpTransport(url))
    for device in (a, b):
        for serial in range(300):  # a 600-event push goes gzipped
            device.terminal.redeem(world.code(serial))
    assert run_cycle(a.ledger, a.client).pushed == {"accepted": 300}
    assert run_cycle(b.ledger, b.client).pushed == {"conflict": 300}
    listed = requests.get(
        f"{url}/v1/admin/conflicts", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert listed.status_code == 200 and len(listed.json()) == 300
    refused = requests.get(f"{url}/v1/admin/conflicts", timeout=10)
    assert refused.status_code == 401 and refused.json()["error"] == "not_admin"
    admin = {"Authorization": f"Bearer {token}"}
    for kind in conflicts.KINDS:  # each kind the CLI and the dashboard filter by
        only = requests.get(f"{url}/v1/admin/conflicts", params={"kind": kind}, headers=admin,
                            timeout=10)  # fmt: skip
        assert only.status_code == 200, (kind, only.text)
        assert len(only.json()) == (300 if kind == "double_redemption" else 0), kind


def test_every_error_is_json_with_a_code_and_a_message(served: tuple[World, str, str]) -> None:
    _, url, _ = served
    cases = [
        requests.post(f"{url}/v1/push", data=b"{not json", timeout=10),
        requests.post(f"{url}/v1/push", data=json.dumps({"events": []}), timeout=10),
        requests.get(f"{url}/v1/nowhere", timeout=10),
        requests.post(f"{url}/v1/enroll", json={"token": ""}, timeout=10),
        requests.post(f"{url}/v1/push", data=b"x" * (5 * 1024 * 1024), timeout=30),
        requests.post(
            f"{url}/v1/push",
            data=gzip.compress(b" " * (6 * 1024 * 1024)),
            headers={"Content-Encoding": "gzip"},
            timeout=30,
        ),
        requests.post(
            f"{url}/v1/push", data=b"not gzip", headers={"Content-Encoding": "gzip"}, timeout=10
        ),
    ]
    assert [r.status_code for r in cases] == [400, 401, 404, 422, 413, 413, 400]
    for r in cases:
        body = r.json()
        assert set(body) >= {"error", "message"} and body["message"]


def test_openapi_is_served(served: tuple[World, str, str]) -> None:
    _, url, _ = served
    spec = requests.get(f"{url}/openapi.json", timeout=10).json()
    assert {"/v1/push", "/v1/pull", "/v1/claim", "/v1/enroll", "/v1/balance"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    push = spec["paths"]["/v1/push"]["post"]["requestBody"]["content"]["application/json"]
    assert push["schema"] == {"$ref": "#/components/schemas/PushRequest"}
    events = schemas["PushRequest"]["properties"]["events"]
    assert (
        events["items"] == {"$ref": "#/components/schemas/WireEvent"} and events["maxItems"] == 500
    )
    assert set(schemas["WireEvent"]["required"]) == {
        "event_id", "seq", "kind", "payload", "local_time", "prev_hash", "mac",
    }  # fmt: skip


def test_no_server_errors_and_no_answer_outside_the_schema(served: tuple[World, str, str]) -> None:
    """schemathesis, bounded: every operation gets generated requests, valid and not."""
    world, url, token = served
    d = world.device("s1", "A")  # a real device and event, so admin routes have rows to show
    d.terminal.redeem(world.code(1))
    d.sync()
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    checked = 0
    for found in schema.get_all_operations():
        operation = found.ok()  # type: ignore[union-attr]

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def call(case: Case) -> None:  # type: ignore[type-arg]
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, timeout=10)

        call()
        checked += 1
    assert checked >= 12
