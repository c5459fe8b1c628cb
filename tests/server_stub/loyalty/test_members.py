"""Members: found by phone in any written form or by card; one phone is one member, also when
two registrations race; a blocked member keeps the reason."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, func, select

from server_stub.database.loyalty_tables import members as members_table
from server_stub.errors import ApiError
from server_stub.loyalty import members
from server_stub.loyalty.program import set_program

NOW = 1_790_000_000.0
FORMS = ("+77011234567", "87011234567", "+7 701 123 45 67", "8 (701) 123-45-67")


def test_a_member_is_found_by_phone_in_any_form_and_by_card(db: Engine) -> None:
    with db.begin() as conn:
        made, new = members.register(conn, "+7 701 123 45 67", card="1234 5678", lang="kk",
                                     via="centre", now=NOW)  # fmt: skip
    assert new and made.phone == "+77011234567" and made.card == "12345678"
    with db.connect() as conn:
        for key in ("+77011234567", "8 701 123-45-67", "87011234567", "12345678", "1234-5678"):
            found = members.find(conn, key, region="KZ")
            assert found is not None and found.id == made.id, key
        assert members.find(conn, "+77011234568") is None
        assert members.find(conn, "not a number") is None
        assert members.find(conn, "") is None
        assert members.by_id(conn, made.id) == made


def test_a_second_registration_finds_the_first(db: Engine) -> None:
    with db.begin() as conn:
        first, new = members.register(conn, "+77011234567", via="kiosk", now=NOW)
        again, again_new = members.register(conn, "87011234567", lang="ru", via="ussd", now=NOW)
    assert new and not again_new and again == first
    assert again.registered_via == "kiosk"  # the first registration's


def test_a_card_joins_the_member_who_has_none_and_no_card_is_two_members(db: Engine) -> None:
    with db.begin() as conn:
        ann, _ = members.register(conn, "+77011234567", via="centre", now=NOW)
        with_card, new = members.register(conn, "+77011234567", card="A100", via="till", now=NOW)
        assert not new and with_card.id == ann.id and with_card.card == "A100"
        with pytest.raises(ApiError) as taken:
            members.register(conn, "+77017654321", card="a100", via="till", now=NOW)
        assert taken.value.code == "card_taken" and "another member" in taken.value.message
        with pytest.raises(ApiError) as differs:
            members.register(conn, "+77011234567", card="B200", via="till", now=NOW)
        assert differs.value.code == "card_differs"


@pytest.mark.parametrize("card", ["87011234567", "8 701 123 45 67", "77011234567"])
def test_a_card_that_reads_as_a_phone_number_is_refused(db: Engine, card: str) -> None:
    """A till in Kazakhstan types a member's phone as "8 701 123 45 67": a card with those
    digits would take that member's points (the card is looked up first), so none is given."""
    with db.begin() as conn:
        set_program(conn, region="KZ")
        ann, _ = members.register(conn, "+77011234567", via="centre", now=NOW)
        with pytest.raises(ApiError) as refused:
            members.register(conn, "+77051234567", card=card, via="centre", now=NOW)
        assert refused.value.code == "bad_card" and "phone number" in refused.value.message
        with pytest.raises(ApiError):  # nor added to a member who has no card yet
            members.register(conn, "+77051234567", via="centre", now=NOW)
            members.register(conn, "+77051234567", card=card, via="till", now=NOW)
        found = members.find(conn, "8 701 123 45 67")
        assert found is not None and found.id == ann.id
        # with no home region a till reads numbers as Indian: such a card is refused too
        set_program(conn, region="")
        with pytest.raises(ApiError):
            members.register(conn, "+77071234567", card="98765 43210", via="centre", now=NOW)


@pytest.mark.parametrize(
    ("phone", "fields", "code"),
    [
        ("12", {}, "bad_phone"),
        ("+77011234567", {"lang": "English!"}, "bad_lang"),
        ("+77011234567", {"via": "fax"}, "bad_channel"),
        ("+77011234567", {"card": "no"}, "bad_card"),
    ],
)
def test_bad_registrations_are_refused_in_words(
    db: Engine, phone: str, fields: dict[str, str], code: str
) -> None:
    with db.begin() as conn, pytest.raises(ApiError) as refused:
        members.register(conn, phone, now=NOW, **{"via": "centre", **fields})
    assert refused.value.code == code and refused.value.status == 422
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(members_table)).scalar() == 0


def test_a_blocked_member_keeps_why_until_unblocked(db: Engine) -> None:
    with db.begin() as conn:
        made, _ = members.register(conn, "+77011234567", via="centre", now=NOW)
        blocked = members.block(conn, made.id, "card reported stolen", NOW + 5)
        assert blocked.blocked == NOW + 5 and blocked.blocked_reason == "card reported stolen"
        with pytest.raises(ApiError):
            members.block(conn, made.id, "  ", NOW)
        with pytest.raises(ApiError) as missing:
            members.block(conn, made.id + 99, "x", NOW)
        assert missing.value.status == 404
        back = members.unblock(conn, made.id)
    assert back.blocked is None and back.blocked_reason == ""


def test_racing_registrations_of_one_phone_make_one_member(db: Engine) -> None:
    """Eight registrations of one phone at once (a kiosk, a till, USSD...): one member, each
    registration answered with it, exactly one told it made it."""
    start = threading.Barrier(8)
    answers: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def register(i: int) -> None:
        try:
            start.wait()
            with db.begin() as conn:
                made, new = members.register(conn, FORMS[i % len(FORMS)], via="till",
                                             now=time.time(), region="KZ")  # fmt: skip
                time.sleep(0.1)  # hold the transaction, so the others meet it
            answers.append((made.id, new))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({m for m, _ in answers}) == 1 and sum(new for _, new in answers) == 1
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(members_table)).scalar() == 1
