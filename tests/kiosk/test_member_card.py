"""A card printed by the server (`instore admin member card`'s engine) is read by the kiosk: its
QR, read back from the picture, names the member on the points screen, by phone or by card."""

from __future__ import annotations

import pytest

from codes.card_print import write_card
from codes.qr_read import read_codes
from kiosk.flow import Flow, Screen
from kiosk.settings import KioskSettings
from server_stub.loyalty import member_cards, members
from tests.sync.test_member_codes import PHONE
from tests.world import World


@pytest.mark.parametrize("by_card", [False, True])
def test_a_printed_card_names_the_member_at_the_kiosk(world: World, by_card: bool) -> None:
    world.setup()
    with world.engine.begin() as conn:
        members.register(conn, PHONE, card="CARD-0042", via="centre", now=0.0)
        face = member_cards.card_face(conn, PHONE, "CARD0042" if by_card else None)
    [text] = read_codes(write_card(world.tmp / "card.png", face))
    till = world.device("s2", "Till")  # points earned by phone at a till, synced
    till.terminal.accrue(PHONE, 1_000.0, "R-1")
    till.sync()
    kiosk = world.device("s1", "Kiosk", online=True)
    flow = Flow(kiosk.terminal, KioskSettings(db=kiosk.path, country="KZ"))
    flow.open_loyalty()
    assert flow.code_seen(text) is None  # a card, not a prize code: nothing redeemed
    assert flow.screen is Screen.LOYALTY
    assert flow.loyalty.member == ("CARD0042" if by_card else PHONE)
    assert flow.loyalty.balance == 100 and flow.loyalty.balance_online  # either key
