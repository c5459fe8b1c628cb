"""The kiosk's flow without a window: what a shopper's scan, typing and waiting lead to."""

from __future__ import annotations

from typing import Any

from kiosk import manager_view
from kiosk.flow import Flow, Screen
from kiosk.i18n import Text, render
from kiosk.manager_lock import ManagerLock, set_pin
from kiosk.settings import KioskSettings
from terminal.config import CatalogueItem, Loyalty, TerminalConfig
from terminal.results import Status
from tests.kiosk.conftest import FakeServer, Kiosk, StoreFactory, scan


def test_a_scanned_code_goes_straight_to_its_result_and_into_the_ledger(kiosk: Kiosk) -> None:
    kiosk.flow.open_typing()  # from any screen
    view = scan(kiosk.flow, kiosk.store.code(7))
    assert kiosk.flow.screen is Screen.RESULT and view.won
    assert view.status == "accepted_offline"
    assert Text.of("result.offline") in view.lines  # honest: confirmed here, not yet by the brand
    assert kiosk.redemptions() == 1


def test_the_same_pack_in_front_of_the_camera_redeems_once(kiosk: Kiosk) -> None:
    code = kiosk.store.code(3)
    views = []
    for _ in range(30):  # 30 frames in a row, a third of a second apart
        views.append(scan(kiosk.flow, code))
        kiosk.clocks.tick(0.33)
    assert kiosk.redemptions() == 1
    assert {v.status for v in views} == {"accepted_offline"}  # never "already redeemed here"
    assert all(v is views[0] for v in views)  # one result, shown once
    kiosk.flow.act("button.done")  # done, but the pack is still there
    assert scan(kiosk.flow, code).status == "accepted_offline"
    kiosk.clocks.tick(10.5)  # gone for longer than the window: a new shopper, a new answer
    assert scan(kiosk.flow, code).status == "already_redeemed_here"
    assert kiosk.redemptions() == 1


def test_every_refusal_has_words_and_a_way_on(kiosk: Kiosk) -> None:
    code = kiosk.store.code(4)
    scan(kiosk.flow, code)
    kiosk.clocks.tick(11)
    again = scan(kiosk.flow, code)
    assert again.tone == "refusal"
    assert again.lines == (Text.of("result.already_redeemed_here"),)
    assert again.actions == ("button.try_again", "button.start_over")
    mistyped = scan(kiosk.flow, code[:-1] + ("X" if code[-1] != "X" else "Y"))
    assert mistyped.lines == (Text.of("result.mistyped"),)
    assert scan(kiosk.flow, "hello").lines == (Text.of("result.invalid"),)


def test_try_again_returns_to_where_the_shopper_came_from(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    scan(flow, "not a code")
    flow.act("button.try_again")
    assert flow.screen is Screen.ATTRACT
    flow.open_typing()
    for symbol in "0000000000000000":
        flow.press(symbol)
    flow.press("0")
    assert flow.submit() is None  # mistyped: refused on the keypad, before any redemption
    assert flow.entry.mistyped and kiosk.redemptions() == 0


def test_typing_a_code_by_hand(kiosk: Kiosk) -> None:
    flow, code = kiosk.flow, kiosk.store.code(11)
    flow.open_typing()
    assert flow.entry.prefix == "HV"  # every campaign here shares it: given
    for symbol in code.replace("-", "")[2:]:
        flow.press(symbol)
    flow.press("7")  # the code is full: ignored
    assert flow.entry.display() == code
    assert flow.typing_hint() == Text.of("type.complete")
    view = flow.submit()
    assert view is not None and view.won and kiosk.redemptions() == 1


def test_idle_prompt_then_reset_wipes_the_session(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    flow.set_language("kk")
    flow.open_typing()
    for symbol in "1FYT5":
        flow.press(symbol)
    kiosk.clocks.tick(59)
    flow.tick()
    assert flow.idle_left is None
    kiosk.clocks.tick(2)
    flow.tick()
    assert flow.idle_left == 19
    flow.touched()  # "I'm still here"
    assert flow.idle_left is None and flow.entry.symbols == "1FYT5"
    flow.open_loyalty()
    for digit in "9876543210":
        flow.loyalty.press(digit)
    assert flow.loyalty.submit_phone() and flow.loyalty.member == "+919876543210"
    kiosk.clocks.tick(81)
    flow.tick()
    assert flow.screen is Screen.ATTRACT
    assert flow.entry.symbols == "" and flow.lang == "en" and flow.result is None
    assert flow.loyalty.member is None and flow.loyalty.phone == ""


def test_the_attract_screen_never_times_out(kiosk: Kiosk) -> None:
    kiosk.clocks.tick(3600)
    kiosk.flow.tick()
    assert kiosk.flow.screen is Screen.ATTRACT and kiosk.flow.idle_left is None


def test_a_prize_confirmed_before_it_ships_is_provisional_offline(
    make_store: StoreFactory,
) -> None:
    store = make_store(name="claims", claim_tiers="gold")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    view = scan(flow, store.code(store.serial_of_tier("gold")))
    assert view.won and view.art.endswith("gold.png")
    # then the claim's reference, what to have ready and the last day to claim (result_view)
    assert view.lines[:2] == (Text.of("result.provisional"), Text.of("result.next.claim"))
    assert [line.key for line in view.lines[2:]] == [
        "result.claim_reference",
        "result.claim_bring",
        "result.claim_by",
    ]


def test_online_acceptance_says_nothing_of_offline(make_store: StoreFactory) -> None:
    store = make_store(name="online")
    flow = Flow(store.open(FakeServer("accept")), KioskSettings(db=store.path))
    view = scan(flow, store.code(5))
    assert view.status == Status.ACCEPTED_ONLINE
    assert Text.of("result.offline") not in view.lines


def test_five_wrong_pins_lock_the_manager_screen_across_a_restart(kiosk: Kiosk) -> None:
    flow = kiosk.flow
    set_pin(flow.terminal.ledger, "2468")
    flow.open_pin()
    for attempt in range(5):
        for digit in "1111":
            flow.manager.pin_key(digit)
        flow.manager.pin_key("pin.enter")
        if attempt < 4:
            assert flow.manager.pin_message == Text.of("pin.wrong", left=4 - attempt)
    assert flow.manager.pin_message == Text.of("pin.locked", minutes=5)
    restarted = ManagerLock(flow.terminal.ledger, clock=lambda: kiosk.clocks.wall)
    assert restarted.try_pin("2468").verdict == "locked"  # even the right PIN, for now
    kiosk.clocks.tick(301)
    assert restarted.try_pin("2468").verdict == "open"
    assert flow.screen is Screen.PIN
    for digit in "2468":
        flow.manager.pin_key(digit)
    assert flow.manager.pin_key("pin.enter")
    assert flow.screen.value == "manager"  # a method call moved it on


def test_no_pin_set_says_so(kiosk: Kiosk) -> None:
    kiosk.flow.open_pin()
    assert kiosk.flow.manager.pin_message == Text.of("pin.not_set")
    kiosk.flow.manager.pin_key("1")
    assert not kiosk.flow.manager.pin_key("pin.enter")
    assert kiosk.flow.screen is Screen.PIN


def test_details_are_kept_only_with_consent(make_store: StoreFactory) -> None:
    store = make_store(name="details", ask_details=True)
    flow = Flow(store.open(), KioskSettings(db=store.path, cities=("Almaty",)))
    assert flow.code_seen(store.code(1)) is None and flow.screen is Screen.DETAILS
    assert flow.code_seen(store.code(1)) is None  # the pack still in front of the camera
    for digit in "9876543210":
        flow.details.press(digit)
    flow.details.choose("city", "Almaty")
    flow.details.choose("city", "Paris")  # not offered: ignored
    assert not flow.details.consent  # starts unticked
    view = flow.details_done()
    assert view is not None and view.won
    flow.start_over()
    flow.code_seen(store.code(2))
    flow.details.toggle_consent()
    flow.details.press("1")
    assert flow.details_done() is None  # consent with a number that is not one: said, not sent
    assert flow.details.message == Text.of("details.bad_phone")
    flow.details.delete()
    for digit in "9876543210":
        flow.details.press(digit)
    flow.details.choose("age_band", "25_34")
    assert flow.details_done() is not None
    contexts = [r["payload"] for r in flow.terminal.ledger.read(
        "SELECT payload FROM events WHERE kind = 'redeem' ORDER BY seq")]  # fmt: skip
    assert '"context": {}' in contexts[0] and "9876543210" not in contexts[0]
    assert '"consent": true' in contexts[1] and '"age_band": "25_34"' in contexts[1]
    assert '"member": "+919876543210"' in contexts[1]


def test_points_by_phone_check_in_and_spend_with_a_confirm(make_store: StoreFactory) -> None:
    catalogue = (CatalogueItem("cap", "Cap", 50),)
    store = make_store(TerminalConfig(catalogue=catalogue, loyalty=Loyalty(checkin_points=30)),
                       name="points")  # fmt: skip
    pushes: list[int] = []
    flow = Flow(
        store.open(), KioskSettings(db=store.path), after_operation=lambda: pushes.append(1)
    )
    desk = flow.loyalty
    flow.open_loyalty()
    for digit in "12345":
        desk.press(digit)
    assert not desk.submit_phone() and desk.message == Text.of("loyalty.bad_phone")
    assert desk.member_card("member:CARD-7") and desk.member == "CARD-7"
    assert desk.balance_text() == Text.of("loyalty.balance_offline", points=0)
    desk.check_in()
    assert desk.message == Text.of("loyalty.checked_in", points=30) and desk.balance == 30
    desk.check_in()
    assert desk.message == Text.of("loyalty.come_back_tomorrow") and desk.balance == 30
    desk.choose("cap")
    assert desk.confirming is None and desk.message == Text.of("loyalty.not_enough", points=20)
    flow.terminal.accrue("CARD-7", 200.0, "r-1")
    desk.refresh_balance()
    assert [p.affordable for p in desk.prizes()] == [True]
    desk.choose("cap")
    assert desk.confirming is not None and desk.balance == 50  # nothing spent before "yes"
    desk.confirm()
    assert desk.message == Text.of("loyalty.spent", prize="Cap", points=50) and desk.balance == 0
    assert len(pushes) == 2  # the check-in and the spend each asked the sync to push soon


def test_the_manager_is_warned_before_the_offline_deadline() -> None:
    status: dict[str, Any] = {
        "online": False, "online_since": None, "offline_since": "2026-12-01T08:00:00+00:00",
        "pending": 3, "oldest_pending_s": 0.8 * 72 * 3600, "max_offline_s": 72 * 3600,
        "overdue": False, "last_pull": None, "conflict_list": [], "rejected_list": [],
        "alert_list": [], "offline_budget": {"gold": {"used": 2, "max": 10}},
    }  # fmt: skip
    seen = manager_view.view(status, [])
    assert seen.warn and not seen.overdue
    assert render(seen.connection, "en") == "Offline since 01 December 08:00:00"
    assert render(seen.pending, "en") == "3 events waiting to sync"
    assert seen.oldest is not None and render(seen.oldest, "en") == (
        "the oldest is 2 days old and must reach the server within 3 days"
    )
    assert [render(b, "en") for b in seen.budget] == ["gold: 2 of 10"]
    assert render(seen.heading("budget"), "en") == (
        "Prizes given offline since the last sync: 2 of 10 allowed"
    )
    assert not manager_view.view({**status, "oldest_pending_s": 3600}, []).warn
