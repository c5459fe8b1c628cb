"""The Python checkout API: what a cashier sees for each scan, basket, payment and refund."""

from __future__ import annotations

import pytest

from pos_plugin import checkout
from terminal.config import Limit, Loyalty, TerminalConfig, TierRule
from tests.pos_plugin.conftest import FakeServer, TillFactory


def test_scan_says_what_the_code_is_and_changes_nothing(make_till: TillFactory) -> None:
    till, store = make_till()
    serial = store.serial_of_tier("gold")
    answer = till.scan(store.code(serial).lower().replace("-", " "))
    assert answer.status == "valid" and answer.tier == "gold" and answer.serial == serial
    assert answer.code == store.code(serial) and answer.value is not None
    assert store.code(serial) in answer.receipt_line and "gold" in answer.receipt_line
    assert till.scan(store.code(serial)).status == "valid"  # scanning twice still valid
    mistyped = store.code(1)[:-1] + ("0" if store.code(1)[-1] != "0" else "1")
    assert till.scan(mistyped).status == "mistyped"
    assert "not accepted (mistyped)" in till.scan(mistyped).receipt_line


def test_a_code_in_one_basket_cannot_go_into_another(make_till: TillFactory) -> None:
    till, store = make_till(cashier="ann")
    first, second = till.checkout(), till.checkout()
    held = first.apply(store.code(5))
    assert held.status == "held" and held.hold_id and held.ok
    assert first.apply(store.code(5)).hold_id == held.hold_id  # the same basket: same hold
    refused = second.apply(store.code(5))
    assert refused.status == "in_another_basket" and not refused.ok
    assert "another basket" in refused.message
    assert first.cancel().message == "Basket cancelled: 1 code freed."
    assert second.apply(store.code(5)).ok  # free again
    assert first.apply(store.code(6)).status == "closed"


def test_pay_redeems_earns_points_and_prints_a_receipt(make_till: TillFactory) -> None:
    till, store = make_till(TerminalConfig(loyalty=Loyalty(currency_per_unit=1.0)), cashier="ann")
    basket = till.checkout()
    assert basket.apply(store.code(1)).ok and basket.apply(store.code(2)).ok
    assert basket.member("07700 900-123").status == "valid"
    paid = basket.pay("R-1001", 25.5)
    assert paid.status == "paid" and paid.points == 25 and paid.balance == 25
    assert [i.status for i in paid.items] == ["accepted_offline"] * 2 + ["accepted_offline"]
    assert paid.receipt is not None
    for code in (store.code(1), store.code(2)):
        assert code in paid.receipt
    assert "Points earned: 25" in paid.receipt and "Balance: 25 points" in paid.receipt
    assert all(len(line) <= 40 for line in paid.receipt.splitlines())
    # the POS lost the answer and pays again: the same answer, nothing twice
    assert basket.pay("R-1001", 25.5) == paid
    assert till.member("07700900123").balance == 25
    assert basket.pay("R-2", 1.0).status == "closed"
    assert till.checkout().apply(store.code(1)).status == "already_redeemed_here"
    assert till.status()["pending"] == 3


def test_a_code_refused_at_payment_is_named_for_the_bill(make_till: TillFactory) -> None:
    server = FakeServer("accept")
    till, store = make_till(claimer=server)
    basket = till.checkout()
    basket.apply(store.code(1))
    basket.apply(store.code(2))
    server.mode = "refuse"  # another store redeemed it while the basket was open
    paid = basket.pay("R-7", 10.0)
    assert [i.status for i in paid.items] == ["redeemed_elsewhere", "redeemed_elsewhere"]
    assert "2 refused: take them off the bill" in paid.message
    assert paid.receipt is not None and "not accepted" in paid.receipt


def test_refund_by_receipt_voids_codes_and_points(make_till: TillFactory) -> None:
    till, store = make_till(TerminalConfig(loyalty=Loyalty(currency_per_unit=1.0)))
    basket = till.checkout()
    basket.apply(store.code(3))
    basket.member("M-1")
    basket.pay("R-9", 40.0)
    refund = till.refund("R-9", "changed mind")
    assert refund.status == "voided" and len(refund.items) == 2
    assert [i.receipt_line for i in refund.items] == [
        f"Coupon {store.code(3)}: refunded",
        "Points -40 (refund)",
    ]
    assert till.member("M-1").balance == 0
    assert till.checkout().apply(store.code(3)).ok  # the code is usable again
    assert till.refund("R-9").status == "not_found"  # nothing left on it
    assert till.refund("R-nope").status == "not_found"
    assert till.refund("  ").status == "bad_input"


def test_refund_one_event_by_its_id(make_till: TillFactory) -> None:
    till, store = make_till()
    basket = till.checkout()
    basket.apply(store.code(4))
    event_id = basket.pay("R-4", 1.0).items[0].event_id
    assert event_id is not None
    assert till.refund(event_id).status == "voided"
    assert till.refund(event_id).status == "already_voided"


def test_spend_needs_a_member_and_enough_points(make_till: TillFactory) -> None:
    till, _ = make_till(TerminalConfig(loyalty=Loyalty(currency_per_unit=1.0)))
    basket = till.checkout()
    assert basket.spend(10, "mug").status == "bad_input"
    basket.member("+44 7700 900123")
    assert basket.spend(10, "mug").status == "insufficient_points"
    basket.pay("R-1", 30.0)
    spent = till.spend("+447700900123", 10, "mug")
    assert spent.status == "accepted_offline" and spent.balance == 20
    assert spent.receipt_line == "Points -10, balance 20"


def test_limits_reach_the_cashier(make_till: TillFactory) -> None:
    hard = TerminalConfig(limits=(Limit("cashier_day", 1),))
    till, store = make_till(hard, cashier="ann")
    basket = till.checkout()
    basket.apply(store.code(1))
    basket.pay("R-1", 1.0)
    refused = till.checkout().apply(store.code(2))
    assert refused.status == "limit" and "1 redemption per cashier per day" in refused.message

    soft = TerminalConfig(limits=(Limit("cashier_day", 1, hard=False),))
    till, store = make_till(soft, cashier="bob")
    for receipt, serial in (("R-1", 1), ("R-2", 2)):
        basket = till.checkout()
        basket.apply(store.code(serial))
        paid = basket.pay(receipt, 1.0)
    assert paid.items[0].ok and paid.warnings and "manager alerted" in paid.warnings[0]
    assert till.status()["alerts"] == 1


def test_a_reward_that_needs_the_server_says_so_at_once(make_till: TillFactory) -> None:
    rules = TerminalConfig(tier_rules=(TierRule("gold", needs_online=True),))
    till, store = make_till(rules)
    answer = till.checkout().apply(store.code(store.serial_of_tier("gold")))
    assert answer.status == "needs_online" and "Connect" in answer.message
    assert till.checkout().apply(store.code(store.serial_of_tier("music"))).ok


def test_old_baskets_are_forgotten_closed_ones_first(
    make_till: TillFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkout, "MAX_KEPT", 3)
    till, _ = make_till()
    abandoned, paid = till.checkout(), till.checkout()
    paid.pay("R-1", 1.0)
    newer = [till.checkout(), till.checkout()]
    assert till.find(paid.checkout_id) is None  # closed: forgotten first
    assert till.find(abandoned.checkout_id) is abandoned
    till.checkout()
    assert till.find(abandoned.checkout_id) is None  # then the oldest open one
    assert all(till.find(b.checkout_id) is b for b in newer)
