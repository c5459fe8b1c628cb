"""Pending points say when they become spendable: grouped by the day (UTC) their returns window
ends, soonest first, in the balance, in an accrual's answer and in the terminal's words."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from sync.outbox import apply_pull
from sync.protocol import MemberBalance, PullResponse, WireLot
from terminal.config import TerminalConfig
from terminal.lots import DAY_S, Lot, Spendable, balance_of
from tests.terminal.conftest import StoreFactory


def _day(at: float) -> date:
    return datetime.fromtimestamp(at, UTC).date()


def test_pending_lots_are_grouped_by_the_day_they_become_spendable() -> None:
    now = 1_800_000_000.0
    lots = [
        Lot(1, "fuel", now - 3 * DAY_S, now + 4 * DAY_S, now + 300 * DAY_S, 30),
        Lot(2, "fuel", now - 3 * DAY_S + 60, now + 4 * DAY_S + 60, now + 300 * DAY_S, 5),
        Lot(3, "fuel", now - DAY_S, now + 6 * DAY_S, now + 300 * DAY_S, 10),
        Lot(4, "fuel", now - 90 * DAY_S, now - 80 * DAY_S, now + 300 * DAY_S, 70),  # available
        Lot(5, "fuel", now - 2 * DAY_S, now + 5 * DAY_S, now - 1, 99),  # expired: nothing
    ]
    balance = balance_of(lots, now)
    assert (balance.available, balance.pending) == (70, 45)
    first, second = _day(now + 4 * DAY_S), _day(now + 6 * DAY_S)
    assert balance.spendable_from == (Spendable(first, 35), Spendable(second, 10))
    assert balance.next_spendable == Spendable(first, 35)
    assert balance_of(lots[3:4], now).next_spendable is None


def test_the_terminal_says_when_pending_points_become_spendable(
    make_store: StoreFactory,
) -> None:
    till = make_store(TerminalConfig(pending_days=14, expiry_months=12)).open()
    now = time.time()
    lot = WireLot(id=11, partner="phones", earned=now - DAY_S, pending_until=now + 13 * DAY_S,
                  expires_at=now + 330 * DAY_S, remaining=40)  # fmt: skip
    answer = PullResponse(cursor=1, more=False, config_version=0, server_time=now, device_seq=0,
                          balances=[MemberBalance(member="CARD-1", balance=0, lots=[lot])])  # fmt: skip
    apply_pull(till.ledger, answer)
    on = _day(now + 13 * DAY_S)
    shown = till.balance("CARD-1")
    assert [(s.on, s.points) for s in shown.spendable_from] == [(on.isoformat(), 40)]
    assert f"40 points pending, spendable from {on.day} {on:%B}." in shown.message
    earned = till.accrue("CARD-1", 100.0, "R-1")  # 10 more, pending 14 days from now
    later = _day(time.time() + 14 * DAY_S)
    assert [(s.on, s.points) for s in earned.spendable_from] == [
        (on.isoformat(), 40),
        (later.isoformat(), 10),
    ]
    assert earned.to_dict()["spendable_from"][0] == {"on": on.isoformat(), "points": 40}
