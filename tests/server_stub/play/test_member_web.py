"""The member's page over HTTP on loopback, as a browser without JavaScript posts its forms:
signing in with a one-time password, the page and its JSON, registration (one phone, one
member), a blocked member, sign-out, and what an attacker tries: no CSRF token, another
member's data, guessing and asking for codes too often."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from server_stub.database.loyalty_tables import members as members_table
from server_stub.loyalty import members
from server_stub.loyalty.program import set_program
from server_stub.play import i18n
from tests.server_stub.play.member_world import (
    ASHA,
    BORIS,
    NEW,
    Member,
    Program,
    coalition,
    many_earns,
)
from tests.server_stub.play.shopper import Client, messages, server_for, sms_folder
from tests.world import World

pytestmark = pytest.mark.parametrize("server_url", ["sqlite"], indirect=True)


@pytest.fixture
def site(world: World) -> Iterator[tuple[str, Program]]:
    made = coalition(world)
    with server_for(world) as url:
        yield url, made


def browser(world: World, url: str) -> Member:
    return Member(Client(url), sms_folder(world))


def text(member: Member) -> str:
    """The page's words as a reader sees them (tags dropped, entities read)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", member.html))


def test_a_member_signs_in_and_sees_points_history_and_prizes(
    world: World, site: tuple[str, Program]
) -> None:
    url, _ = site
    asha = browser(world, url).sign_in(ASHA)
    shown = text(asha)
    assert "420" in shown and i18n.say("en", "member.available") in shown
    assert i18n.say("en", "member.pending", points=40) in shown
    assert re.search(r"300 points expire on \d+\xa0\w+", shown), shown
    assert "Earned at Mobi Phones" in shown and "Spent at Fuel Co" in shown
    assert "Purchase returned at Fuel Co" in shown and "Expired" in shown
    assert "Cinema ticket" in shown and "Supplied by Mobi Phones" in shown
    assert "7777" not in shown
    cookie = asha.page.headers["set-cookie"] if asha.page is not None else ""
    assert "instore_member=" in cookie and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Path=/member" in cookie
    data = asha.open(format="json").json()
    assert (data["step"], data["available"], data["pending"]) == ("member", 420, 40)
    assert "csrf" not in data and asha.page is not None
    assert asha.page.headers["cache-control"] == "no-store"


def test_another_members_data_is_never_shown(world: World, site: tuple[str, Program]) -> None:
    url, made = site
    asha = browser(world, url).sign_in(ASHA)
    for params in ({"phone": BORIS}, {"member": str(made.boris)}, {"card": BORIS, "page": "1"}):
        data = asha.open(format="json", **params).json()
        assert data["available"] == 420, params
    # a visit waiting for Boris's password sees no page of his, whatever it sends
    thief = browser(world, url)
    thief.open()
    thief.post(phone=BORIS)
    assert thief.open(format="json").json() == {"step": "otp", "phone": "+7\u00a0•••\u00a06789"}
    thief.open()
    thief.post(otp="000000")
    assert thief.page is not None and thief.page.status_code == 401
    assert "7777" not in thief.html and 'name="otp"' in thief.html
    # Asha's cookie does not sign in another browser's Boris either: cookies are per visit
    assert "7777" not in asha.open().text


def test_a_form_without_its_token_is_refused_in_the_readers_language(
    world: World, site: tuple[str, Program]
) -> None:
    url, _ = site
    member = browser(world, url)
    member.open(lang="ru")
    refused = member.client.post("/member/", data={"phone": ASHA, "csrf": "forged" * 8})
    assert refused.status_code == 403
    assert i18n.say("ru", "error.bad_csrf") in html.unescape(refused.text)
    assert not messages(sms_folder(world), "otp")  # nothing was sent


def test_bad_input_and_too_many_codes_are_answered_in_words(
    world: World, site: tuple[str, Program]
) -> None:
    url, _ = site
    member = browser(world, url)
    member.open(lang="hi")
    member.post(phone="12")
    assert member.page is not None and member.page.status_code == 422
    assert i18n.say("hi", "error.bad_phone") in html.unescape(member.html)
    member.post(phone=ASHA)
    member.post(resend="1")  # at once: one code a minute
    assert member.page.status_code == 429 and int(member.page.headers["retry-after"]) > 50
    assert "सेकंड" in html.unescape(member.html)
    for _ in range(5):
        member.post(otp="000000")
    assert member.page.status_code == 429
    assert i18n.say("hi", "error.otp_spent") in html.unescape(member.html)


def test_a_new_phone_joins_on_the_web_once_in_its_language(
    world: World, site: tuple[str, Program]
) -> None:
    url, _ = site
    first = browser(world, url).sign_in(NEW, lang="en")
    assert 'name="join"' in first.html and "Join Coalition Club" in text(first)
    # a second browser of the same phone, at the same step (its own password, a minute later)
    second = browser(world, url)
    second.open()
    second.post(phone=NEW)
    assert second.page is not None and second.page.status_code == 429  # one code a minute
    first.post(join="1", lang="kk")
    assert first.page is not None and first.page.status_code == 200
    assert '<html lang="kk">' in first.html
    assert i18n.say("kk", "member.joined", program="Coalition Club") in html.unescape(first.html)
    first.post(join="1", lang="en")  # a form sent twice (a double tap, a stale page)
    assert i18n.say("kk", "member.already") in html.unescape(first.html)
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(members_table.c.lang, members_table.c.registered_via)
            .where(members_table.c.phone == NEW)
        ).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [("kk", "web")]


def test_a_bad_language_to_join_in_is_refused_in_words(
    world: World, site: tuple[str, Program]
) -> None:
    url, _ = site
    member = browser(world, url).sign_in(NEW, lang="ru")
    member.post(join="1", lang="xx")
    assert member.page is not None and member.page.status_code == 422
    assert i18n.say("ru", "error.bad_lang") in html.unescape(member.html)
    with world.engine.connect() as conn:
        assert members.find(conn, NEW) is None


def test_a_blocked_member_sees_only_that_in_their_own_language(
    world: World, site: tuple[str, Program]
) -> None:
    url, made = site
    with world.engine.begin() as conn:
        members.block(conn, made.boris, "shared card", made.now)
    boris = browser(world, url)
    boris.client.headers["Accept-Language"] = "en"
    boris.sign_in(BORIS, lang="")  # no language chosen here: his own, Russian
    assert '<html lang="ru">' in boris.html
    shown = text(boris)
    assert i18n.say("ru", "member.blocked_title") in shown and "Coalition Club" in shown
    assert "7777" not in shown and "shared card" not in shown and "Cinema" not in shown
    assert boris.open(format="json").json()["step"] == "blocked"


def test_history_pages_and_sign_out(world: World, site: tuple[str, Program]) -> None:
    url, made = site
    many_earns(world, made.asha, 25, made.now)
    asha = browser(world, url).sign_in(ASHA)
    assert 'href="/member/?page=2"' in asha.html
    asha.open(page="4")
    assert len(re.findall(r'<li class="(gain|loss)">', asha.html)) == 2
    asha.open(page="abc")  # not a page number: the first page
    assert asha.page is not None and asha.page.status_code == 200
    asha.post(leave="1")
    assert i18n.say("en", "member.signed_out") in html.unescape(asha.html)
    assert 'name="phone"' in asha.open().text
    assert asha.open(format="json").json() == {"step": "phone"}


def test_many_browsers_asking_at_once_get_one_code(world: World, site: tuple[str, Program]) -> None:
    url, _ = site
    asking = [browser(world, url) for _ in range(30)]
    for member in asking:
        member.open()

    def ask(member: Member) -> int:
        member.post(phone=ASHA)
        assert member.page is not None
        return member.page.status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = sorted(pool.map(ask, asking))
    assert answers == [200] + [429] * 29
    assert len(messages(sms_folder(world), "otp")) == 1


def test_a_number_without_its_country_code_is_read_for_the_programs_home_region(
    world: World, site: tuple[str, Program]
) -> None:
    url, _ = site
    with world.engine.begin() as conn:
        set_program(conn, region="KZ")
    member = browser(world, url)
    member.open(lang="en")  # English would read it as Indian
    member.post(phone="8 701 234 56 78")
    assert member.page is not None and member.page.status_code == 200, member.html
    assert [m["to"] for m in messages(sms_folder(world), "otp")] == ["+77012345678"]
