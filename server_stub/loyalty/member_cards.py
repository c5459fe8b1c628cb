"""What a member's printed card shows: the card's QR text (codes/member_card.py, the format the
kiosk reads), the program's name and the member's number, mostly hidden. The QR names the member
by their card number when one is asked for, else by their phone in international form; either
way the tills and kiosks find the same member."""

from __future__ import annotations

from sqlalchemy import Connection

from codes.card_print import CardFace
from codes.member_card import masked, member_qr_text
from server_stub.errors import ApiError
from server_stub.loyalty import members
from server_stub.loyalty.program import program


def card_face(
    conn: Connection, phone: str, card: str | None = None, region: str | None = None
) -> CardFace:
    """The card of the member with this phone (in any written form, read for `region`). With
    `card`, the QR holds that card number, which must be theirs. ApiError: nobody has the phone
    (404), the card is not theirs (422), the member is blocked (409)."""
    member = members.must_find(conn, phone, region)
    if member.blocked is not None:
        raise ApiError(409, "member_blocked", f"member {member.id} is blocked"
                       f" ({member.blocked_reason}): unblock them before printing a card")  # fmt: skip
    if card is None:
        key = member.phone
        if key is None:
            raise ApiError(422, "no_phone", f"member {member.id} has no phone: give --card")
    else:
        key = members.normalise_card(card)
        if member.card != key:
            theirs = f"their card is {member.card}" if member.card else "they have no card yet"
            raise ApiError(422, "not_their_card", f"card {key} is not member {member.id}'s:"
                           f" {theirs} (a card is given with 'member add --phone P --card C')")  # fmt: skip
    return CardFace(member_qr_text(key), program(conn).name, masked(key))
