"""How a win's prize reaches the shopper on the kiosk, without a window: the voucher code shown
at once (offline too), the claim QR's link, and honest words when there is neither."""

from __future__ import annotations

from codes.common.claim_link import PATH
from kiosk.flow import Flow
from kiosk.i18n import Text
from kiosk.settings import KioskSettings
from terminal.config import TerminalConfig
from tests.kiosk.conftest import Store, StoreFactory, scan, send_slice

PLAY = "https://play.example.com"


def prize_kiosk(make_store: StoreFactory, play_url: str = PLAY) -> tuple[Store, Flow]:
    """A kiosk that has never reached its server: gold is claimed, music comes as a voucher."""
    store = make_store(TerminalConfig(play_url=play_url), name="prizes", claim_tiers="gold")
    return store, Flow(store.open(), KioskSettings(db=store.path))


def test_an_offline_win_of_a_voucher_prize_shows_the_voucher_at_once(
    make_store: StoreFactory,
) -> None:
    store, flow = prize_kiosk(make_store)
    send_slice(flow.terminal, "MUSIC-7K3Q-PX2M")
    view = scan(flow, store.code(store.serial_of_tier("music")))
    assert view.won and view.status == "accepted_offline"
    assert view.voucher == "MUSIC-7K3Q-PX2M" and view.qr == ""
    assert view.lines == (Text.of("result.offline"), Text.of("result.voucher"))

    later = scan(flow, store.code(store.serial_of_tier("music", 1)))  # the slice is used up
    assert later.won and later.voucher == ""
    assert Text.of("result.voucher_later") in later.lines
    assert Text.of("result.voucher") not in later.lines


def test_a_claim_win_shows_the_qr_to_its_claim_form(make_store: StoreFactory) -> None:
    store, flow = prize_kiosk(make_store)
    gold = store.code(store.serial_of_tier("gold"))
    view = scan(flow, gold)
    assert view.won and view.voucher == ""
    assert view.qr.startswith(f"{PLAY}{PATH}?code={gold}&event=")
    assert view.lines == (Text.of("result.provisional"), Text.of("result.scan_to_claim"))
    assert flow.terminal.device.device_id in view.qr


def test_with_no_link_to_show_a_claim_win_keeps_the_old_words(make_store: StoreFactory) -> None:
    store, flow = prize_kiosk(make_store, play_url="")  # and no server: no address at all
    view = scan(flow, store.code(store.serial_of_tier("gold")))
    assert view.won and view.qr == ""
    assert view.lines == (Text.of("result.provisional"), Text.of("result.next.claim"))
    music = scan(flow, store.code(store.serial_of_tier("music")))  # no pool ever sent here
    assert music.lines == (Text.of("result.offline"), Text.of("result.next.instant"))
