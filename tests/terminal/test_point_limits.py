"""Point limits at a till with no server: a soft limit's alert, then a block, for one cashier,
counted from the till's own ledger."""

from __future__ import annotations

import pytest

from sync.protocol import PointLimitConfig
from terminal.config import PointLimit, TerminalConfig
from terminal.results import Status
from tests.terminal.conftest import StoreFactory


def _till(make_store: StoreFactory, *limits: PointLimit):  # type: ignore[no-untyped-def]
    return make_store(config=TerminalConfig(point_limits=limits)).open()


def test_a_cashier_is_alerted_at_the_soft_limit_then_blocked_at_the_hard_one(
    make_store: StoreFactory,
) -> None:
    till = _till(
        make_store,
        PointLimit(1, "cashier", "earn_points", "day", soft_low=100, soft_high=1000),
        PointLimit(2, "cashier", "earn_points", "day", hard=250),
    )
    first = till.accrue("M-1", 500, "r1", actor="anna")  # 50 points
    assert first.status is Status.ACCEPTED_OFFLINE and first.warnings == ()
    assert till.ledger.open_alerts()[0] == 0

    second = till.accrue("M-2", 600, "r2", actor="anna")  # 110 today: the alert
    assert second.status is Status.ACCEPTED_OFFLINE
    assert "cashier anna" in second.warnings[0] and "110 points" in second.warnings[0]
    count, alerts = till.ledger.open_alerts()
    assert count == 1 and alerts[0]["kind"] == "point_limit"
    assert "cashier anna" in alerts[0]["message"]

    third = till.accrue("M-3", 2000, "r3", actor="anna")  # 310 would pass 250: blocked
    assert third.status is Status.LIMIT_BLOCKED
    assert third.message.startswith("Refused: cashier anna, points earned today")
    assert not third.ok and third.event_id is None
    assert till.ledger.event_count() == 2  # nothing written for the refused one
    assert till.ledger.open_alerts()[1][0]["kind"] == "limit_blocked"
    # the limit is anna's: another cashier at the same till earns as before
    assert till.accrue("M-3", 2000, "r3", actor="ben").status is Status.ACCEPTED_OFFLINE


def test_the_top_of_a_soft_range_blocks_and_a_spend_is_counted_apart(
    make_store: StoreFactory,
) -> None:
    till = _till(
        make_store, PointLimit(1, "card", "spend_points", "operation", soft_low=40, soft_high=60)
    )
    till.accrue("M-1", 5000, "r1")  # 500 points, earned: not a spend
    assert till.spend("M-1", 50, "mug").warnings  # 50 in one go: alert
    blocked = till.spend("M-1", 61, "bag")
    assert blocked.status is Status.LIMIT_BLOCKED and "card M-1" in blocked.message
    assert till.spend("M-1", 30, "pen").warnings == ()


def test_operations_per_terminal_per_hour(make_store: StoreFactory) -> None:
    till = _till(make_store, PointLimit(1, "terminal", "operations", "hour", hard=2))
    assert till.accrue("M-1", 100, "r1").ok
    assert till.checkin("M-2").ok
    assert till.accrue("M-3", 100, "r3").status is Status.LIMIT_BLOCKED


def test_a_limit_for_another_store_or_cashier_does_not_apply(make_store: StoreFactory) -> None:
    till = _till(
        make_store,
        PointLimit(1, "store", "earn_points", "operation", subject="store-9", hard=1),
        PointLimit(2, "cashier", "earn_points", "operation", subject="zoe", hard=1),
    )
    assert till.accrue("M-1", 100, "r1", actor="anna").ok
    assert till.accrue("M-1", 100, "r2", actor="zoe").status is Status.LIMIT_BLOCKED


@pytest.mark.parametrize("total", range(0, 14))
def test_the_device_and_the_server_read_a_total_alike(total: int) -> None:
    for low, high, hard in [(5, 10, None), (None, None, 7), (3, 12, 9), (4, None, None)]:
        wire = PointLimitConfig(id=1, scope="card", measure="earn_points", per="day",
                                soft_low=low, soft_high=high, hard=hard)  # fmt: skip
        device = PointLimit(1, "card", "earn_points", "day", "*", low, high, hard)
        assert wire.level(total) == device.level(total)
