"""The member's page as data, without HTTP: a member's balance, what is pending until when, what
expires when, the history with partners and stores, the prize catalogue with its suppliers;
registration on the web (one phone, one member); a blocked member sees only that; and nothing
of another member ever."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from server_stub.database.loyalty_tables import members as members_table
from server_stub.loyalty import lots, members
from server_stub.play import i18n, member_pages
from tests.server_stub.play.member_world import (
    ASHA,
    BORIS,
    DAY,
    NEW,
    coalition,
    many_earns,
)
from tests.world import World


def test_a_members_page_says_what_is_available_pending_expiring_and_where_it_came_from(
    world: World,
) -> None:
    made = coalition(world)
    data = member_pages.page_data(world.engine, ASHA, made.now)
    assert data["step"] == "member" and data["program"] == "Coalition Club"
    assert (data["available"], data["pending"]) == (420, 40)
    ready = member_pages._day(made.now - 3 * DAY + 14 * DAY)
    assert data["pending_dates"] == [{"on": ready.isoformat(), "points": 40}]
    mobi_ends = lots.last_day(lots.expiry_of(made.now - 200 * DAY, 12)).isoformat()
    assert {"on": mobi_ends, "points": 300} in data["expiring"]
    assert sum(e["points"] for e in data["expiring"]) == 460  # pending points expire too
    assert data["expiring"] == sorted(data["expiring"], key=lambda e: e["on"])

    lines = [(m["kind"], m["points"], m["partner"], m["store"]) for m in data["history"]]
    assert lines[:2] == [
        ("return", -20, "Fuel Co", "Fuel Ring Road"),
        ("earn", 60, "Fuel Co", "Fuel Ring Road"),
    ]
    # the expiry is dated at the end of its month: before or after the spend, by today's date
    assert ("spend", -200, "Fuel Co", "Fuel Ring Road") in lines[2:4]
    assert ("expire", -40, "Volt Electronics", "") in lines[2:4]
    assert ("earn", 500, "Mobi Phones", "Mobi Mall Road") in lines and len(lines) == 7
    assert not data["older"]

    prizes = {p["id"]: p for p in data["catalogue"]}
    assert prizes["cinema"] | {} == {
        "id": "cinema", "name": "Cinema ticket", "points": 300, "partner": "mobi",
        "partner_name": "Mobi Phones", "within_reach": True,
    }  # fmt: skip
    assert prizes["fuel-20"]["partner_name"] == "Fuel Co" and not prizes["fuel-20"]["within_reach"]


def test_another_members_points_never_show(world: World) -> None:
    made = coalition(world)
    asha = json.dumps(member_pages.page_data(world.engine, ASHA, made.now))
    boris = json.dumps(member_pages.page_data(world.engine, BORIS, made.now))
    assert "7777" not in asha and "7777" in boris
    assert "Mobi Phones" not in boris.replace('"partner_name": "Mobi Phones"', "")


def test_history_comes_in_pages_newest_first(world: World) -> None:
    made = coalition(world)
    many_earns(world, made.asha, 25, made.now)  # 32 lines in all
    first = member_pages.page_data(world.engine, ASHA, made.now, page=1)
    last = member_pages.page_data(world.engine, ASHA, made.now, page=4)
    assert len(first["history"]) == member_pages.PAGE_SIZE and first["older"]
    assert len(last["history"]) == 2 and not last["older"]
    days = [m["on"] for p in range(1, 5)
            for m in member_pages.page_data(world.engine, ASHA, made.now, page=p)["history"]]  # fmt: skip
    assert days == sorted(days, reverse=True) and len(days) == 32
    assert member_pages.page_data(world.engine, ASHA, made.now, page=10**6)["page"] == (
        member_pages.MOST_PAGES
    )


def test_a_phone_that_is_no_member_joins_once(world: World) -> None:
    made = coalition(world)
    assert member_pages.page_data(world.engine, NEW, made.now)["step"] == "join"
    first, made_now = member_pages.join(world.engine, NEW, "kk", made.now)
    again, made_again = member_pages.join(world.engine, NEW, "en", made.now)
    assert made_now and not made_again and again.id == first.id
    assert (first.lang, first.registered_via) == ("kk", "web")
    page = member_pages.page_data(world.engine, NEW, made.now)
    assert (page["step"], page["available"], page["history"], page["member_lang"]) == (
        "member", 0, [], "kk",
    )  # fmt: skip
    with world.engine.connect() as conn:
        rows = conn.execute(select(members_table.c.id).where(members_table.c.phone == NEW)).all()
    assert len(rows) == 1


def test_a_blocked_member_sees_that_and_whom_to_call_nothing_else(world: World) -> None:
    made = coalition(world)
    with world.engine.begin() as conn:
        members.block(conn, made.boris, "card shared at many tills", made.now)
    data = member_pages.page_data(world.engine, BORIS, made.now)
    assert data == {"step": "blocked", "phone": "+7\u00a0•••\u00a06789", "program": "Coalition Club",
                    "member_lang": "ru"}  # fmt: skip
    assert "card shared" not in json.dumps(data)


@pytest.mark.parametrize(
    ("lang", "on", "words"),
    [
        ("en", "2026-12-31", "31 December"),
        ("en", "2027-01-31", "31 January 2027"),
        ("ru", "2026-12-31", "31 декабря"),
        ("kk", "2027-12-31", "2027 ж. 31 желтоқсан"),
        ("hi", "2026-11-05", "5 नवंबर"),
    ],
)
def test_a_day_in_the_members_words(lang: str, on: str, words: str) -> None:
    said = member_pages.day_words(i18n.translator(lang), on, date(2026, 6, 1))
    assert said == words.replace(" ", "\u00a0")
