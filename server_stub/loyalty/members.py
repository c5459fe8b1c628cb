"""Members: one person, found by phone number (kept in E.164) or by card number. One phone is one
member: a second registration, by any channel and at the same moment as the first, finds the
first. A blocked member earns and spends nothing (the callers check `blocked`).

A number typed without its country code ("8 701 123 45 67") is read for a region: the one a
caller names, else the program's home region (`instore admin program set --region KZ`), else
(registering) the member's language's, else India. A number written with + needs none.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from server_stub.database.loyalty_tables import members
from server_stub.database.loyalty_tables import program as program_table
from server_stub.errors import ApiError
from server_stub.phones.numbers import normalise_phone

CHANNELS = ("centre", "till", "kiosk", "web", "ussd", "sync")
_CARD = re.compile(r"[A-Z0-9]{4,32}")
_LANG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,4})?")
_SPACING = re.compile(r"[\s\-]+")
# where a number typed without its country code is read as from, by the member's language
_REGION_OF_LANG = {"ru": "RU", "kk": "KZ"}
DEFAULT_REGION = "IN"
_RETRIES = 3


@dataclass(frozen=True)
class Member:
    id: int
    phone: str | None  # E.164, e.g. +77011234567
    card: str | None
    lang: str
    registered_via: str  # one of CHANNELS
    blocked: float | None  # when, or None
    blocked_reason: str = ""
    created: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def region_for(lang: str) -> str:
    return _REGION_OF_LANG.get(lang, DEFAULT_REGION)


def home_region(conn: Connection) -> str | None:
    """The program's home region (ISO, e.g. "KZ"), or None when it names none."""
    found = conn.execute(select(program_table.c.region).where(program_table.c.id == 1)).scalar()
    return None if not found else str(found)


def reading_region(conn: Connection, key: str, region: str | None = None) -> str:
    """The region a typed number is read for: `region`, else the home region, else India. A
    number starting with + carries its own, so the program's row is not read for it."""
    if region:
        return region
    if key.lstrip().startswith("+"):
        return DEFAULT_REGION
    return home_region(conn) or DEFAULT_REGION


def normalise_card(text: str) -> str:
    """A card number as printed ("1234 5678-90ab") in one form ("1234567890AB"); ApiError 422
    `bad_card` when it is not 4 to 32 letters and digits."""
    card = _SPACING.sub("", text).upper()
    if not _CARD.fullmatch(card):
        raise ApiError(422, "bad_card", "a card number is 4 to 32 letters and digits")
    return card


def find(conn: Connection, key: str, region: str | None = None) -> Member | None:
    """The member with this card number, or with this phone in any written form ("+7 701 123
    45 67", "8 701 ..." read for `region`, by default the program's home region); None when
    nobody has it or it is neither."""
    key = key.strip()
    if not key or len(key) > 64:
        return None
    card = _SPACING.sub("", key).upper()
    if _CARD.fullmatch(card):
        row = conn.execute(select(members).where(members.c.card == card)).first()
        if row is not None:
            return _member(row)
    try:
        phone = normalise_phone(key, reading_region(conn, key, region))
    except ApiError:
        return None
    return _by_phone(conn, phone)


def by_id(conn: Connection, member_id: int) -> Member | None:
    row = conn.execute(select(members).where(members.c.id == member_id)).first()
    return None if row is None else _member(row)


def register(
    conn: Connection, phone: str, *, card: str | None = None, lang: str = "en", via: str,
    now: float, region: str | None = None,
) -> tuple[Member, bool]:  # fmt: skip
    """The member with this phone, made now if there is none: (member, True) when made, (the
    first member, False) when the phone was registered before, even by a registration running
    at the same moment. A card given to a member who has none is added to it; a card another
    member holds is refused (409 `card_taken`). `region`: where a number without its country
    code is from (default: the program's home region; with none, by `lang`: Russian Russia,
    Kazakh Kazakhstan, else India)."""
    lang = _lang(lang)
    if via not in CHANNELS:
        raise ApiError(422, "bad_channel", f"a member registers by one of {', '.join(CHANNELS)}")
    if not region and not phone.lstrip().startswith("+"):
        region = home_region(conn)
    e164 = normalise_phone(phone, region or region_for(lang))
    card = None if card is None or not card.strip() else normalise_card(card)
    if card is not None:
        _not_a_phone(card, {home_region(conn) or DEFAULT_REGION, region or region_for(lang)})
    for _ in range(_RETRIES):
        found = _by_phone(conn, e164)
        if found is not None:
            return _with_card(conn, found, card), False
        _card_free(conn, card, None)
        try:
            # a savepoint of its own: when another registration of the phone (or card) commits
            # first, the unique constraint refuses this one and the caller's transaction lives on
            with conn.begin_nested():
                conn.execute(members.insert().values(
                    phone=e164, card=card, lang=lang, registered_via=via, created=now
                ))  # fmt: skip
        except IntegrityError:
            continue  # the other registration won: read it back
        made = _by_phone(conn, e164)
        assert made is not None
        return made, True
    raise ApiError(409, "busy", "the member is being registered elsewhere; try again")


def block(conn: Connection, member_id: int, reason: str, now: float) -> Member:
    """From now on the member earns and spends nothing; the reason is kept for the helpdesk."""
    reason = reason.strip()
    if not reason:
        raise ApiError(422, "bad_reason", "say why the member is blocked")
    _must(conn, member_id)
    conn.execute(
        update(members).where(members.c.id == member_id)
        .values(blocked=now, blocked_reason=reason[:1000])
    )  # fmt: skip
    return _must(conn, member_id)


def set_lang(conn: Connection, member_id: int, lang: str) -> Member:
    """The language the member's menus and messages come in (e.g. chosen on USSD)."""
    lang = _lang(lang)
    _must(conn, member_id)
    conn.execute(update(members).where(members.c.id == member_id).values(lang=lang))
    return _must(conn, member_id)


def unblock(conn: Connection, member_id: int) -> Member:
    _must(conn, member_id)
    conn.execute(
        update(members).where(members.c.id == member_id).values(blocked=None, blocked_reason="")
    )
    return _must(conn, member_id)


def must_find(conn: Connection, key: str, region: str | None = None) -> Member:
    """`find`, or ApiError 404 `no_member` in words."""
    found = find(conn, key, region)
    if found is None:
        raise ApiError(404, "no_member", f"no member has the phone or card {key.strip()[:64]!r}")
    return found


def _lang(lang: str) -> str:
    lang = lang.strip().lower()
    if not _LANG.fullmatch(lang):
        raise ApiError(422, "bad_lang", "a language is a code such as en, ru or kk")
    return lang


def _must(conn: Connection, member_id: int) -> Member:
    found = by_id(conn, member_id)
    if found is None:
        raise ApiError(404, "no_member", f"there is no member {member_id}")
    return found


def _with_card(conn: Connection, member: Member, card: str | None) -> Member:
    if card is None or member.card == card:
        return member
    if member.card is not None:
        raise ApiError(
            409, "card_differs",
            f"the phone is registered with another card ({member.card}); it keeps that one",
        )  # fmt: skip
    _card_free(conn, card, member.id)
    try:
        with conn.begin_nested():
            conn.execute(update(members).where(members.c.id == member.id).values(card=card))
    except IntegrityError:
        raise _taken(card) from None
    return _must(conn, member.id)


def _not_a_phone(card: str, regions: set[str]) -> None:
    """Refuse a card whose digits read as a phone number where tills read numbers: `find` looks
    a card up first, so a card "87011234567" would take the points a till in Kazakhstan gives
    the member +77011234567, typed as "8 701 123 45 67"."""
    for region in sorted(regions):
        try:
            phone = normalise_phone(card, region)
        except ApiError:
            continue
        raise ApiError(
            422, "bad_card",
            f"card {card} reads as the phone number {phone}; a till would take it for that"
            " phone, so give the card's own number",
        )  # fmt: skip


def _card_free(conn: Connection, card: str | None, member_id: int | None) -> None:
    if card is None:
        return
    holder = conn.execute(select(members.c.id).where(members.c.card == card)).scalar()
    if holder is not None and holder != member_id:
        raise _taken(card)


def _taken(card: str) -> ApiError:
    return ApiError(409, "card_taken", f"card {card} belongs to another member")


def _by_phone(conn: Connection, phone: str) -> Member | None:
    row = conn.execute(select(members).where(members.c.phone == phone)).first()
    return None if row is None else _member(row)


def _member(row: Any) -> Member:
    return Member(row.id, row.phone, row.card, row.lang, row.registered_via, row.blocked,
                  row.blocked_reason, row.created)  # fmt: skip
