"""A basket's product categories reach the earn rules: the console's `pay` takes them after the
total, the bridge's pay takes the basket's lines with their category (over HTTP on loopback),
and the Python API a mapping. A partner's multiplier makes fuel earn twice."""

from __future__ import annotations

import io

import requests

from pos_plugin.bridge import Bridge
from pos_plugin.console import CashierConsole
from pos_plugin.http_server import BridgeServer
from pos_plugin.token import bridge_token
from terminal.config import Loyalty, TerminalConfig
from tests.pos_plugin.conftest import TillFactory

FUEL_TWICE = TerminalConfig(loyalty=Loyalty(category_multipliers={"fuel": 2.0}))


def test_the_console_pays_with_the_baskets_categories(make_till: TillFactory) -> None:
    till, _ = make_till(FUEL_TWICE)
    out = io.StringIO()
    lines = (
        "member M-1\npay R-1 100\n"
        "member M-1\npay R-2 100 fuel=60 snacks=10,5\n"
        "member M-1\npay R-3 100 fuel\nquit\n"
    )
    CashierConsole(till, stdin=io.StringIO(lines), stdout=out).cmdloop()
    text = out.getvalue()
    assert "Paid: 0 coupons redeemed; 10 points earned." in text  # 100 at 1 point per 10
    assert "Paid: 0 coupons redeemed; 16 points earned." in text  # 60 of fuel twice: 160
    assert "!! Usage: pay RECEIPT TOTAL [CATEGORY=AMOUNT ...]" in text
    assert till.terminal.balance("M-1").balance == 26


def test_the_python_api_takes_a_mapping(make_till: TillFactory) -> None:
    till, _ = make_till(FUEL_TWICE)
    basket = till.checkout()
    basket.member("M-2")
    paid = basket.pay("R-9", 50.0, categories={"fuel": 50.0})
    assert paid.points == 10


def test_the_bridge_pays_with_the_lines_categories(make_till: TillFactory) -> None:
    till, _ = make_till(FUEL_TWICE)
    server = BridgeServer(Bridge(till))
    server.start()
    headers = {"Authorization": f"Bearer {bridge_token(till.terminal.ledger)}"}

    def pay(body: dict[str, object]) -> requests.Response:
        checkout = requests.post(server.url + "/v1/checkout", json={}, headers=headers, timeout=10)
        cid = checkout.json()["checkout_id"]
        return requests.post(
            f"{server.url}/v1/checkout/{cid}/pay", json=body, headers=headers, timeout=10
        )

    try:
        lines = [
            {"amount": 30.0, "category": "fuel"},
            {"amount": 30.0, "category": "fuel"},
            {"amount": 40.0},  # a line of no category counts once
        ]
        paid = pay({"receipt_id": "R-1", "total": 100.0, "member": "M-3", "lines": lines})
        assert paid.status_code == 200 and paid.json()["points"] == 16
        plain = pay({"receipt_id": "R-2", "total": 100.0, "member": "M-3"})
        assert plain.json()["points"] == 10  # no lines: as before
        bad = pay({"receipt_id": "R-3", "total": 1.0, "member": "M-3",
                   "lines": [{"amount": -1, "category": "fuel"}]})  # fmt: skip
        assert bad.status_code == 422 and "lines.0.amount" in bad.json()["message"]
        many = [{"amount": 1.0, "category": f"c{i}"} for i in range(51)]
        too_many = pay({"receipt_id": "R-4", "total": 51.0, "member": "M-3", "lines": many})
        assert too_many.status_code == 422 and "50 categories" in too_many.json()["message"]
        schema = requests.get(server.url + "/openapi.json", timeout=10).json()
        assert "lines" in schema["components"]["schemas"]["PayBody"]["properties"]
    finally:
        server.shutdown()
        server.server_close()
        till.close()
