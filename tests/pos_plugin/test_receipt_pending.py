"""The receipt says how many of the member's points are pending and from which day they can be
spent, under the balance, beside the soonest expiry."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from terminal.config import TerminalConfig
from terminal.lots import DAY_S
from tests.pos_plugin.conftest import TillFactory


def test_the_receipt_says_when_pending_points_become_spendable(make_till: TillFactory) -> None:
    till, _ = make_till(TerminalConfig(pending_days=14, expiry_months=12))
    basket = till.checkout()
    basket.member("+77011234567")
    paid = basket.pay("R-1", 400.0)  # 40 points, pending 14 days
    on = datetime.fromtimestamp(time.time() + 14 * DAY_S, UTC).date()
    assert paid.receipt is not None
    lines = paid.receipt.splitlines()
    # 46 characters: broken after the comma, the day and its month kept on one line
    pending = ["40 points pending,", f"    spendable from {on.day} {on:%B}"]
    at = lines.index(pending[0])
    assert lines[at : at + 2] == pending
    assert lines.index("Balance: 40 points") < at
    assert "expire on" in lines[at + 2]  # the soonest expiry follows
    assert all(len(line) <= 40 for line in lines)


def test_no_pending_line_without_a_returns_window(make_till: TillFactory) -> None:
    till, _ = make_till(TerminalConfig(pending_days=0, expiry_months=12))
    basket = till.checkout()
    basket.member("M-1")
    paid = basket.pay("R-2", 100.0)
    assert paid.receipt is not None and "pending" not in paid.receipt
