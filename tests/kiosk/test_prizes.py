"""How a win's prize reaches the shopper on the kiosk, without a window: the voucher code shown
at once (offline too), the claim QR's link, and honest words when there is neither."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from codes.common.claim_link import PATH
from kiosk.flow import Flow
from kiosk.i18n import LANGUAGES, Text, render
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
    assert view.lines[:2] == (Text.of("result.provisional"), Text.of("result.scan_to_claim"))
    assert flow.terminal.device.device_id in view.qr
    # the reference, what to have ready and by when, in every language
    last_day = (datetime.now(UTC) + timedelta(days=30)).date()  # the tier's claim_days
    words = {lang: [render(line, lang) for line in view.lines[2:]] for lang in LANGUAGES}
    assert words["en"] == [
        f"Your reference: {gold}",
        "To claim, have ready a photo of your purchase invoice and of both sides of your ID.",
        f"Last day to claim: {last_day.day} {last_day.strftime('%B')} {last_day.year}",
    ]
    for lang in ("hi", "ru", "kk"):
        assert words[lang] != words["en"] and gold in words[lang][0], lang
        assert str(last_day.year) in words[lang][2], lang
        assert words[lang][1] == render(Text.of("result.claim_bring"), lang) != words["en"][1]


def test_with_no_link_to_show_a_claim_win_keeps_the_old_words(make_store: StoreFactory) -> None:
    store, flow = prize_kiosk(make_store, play_url="")  # and no server: no address at all
    view = scan(flow, store.code(store.serial_of_tier("gold")))
    assert view.won and view.qr == ""
    assert view.lines[:2] == (Text.of("result.provisional"), Text.of("result.next.claim"))
    assert Text.of("result.claim_bring") in view.lines  # what to have ready, link or not
    music = scan(flow, store.code(store.serial_of_tier("music")))  # no pool ever sent here
    assert music.lines == (Text.of("result.offline"), Text.of("result.next.instant"))
