"""A member's points on a device as lots: the lots the server sent, with this device's own events
laid on top (an accrual a new pending lot, a spend the oldest available lots), what is pending,
and what expires when, on a real ledger file."""

from __future__ import annotations

import time

from sync.outbox import apply_pull
from sync.protocol import MemberBalance, PullResponse, WireLot
from terminal.config import TerminalConfig
from terminal.engine import Terminal
from terminal.lots import DAY_S
from terminal.results import Status
from tests.terminal.conftest import StoreFactory


def _pull(till: Terminal, member: str, lots: list[WireLot] | None, figure: int) -> None:
    """The server's word on the member, as a pull brings it (counting every event so far)."""
    seq = till.ledger.event_count()
    answer = PullResponse(
        cursor=1, more=False, config_version=0, server_time=time.time(), device_seq=seq,
        balances=[MemberBalance(member=member, balance=figure, lots=lots)],
    )  # fmt: skip
    apply_pull(till.ledger, answer)


def test_the_servers_lots_say_what_is_spendable_pending_and_expiring(
    make_store: StoreFactory,
) -> None:
    till = make_store(TerminalConfig(pending_days=14, expiry_months=12)).open()
    now = time.time()
    _pull(till, "+77011234567", [
        WireLot(id=7, partner="fuel", earned=now - 400 * DAY_S, pending_until=now - 386 * DAY_S,
                expires_at=now + 3 * DAY_S, remaining=120),
        WireLot(id=9, partner="phones", earned=now - 20 * DAY_S, pending_until=now - 6 * DAY_S,
                expires_at=now + 300 * DAY_S, remaining=80),
        WireLot(id=11, partner="phones", earned=now - DAY_S, pending_until=now + 13 * DAY_S,
                expires_at=now + 330 * DAY_S, remaining=40),
        WireLot(id=3, partner="fuel", earned=now - 500 * DAY_S, pending_until=now - 486 * DAY_S,
                expires_at=now - DAY_S, remaining=999),  # expired since it was sent
    ], figure=200)  # fmt: skip
    shown = till.balance("+77011234567")
    assert (shown.balance, shown.pending) == (240, 40)
    assert shown.expiring[0].points == 120
    assert "120 points expire on" in shown.message and "40 of them pending" in shown.message
    refused = till.spend("+77011234567", 201, item="tv")
    assert refused.status is Status.INSUFFICIENT_POINTS and refused.balance == 200
    spent = till.spend("+77011234567", 150, item="kettle")  # all of lot 7, 30 of lot 9
    assert spent.ok and spent.balance == 90
    after = till.balance("+77011234567")
    assert [(e.points) for e in after.expiring] == [50, 40]  # lot 7 went first: oldest


def test_points_earned_here_are_pending_until_the_returns_window_ends(
    make_store: StoreFactory,
) -> None:
    till = make_store(TerminalConfig(pending_days=14, expiry_months=12)).open()
    till.accrue("M-1", 500, receipt="R-1")  # 50 points
    shown = till.balance("M-1")
    assert (shown.balance, shown.pending) == (50, 50)
    assert till.spend("M-1", 10, item="mug").status is Status.INSUFFICIENT_POINTS
    assert shown.expiring and shown.expiring[0].points == 50


def test_a_sync_replaces_the_devices_own_lots_with_the_servers(make_store: StoreFactory) -> None:
    """After the server counted this device's accrual, it is the server's lot, not counted twice."""
    till = make_store(TerminalConfig(pending_days=0)).open()
    till.accrue("M-2", 300, receipt="R-1")  # 30 points, a lot of this device's
    assert till.balance("M-2").balance == 30
    now = time.time()
    _pull(till, "M-2", [WireLot(id=1, partner="house", earned=now, pending_until=now,
                                expires_at=now + 100 * DAY_S, remaining=30)], figure=30)  # fmt: skip
    assert till.balance("M-2").balance == 30
    assert till.spend("M-2", 20, item="cone").ok
    assert till.balance("M-2").balance == 10


def test_an_older_server_sends_a_figure_and_it_still_counts(make_store: StoreFactory) -> None:
    till = make_store().open()
    _pull(till, "M-3", None, figure=70)
    assert till.spend("M-3", 30, item="cone").ok
    shown = till.balance("M-3")
    assert shown.balance == 40 and shown.expiring == () and "expire" not in shown.message


def test_a_void_here_undoes_its_points_and_a_spend_beyond_the_lots_is_a_debt(
    make_store: StoreFactory,
) -> None:
    till = make_store().open()
    earned = till.accrue("M-4", 200, receipt="R-1")
    till.void(earned.event_id or "", reason="refund")
    assert till.balance("M-4").balance == 0
    _pull(till, "M-4", [], figure=0)
    till.accrue("M-4", 100, receipt="R-2")
    spent = till.spend("M-4", 10, item="cone")
    till.void(spent.event_id or "", reason="changed mind")
    assert till.balance("M-4").balance == 10
