"""Checkout baskets (hold, commit, release), refunds, and loyalty points."""

from __future__ import annotations

import time
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.config import CatalogueItem, Loyalty, TerminalConfig
from terminal.results import Status
from tests.terminal.conftest import FakeServer, StoreFactory


def test_hold_blocks_other_baskets_until_commit(make_store: StoreFactory) -> None:
    store = make_store()
    till = store.open()
    held = till.hold(store.code(4), basket="b1", actor="ann")
    assert held.status is Status.HELD and held.ok and held.hold_id
    other = till.hold(store.code(4), basket="b2")
    assert other.status is Status.IN_ANOTHER_BASKET and not other.ok
    assert till.redeem(store.code(4)).status is Status.IN_ANOTHER_BASKET
    rescan = till.hold(store.code(4), basket="b1")  # the same basket scanning it again
    assert rescan.ok and rescan.hold_id == held.hold_id
    done = till.commit(held.hold_id or "", receipt="r-100")
    assert done.status is Status.ACCEPTED_OFFLINE
    assert till.hold(store.code(4), basket="b2").status is Status.ALREADY_REDEEMED_HERE


def test_release_frees_the_code(make_store: StoreFactory) -> None:
    store = make_store()
    till = store.open()
    held = till.hold(store.code(4), basket="b1")
    assert till.release(held.hold_id or "").status is Status.RELEASED
    assert till.release(held.hold_id or "").status is Status.NOT_FOUND
    assert till.hold(store.code(4), basket="b2").ok


def test_abandoned_basket_frees_the_code_when_its_hold_expires(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(hold_seconds=1))
    till = store.open()
    assert till.hold(store.code(4), basket="b1").ok
    assert not till.hold(store.code(4), basket="b2").ok
    time.sleep(1.1)
    assert till.hold(store.code(4), basket="b2").ok


def test_commit_after_expiry_still_redeems_if_nobody_took_it(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(hold_seconds=1))
    till = store.open()
    held = till.hold(store.code(4), basket="b1")
    time.sleep(1.1)
    assert till.commit(held.hold_id or "", receipt="r1").status is Status.ACCEPTED_OFFLINE


def test_void_gives_the_code_back_once(make_store: StoreFactory) -> None:
    store = make_store()
    till = store.open()
    redeemed = till.redeem(store.code(8))
    assert (
        till.void(redeemed.event_id or "", reason="customer returned the item").status
        is Status.VOIDED
    )
    assert till.void(redeemed.event_id or "", reason="again").status is Status.ALREADY_VOIDED
    assert till.void(redeemed.event_id or "", reason=" ").status is Status.BAD_INPUT
    assert till.void("no-such-event", reason="x").status is Status.NOT_FOUND
    assert till.redeem(store.code(8)).ok
    assert till.ledger.verify_chain() is None


def test_points_follow_the_rule_and_a_receipt_earns_once(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(loyalty=Loyalty(currency_per_unit=10, points_per_unit=2)))
    till = store.open()
    earned = till.accrue("m1", 125.0, receipt="r1")
    assert earned.status is Status.ACCEPTED_OFFLINE and earned.points == 24 and earned.balance == 24
    assert till.accrue("m1", 125.0, receipt="r1").status is Status.DUPLICATE_RECEIPT
    assert till.accrue("m1", 9.99, receipt="r2").points == 0
    assert till.accrue("", 10, receipt="r3").status is Status.BAD_INPUT
    assert till.accrue("m1", -5, receipt="r4").status is Status.BAD_INPUT
    assert till.balance("m1").balance == 24


def test_spend_against_known_balance(make_store: StoreFactory) -> None:
    store = make_store()
    till = store.open()
    till.accrue("m1", 100, receipt="r1")  # 10 points
    assert till.spend("m1", 11, item="mug").status is Status.INSUFFICIENT_POINTS
    spent = till.spend("m1", 4, item="mug")
    assert spent.status is Status.ACCEPTED_OFFLINE and spent.balance == 6
    assert till.spend("m1", 0, item="mug").status is Status.BAD_INPUT


def test_offline_spend_cap(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(loyalty=Loyalty(offline_spend_cap=15)))
    till = store.open()
    till.accrue("m1", 1000, receipt="r1")  # 100 points
    assert till.spend("m1", 10, item="a").ok
    capped = till.spend("m1", 10, item="b")
    assert capped.status is Status.OFFLINE_BUDGET and "15 points" in capped.message


def test_online_balance_comes_from_the_server(make_store: StoreFactory) -> None:
    store = make_store()
    till = store.open(FakeServer("accept", balances={"m9": 500}))
    assert till.balance("m9").balance == 500
    assert till.spend("m9", 300, item="headphones").status is Status.ACCEPTED_ONLINE
    till.claimer = FakeServer("raise")
    assert till.balance("m9").balance == -300  # offline: nothing known here but the spend


def test_checkin_once_per_day(make_store: StoreFactory) -> None:
    store = make_store()
    till = store.open()
    first = till.checkin("m1")
    assert first.ok and first.points == 10
    assert till.checkin("m1").status is Status.ALREADY_CHECKED_IN
    assert till.checkin("m2").ok


def test_voided_points_leave_the_balance(make_store: StoreFactory) -> None:
    store = make_store()
    till = store.open()
    earned = till.accrue("m1", 200, receipt="r1")
    till.void(earned.event_id or "", reason="receipt refunded")
    assert till.balance("m1").balance == 0


def test_spend_follows_the_catalogue_when_there_is_one(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(catalogue=(CatalogueItem("cone", "Ice-cream cone", 15),)))
    till = store.open()
    till.accrue("m1", 500, receipt="r1")  # 50 points
    assert till.spend("m1", 15, item="tv").status is Status.BAD_INPUT
    wrong = till.spend("m1", 5, item="cone")
    assert wrong.status is Status.BAD_INPUT and "costs 15 points" in wrong.message
    assert till.spend("m1", 15, item="cone").balance == 35


@settings(deadline=None, max_examples=300)
@given(
    amount=st.floats(min_value=-10, max_value=1e7, allow_nan=False),
    per=st.floats(min_value=0.01, max_value=1000),
    points=st.integers(0, 50),
    cap=st.integers(0, 100_000),
)
def test_the_till_and_the_server_count_points_alike(
    amount: float, per: float, points: int, cap: int
) -> None:
    from sync.protocol import LoyaltyConfig

    till = Loyalty(currency_per_unit=per, points_per_unit=points, max_points_per_receipt=cap)
    server = LoyaltyConfig(
        currency_per_unit=per, points_per_unit=points, max_points_per_receipt=cap
    )
    assert till.points_for(amount) == server.points_for(amount)


# ten days, so purchases often fall on a bonus period's first or last day
_DAYS = st.dates(date(2026, 11, 25), date(2026, 12, 4)).map(lambda d: d.isoformat())
_CATEGORY = st.sampled_from(["fuel", "food", "phones", "tv", "other"])
_MONEY = st.floats(min_value=-5, max_value=1e7, allow_nan=False)


@settings(deadline=None, max_examples=400)
@given(
    amount=_MONEY,
    per=st.floats(min_value=0.01, max_value=1000),
    points=st.integers(0, 50),
    cap=st.integers(0, 100_000),
    rounding=st.sampled_from(["down", "nearest", "up"]),
    minimum=st.floats(min_value=0, max_value=1000),
    times=st.dictionaries(_CATEGORY, st.floats(min_value=0, max_value=100), max_size=4),
    basket=st.none() | st.dictionaries(_CATEGORY, _MONEY, max_size=5),
    periods=st.lists(st.tuples(_DAYS, _DAYS, st.floats(min_value=0.01, max_value=100)), max_size=3),
    day=st.none() | _DAYS,
)
def test_the_till_and_the_server_count_partner_rules_alike(
    amount: float, per: float, points: int, cap: int, rounding: str, minimum: float,
    times: dict[str, float], basket: dict[str, float] | None,
    periods: list[tuple[str, str, float]], day: str | None,
) -> None:  # fmt: skip
    """Rounding, a minimum purchase, category multipliers and bonus periods: a device counts
    what the server recounts, to the point, for any basket and day."""
    from sync.protocol import LoyaltyConfig

    rules = {
        "currency_per_unit": per, "points_per_unit": points, "max_points_per_receipt": cap,
        "rounding": rounding, "min_purchase": minimum, "category_multipliers": times,
        "bonus_periods": [
            {"start": min(a, b), "end": max(a, b), "multiplier": m} for a, b, m in periods
        ],
    }  # fmt: skip
    server = LoyaltyConfig.model_validate(rules)
    till = Loyalty.from_dict(server.model_dump(mode="json"))  # as a pull hands it over
    assert till.points_for(amount, basket, day) == server.points_for(amount, basket, day)


def test_partner_rules_count_as_a_manager_expects() -> None:
    """Per 10 spent, 1 point: 95 rounds down to 9, to nearest 10 (9.5 up), up to 10; under the
    minimum nothing; fuel at double; a bonus day triple; no basket and no day: as before."""
    from sync.protocol import LoyaltyConfig

    for rounding, expected in (("down", 9), ("nearest", 10), ("up", 10)):
        assert Loyalty(rounding=rounding).points_for(95.0) == expected
        assert LoyaltyConfig(rounding=rounding).points_for(95.0) == expected  # type: ignore[arg-type]
    assert Loyalty(min_purchase=50).points_for(49.99) == 0
    assert Loyalty(min_purchase=50).points_for(50) == 5
    doubled = Loyalty(category_multipliers={"fuel": 2.0})
    assert doubled.points_for(100, {"fuel": 40.0, "food": 60.0}) == 14  # 80 + 60 = 140
    assert doubled.points_for(100) == 10  # the old call: no basket, no multiplier
    assert doubled.points_for(100, {"fuel": 500.0}) == 20  # a part beyond the amount is capped
    bonus = Loyalty.from_dict(
        {"bonus_periods": [{"start": "2026-11-27", "end": "2026-11-29", "multiplier": 3}]}
    )
    assert bonus.points_for(100, day="2026-11-28") == 30
    assert bonus.points_for(100, day="2026-11-29") == 30  # the last day counts
    assert bonus.points_for(100, day="2026-11-30") == 10
    assert bonus.points_for(100) == 10
