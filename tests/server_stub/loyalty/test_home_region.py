"""The program's home region: a number a till in Kazakhstan types without its country code ("8 701
123 45 67") is the member +77011234567, not a stranger read as Indian; and a member's language
is changed through members.set_lang (as USSD's language menu does)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from server_stub.device_api import point_lots
from server_stub.errors import ApiError
from server_stub.loyalty import members
from server_stub.loyalty.program import program, set_program

NOW = 1_790_000_000.0
TYPED = "8 701 123 45 67"


def test_a_number_without_its_country_code_is_read_for_the_programs_home_region(
    db: Engine,
) -> None:
    with db.begin() as conn:
        aida, _ = members.register(conn, "+7 701 123 45 67", via="centre", now=NOW)
        assert members.find(conn, TYPED) is None  # read as Indian: nobody
        assert set_program(conn, region="kz").region == "KZ"
    with db.begin() as conn:
        found = members.find(conn, TYPED)
        assert found is not None and found.id == aida.id
        again, new = members.register(conn, TYPED, lang="en", via="till", now=NOW)
        assert not new and again.id == aida.id  # one phone, one member
        # a till's key no member has is a phone of the home region, not a card number
        stranger = point_lots._register(conn, "8 701 765 43 21", NOW)
        assert stranger is not None and (stranger.phone, stranger.card) == ("+77017654321", None)
        assert point_lots.find(conn, "87017654321") == stranger
        # a caller that names a region still reads for it; a + number needs none
        assert members.find(conn, TYPED, region="IN") is None
        assert members.find(conn, "+77011234567") == found


def test_the_home_region_is_a_known_country_and_can_be_cleared(db: Engine) -> None:
    with db.begin() as conn:
        for bad in ("XX", "KAZ", "7"):
            with pytest.raises(ApiError) as refused:
                set_program(conn, region=bad)
            assert refused.value.code == "bad_program" and "two-letter" in refused.value.message
        set_program(conn, region="KZ", otp_above=100)
        assert set_program(conn, pending_days=3).region == "KZ"  # left out: kept
        cleared = set_program(conn, region="")
        assert cleared.region is None and program(conn).otp_above == 100
        members.register(conn, "+77011234567", via="centre", now=NOW)
        assert members.find(conn, TYPED) is None  # back to India


def test_a_members_language_is_set_in_one_place(db: Engine) -> None:
    with db.begin() as conn:
        made, _ = members.register(conn, "+77011234567", via="ussd", now=NOW)
        assert made.lang == "en"
        assert members.set_lang(conn, made.id, " KK ").lang == "kk"
        assert members.by_id(conn, made.id).lang == "kk"  # type: ignore[union-attr]
        with pytest.raises(ApiError) as bad:
            members.set_lang(conn, made.id, "Kazakh!")
        assert bad.value.code == "bad_lang"
        with pytest.raises(ApiError) as nobody:
            members.set_lang(conn, made.id + 1000, "ru")
        assert nobody.value.code == "no_member"
