"""The points screen says how many of the member's points are pending and from which day they
can be spent ("40 points pending, spendable from 12 December"), in the shopper's language."""

from __future__ import annotations

import time

from kiosk.flow import Flow
from kiosk.i18n import Text, render
from kiosk.settings import KioskSettings
from sync.outbox import apply_pull
from sync.protocol import MemberBalance, PullResponse, WireLot
from terminal.lots import DAY_S, expiry_of
from tests.kiosk.conftest import StoreFactory


def test_pending_points_are_said_with_the_day_they_become_spendable(
    make_store: StoreFactory,
) -> None:
    store = make_store(name="pending")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    now = time.time()
    ripe = now + 5 * DAY_S
    lots = [WireLot(id=1, partner="fuel", earned=now - 60 * DAY_S, pending_until=now - 50 * DAY_S,
                    expires_at=expiry_of(now, 12), remaining=100),
            WireLot(id=2, partner="fuel", earned=now - 9 * DAY_S, pending_until=ripe,
                    expires_at=expiry_of(now, 12), remaining=40)]  # fmt: skip
    answer = PullResponse(cursor=1, more=False, config_version=0, server_time=now,
                          balances=[MemberBalance(member="CARD-7", balance=100, lots=lots)])  # fmt: skip
    apply_pull(flow.terminal.ledger, answer)
    desk = flow.loyalty
    flow.open_loyalty()
    assert desk.member_card("member:CARD-7") and desk.balance == 100  # spendable now
    pending = desk.pending_text()
    assert pending is not None
    day = time.gmtime(ripe)
    month = time.strftime("%B", day)
    assert render(pending, "en") == f"40 points pending, spendable from {day.tm_mday} {month}"
    russian = " ".join(render(pending, "ru").split())  # no-break spaces read as spaces
    assert (
        russian.startswith("40 баллов")
        and f"\N{CYRILLIC SMALL LETTER ES} {day.tm_mday} " in russian
    )
    kazakh = render(pending, "kk")
    assert kazakh.startswith("40 ұпай") and "күнінен бастап" in kazakh
    hindi = render(pending, "hi")
    assert hindi.startswith("40 पॉइंट") and "{" not in hindi and str(day.tm_mday) in hindi
    one = Text.of("loyalty.pending", points=1, when=Text.of("month.12"))
    assert render(one, "en").startswith("1 point pending,") and "1 балл в" in render(one, "ru")
    desk.start()
    assert desk.pending_text() is None  # the next shopper sees nothing of this one


def test_no_pending_line_when_nothing_is_pending(make_store: StoreFactory) -> None:
    store = make_store(name="nothing-pending")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    flow.open_loyalty()
    assert flow.loyalty.member_card("member:CARD-8")
    assert flow.loyalty.pending_text() is None
