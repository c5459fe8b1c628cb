"""The loyalty screen says when the member's soonest points expire, in the shopper's language."""

from __future__ import annotations

import time

from kiosk.flow import Flow
from kiosk.i18n import render
from kiosk.settings import KioskSettings
from sync.outbox import apply_pull
from sync.protocol import MemberBalance, PullResponse, WireLot
from terminal.lots import DAY_S, expiry_of
from tests.kiosk.conftest import StoreFactory


def test_the_soonest_expiry_is_said_under_the_balance(make_store: StoreFactory) -> None:
    store = make_store(name="expiry")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    now = time.time()
    soon, later = expiry_of(now - 340 * DAY_S, 12), expiry_of(now, 12)
    lots = [WireLot(id=1, partner="fuel", earned=now - 340 * DAY_S, pending_until=now - 300 * DAY_S,
                    expires_at=soon, remaining=120),
            WireLot(id=2, partner="fuel", earned=now, pending_until=now, expires_at=later,
                    remaining=30)]  # fmt: skip
    answer = PullResponse(cursor=1, more=False, config_version=0, server_time=now,
                          balances=[MemberBalance(member="CARD-9", balance=150, lots=lots)])  # fmt: skip
    apply_pull(flow.terminal.ledger, answer)
    desk = flow.loyalty
    flow.open_loyalty()
    assert desk.member_card("member:CARD-9") and desk.balance == 150
    expiry = desk.expiry_text()
    assert expiry is not None
    day = time.gmtime(soon - 1)
    english = render(expiry, "en")
    assert english == f"120 points expire on {day.tm_mday} {time.strftime('%B', day)} {day.tm_year}"
    assert "баллов сгорят" in render(expiry, "ru") and str(day.tm_year) in render(expiry, "kk")
    assert "{" not in render(expiry, "hi")
    desk.start()
    assert desk.expiry_text() is None  # the next shopper sees nothing of this one
