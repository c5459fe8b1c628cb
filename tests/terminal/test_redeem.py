"""Redeeming at a device: every answer a shopper or cashier can get, online and offline."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from terminal.config import DEFAULT_PRIZE_OFFLINE_COUNT, Limit, TerminalConfig, TierRule
from terminal.results import Status
from tests.terminal.conftest import FakeServer, StoreFactory


def test_offline_redeem_then_second_attempt_here(make_store: StoreFactory) -> None:
    store = make_store()
    terminal = store.open()
    first = terminal.redeem(store.code(5), actor="ann")
    assert first.status is Status.ACCEPTED_OFFLINE and first.ok and first.event_id
    assert first.serial == 5 and first.campaign == "ice-2026"
    again = terminal.redeem(store.code(5).lower(), actor="bob")
    assert again.status is Status.ALREADY_REDEEMED_HERE and not again.ok
    assert terminal.status()["pending"] == 1


def test_check_changes_nothing(make_store: StoreFactory) -> None:
    store = make_store()
    terminal = store.open()
    assert terminal.check(store.code(1)).status is Status.VALID
    assert terminal.check(store.code(1)).status is Status.VALID
    assert terminal.status()["pending"] == 0
    terminal.redeem(store.code(1))
    assert terminal.check(store.code(1)).status is Status.ALREADY_REDEEMED_HERE


def test_codes_that_cannot_be_redeemed(make_store: StoreFactory) -> None:
    store = make_store()
    terminal = store.open()
    code = store.code(7)
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert terminal.redeem(typo).status is Status.MISTYPED
    assert terminal.redeem("HV-AAAA-BBBB-CCCC-DDDDE").status is Status.INVALID
    assert terminal.redeem(store.code(1000)).status is Status.NOT_ISSUED
    assert terminal.redeem("'; DROP TABLE events;--").status is Status.INVALID
    assert terminal.status()["pending"] == 0


def test_validity_window(make_store: StoreFactory) -> None:
    later = make_store(starts_at=datetime.now(UTC) + timedelta(days=1))
    assert later.open().redeem(later.code(1)).status is Status.NOT_STARTED


def test_expired(make_store: StoreFactory) -> None:
    over = make_store(
        ends_at=datetime.now(UTC) - timedelta(days=1), starts_at=datetime(2020, 1, 1, tzinfo=UTC)
    )
    assert over.open().redeem(over.code(1)).status is Status.EXPIRED


def test_online_claim_accepted(make_store: StoreFactory) -> None:
    store = make_store()
    server = FakeServer("accept")
    result = store.open(server).redeem(store.code(3))
    assert result.status is Status.ACCEPTED_ONLINE
    assert [(c.campaign, c.serial, c.event_id) for c in server.claims] == [
        ("ice-2026", 3, result.event_id)
    ]


def test_online_refusal_is_redeemed_elsewhere_and_remembered(make_store: StoreFactory) -> None:
    store = make_store()
    terminal = store.open(FakeServer("refuse"))
    assert terminal.redeem(store.code(3)).status is Status.REDEEMED_ELSEWHERE
    terminal.claimer = None  # the network drops: the refusal is still known here
    assert terminal.redeem(store.code(3)).status is Status.REDEEMED_ELSEWHERE
    assert terminal.status()["pending"] == 0


def test_server_stalling_or_failing_falls_back_to_offline_quickly(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(claim_timeout=0.2))
    for mode, serial in (("stall", 1), ("raise", 2)):
        terminal = store.open(FakeServer(mode))
        began = time.perf_counter()
        result = terminal.redeem(store.code(serial))
        assert result.status is Status.ACCEPTED_OFFLINE
        assert time.perf_counter() - began < 1.0
    # a stuck claim must not hold up the next scan
    began = time.perf_counter()
    assert terminal.redeem(store.code(9)).status is Status.ACCEPTED_OFFLINE
    assert time.perf_counter() - began < 1.0


def test_tier_that_needs_online(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(tier_rules=(TierRule("gold", needs_online=True),)))
    gold = store.code(store.serial_of_tier("gold"))
    offline = store.open()
    refused = offline.redeem(gold)
    assert refused.status is Status.NEEDS_ONLINE and "Connect" in refused.message
    assert store.open(FakeServer("accept")).redeem(gold).status is Status.ACCEPTED_ONLINE


def test_offline_risk_budget_per_tier(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(tier_rules=(TierRule("silver", offline_count=2),)))
    terminal = store.open()
    silvers = [store.code(store.serial_of_tier("silver", i)) for i in range(4)]
    assert [terminal.redeem(c).status for c in silvers[:3]] == [
        Status.ACCEPTED_OFFLINE, Status.ACCEPTED_OFFLINE, Status.OFFLINE_BUDGET,
    ]  # fmt: skip
    assert terminal.redeem(store.code(store.serial_of_tier("music"))).ok  # other tiers unaffected
    assert store.open(FakeServer("accept")).redeem(silvers[3]).status is Status.ACCEPTED_ONLINE
    assert terminal.status()["offline_budget"]["silver"]["used"] == 2


def test_an_instant_prize_has_a_default_offline_budget(make_store: StoreFactory) -> None:
    store = make_store()  # the server set no rule for silver
    terminal = store.open()
    silvers = [store.code(store.serial_of_tier("silver", i)) for i in range(12)]
    statuses = [terminal.redeem(c).status for c in silvers[:11]]
    assert statuses == [Status.ACCEPTED_OFFLINE] * DEFAULT_PRIZE_OFFLINE_COUNT + [
        Status.OFFLINE_BUDGET
    ]
    musics = [store.code(store.serial_of_tier("music", i)) for i in range(12)]
    assert all(terminal.redeem(c).ok for c in musics)  # the everyday reward has no default
    assert terminal.status()["offline_budget"]["silver"] == {
        "used": 10, "max": 10, "value_used": 0.0, "max_value": None, "needs_online": False,
    }  # fmt: skip
    assert store.open(FakeServer("accept")).redeem(silvers[11]).status is Status.ACCEPTED_ONLINE


def test_a_prize_shipped_after_verification_is_provisional_offline(
    make_store: StoreFactory,
) -> None:
    store = make_store(claim_tiers="silver")
    terminal = store.open()
    silvers = [store.code(store.serial_of_tier("silver", i)) for i in range(12)]
    answers = [terminal.redeem(c) for c in silvers]
    assert all(a.status is Status.ACCEPTED_OFFLINE and a.provisional for a in answers)
    assert "provisional until the brand confirms it" in answers[0].message
    assert "silver" not in terminal.status()["offline_budget"]  # nothing ships before the check
    music = terminal.redeem(store.code(store.serial_of_tier("music")))
    assert music.provisional is None and music.message.startswith("Redeemed offline (will sync):")
    online = store.open(FakeServer("accept")).redeem(store.code(store.serial_of_tier("silver", 12)))
    assert online.status is Status.ACCEPTED_ONLINE and not online.provisional


def test_offline_budget_by_value(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(tier_rules=(TierRule("music", offline_value=0.0),)))
    # music's value is 0 in this campaign, so a value budget of 0 still lets them through
    assert store.open().redeem(store.code(store.serial_of_tier("music"))).ok


def test_hard_limit_refuses_and_names_it(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(limits=(Limit("cashier_day", 2, hard=True),)))
    terminal = store.open()
    assert terminal.redeem(store.code(1), actor="ann").ok
    assert terminal.redeem(store.code(2), actor="ann").ok
    refused = terminal.redeem(store.code(3), actor="ann")
    assert refused.status is Status.LIMIT and "2 redemptions per cashier per day" in refused.message
    assert terminal.redeem(store.code(3), actor="bob").ok  # another cashier's count


def test_soft_limit_lets_through_and_alerts_the_manager(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(limits=(Limit("terminal_hour", 1, hard=False),)))
    terminal = store.open()
    assert terminal.redeem(store.code(1)).ok
    second = terminal.redeem(store.code(2))
    assert second.status is Status.ACCEPTED_OFFLINE and second.warnings
    status = terminal.status()
    assert status["alerts"] == 1 and "per terminal per hour" in status["alert_list"][0]["message"]


def test_member_day_limit(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(limits=(Limit("member_day", 1),)))
    terminal = store.open()
    assert terminal.redeem(store.code(1), context={"member": "m1"}).ok
    assert terminal.redeem(store.code(2), context={"member": "m1"}).status is Status.LIMIT
    assert terminal.redeem(store.code(2), context={"member": "m2"}).ok
