"""The bridge over real HTTP on loopback: token, the checkout flow, errors as JSON, schemathesis."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.case import Case

from pos_plugin.bridge import Bridge
from pos_plugin.http_server import BridgeServer
from pos_plugin.token import bridge_token
from terminal.config import Loyalty, TerminalConfig
from tests.pos_plugin.conftest import Store, TillFactory


@dataclass
class Served:
    url: str
    token: str
    store: Store
    session: requests.Session

    def post(self, path: str, body: Any = None, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        return self.session.post(f"{self.url}{path}", json=body, headers=headers, timeout=10)


@pytest.fixture
def served(make_till: TillFactory) -> Iterator[Served]:
    till, store = make_till(TerminalConfig(loyalty=Loyalty(currency_per_unit=1.0)), cashier="pos")
    token = bridge_token(till.terminal.ledger)
    server = BridgeServer(Bridge(till))
    server.start()
    with requests.Session() as session:
        yield Served(server.url, token, store, session)
    server.shutdown()
    server.server_close()


def test_a_checkout_over_http(served: Served) -> None:
    code = served.store.code(11)
    scanned = served.post("/v1/scan", {"code": code}).json()
    assert scanned["status"] == "valid" and scanned["code"] == code and scanned["tier"]
    checkout = served.post("/v1/checkout", {}).json()["checkout_id"]
    applied = served.post(f"/v1/checkout/{checkout}/apply", {"code": code}).json()
    assert applied["status"] == "held" and applied["receipt_line"]
    other = served.post("/v1/checkout", {}).json()["checkout_id"]
    assert served.post(f"/v1/checkout/{other}/apply", {"code": code}).json()["status"] == (
        "in_another_basket"
    )
    paid = served.post(
        f"/v1/checkout/{checkout}/pay", {"receipt_id": "R-1", "total": 12.0, "member": "M-7"}
    ).json()
    assert paid["status"] == "paid" and paid["points"] == 12 and code in paid["receipt"]
    assert served.post("/v1/member", {"member": "M-7"}).json()["balance"] == 12
    spent = served.post("/v1/spend", {"member": "M-7", "points": 5, "item": "mug"}).json()
    assert spent["status"] == "accepted_offline" and spent["balance"] == 7
    status = served.session.get(
        f"{served.url}/v1/status", headers={"Authorization": f"Bearer {served.token}"}, timeout=10
    ).json()
    assert status["pending"] == 3 and status["online"] is False
    refund = served.post("/v1/refund", {"receipt_id": "R-1"}).json()
    assert refund["status"] == "voided" and len(refund["items"]) == 2
    assert served.post(f"/v1/checkout/{other}/cancel").json()["status"] == "cancelled"


def test_no_token_no_till(served: Served) -> None:
    body = {"code": served.store.code(1)}
    assert served.post("/v1/scan", body, token="").status_code == 401
    wrong = served.post("/v1/scan", body, token="guess")
    assert wrong.status_code == 401 and wrong.json()["error"] == "not_authorised"
    assert served.session.post(f"{served.url}/v1/scan", json=body, timeout=10).status_code == 401


def test_bad_requests_get_json_errors(served: Served) -> None:
    auth = {"Authorization": f"Bearer {served.token}"}
    s, url = served.session, served.url
    cases = [
        s.post(f"{url}/v1/scan", data=b"{oops", headers=auth, timeout=10),
        s.post(f"{url}/v1/scan", json={}, headers=auth, timeout=10),
        s.post(f"{url}/v1/checkout/nope/apply", json={"code": "HV"}, headers=auth, timeout=10),
        s.get(f"{url}/v1/scan", headers=auth, timeout=10),
        s.post(f"{url}/v1/nothing", json={}, headers=auth, timeout=10),
        s.post(f"{url}/v1/scan", data=b"x" * 70_000, headers=auth, timeout=10),
        s.post(
            f"{url}/v1/checkout/x/pay",
            data=b'{"receipt_id": "R", "total": NaN}',
            headers=auth,
            timeout=10,
        ),
        s.post(f"{url}/v1/scan", data=b"[" * 5000 + b"]" * 5000, headers=auth, timeout=10),
    ]
    assert [r.status_code for r in cases] == [400, 422, 404, 405, 404, 413, 400, 400]
    assert cases[3].headers["Allow"] == "POST"
    for r in cases:
        assert set(r.json()) == {"error", "message"} and r.json()["message"]


def test_openapi_lists_every_operation(served: Served) -> None:
    spec = served.session.get(f"{served.url}/openapi.json", timeout=10).json()
    assert set(spec["paths"]) == {
        "/v1/scan", "/v1/checkout", "/v1/checkout/{checkout_id}/apply",
        "/v1/checkout/{checkout_id}/pay", "/v1/checkout/{checkout_id}/cancel", "/v1/refund",
        "/v1/member", "/v1/spend", "/v1/status", "/v1/code", "/v1/register",
    }  # fmt: skip


def test_no_server_errors_and_no_answer_outside_the_schema(served: Served) -> None:
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    checked = 0
    for found in schema.get_all_operations():
        operation = found.ok()  # type: ignore[union-attr]

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def call(case: Case) -> None:  # type: ignore[type-arg]
            case.call_and_validate(headers={"Authorization": f"Bearer {served.token}"}, timeout=10)

        call()
        checked += 1
    assert checked == 11
