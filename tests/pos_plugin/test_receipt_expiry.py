"""The receipt tells the member when their soonest points expire, under the balance."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from terminal.config import TerminalConfig
from terminal.lots import expiry_of, last_day
from tests.pos_plugin.conftest import TillFactory


def test_the_receipt_says_what_expires_when(make_till: TillFactory) -> None:
    till, _ = make_till(TerminalConfig(pending_days=14, expiry_months=12))
    basket = till.checkout()
    basket.member("+77011234567")
    paid = basket.pay("R-1", 1200.0)  # 120 points, a lot of this till's, pending 14 days
    on = last_day(expiry_of(time.time(), 12))
    words = (
        f"120 points expire on {on.day} {datetime(on.year, on.month, 1, tzinfo=UTC):%B} {on.year}"
    )
    assert paid.receipt is not None and words in paid.receipt
    assert "Balance: 120 points" in paid.receipt


def test_no_expiry_line_where_points_do_not_expire(make_till: TillFactory) -> None:
    till, _ = make_till()  # a server from before lots: nothing expires
    basket = till.checkout()
    basket.member("M-1")
    paid = basket.pay("R-2", 100.0)
    assert paid.receipt is not None and "expire" not in paid.receipt
