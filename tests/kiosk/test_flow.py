"""The kiosk's flow without a window: what a shopper's scan, typing and waiting lead to."""

from __future__ import annotations

from kiosk.flow import Flow, Screen
from kiosk.i18n import Text
from kiosk.manager_lock import ManagerLock, set_pin
from kiosk.settings import KioskSettings
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
    kiosk.clocks.tick(81)
    flow.tick()
    assert flow.screen is Screen.ATTRACT
    assert flow.entry.symbols == "" and flow.lang == "en" and flow.result is None


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
    assert view.lines == (Text.of("result.provisional"), Text.of("result.next.claim"))


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
