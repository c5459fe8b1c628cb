"""The winner's privacy on the shopper's web: the claim keeps the page's language and the city;
where the campaign keeps a public winners list, the form offers to stay off it and the status
page changes that choice; the list's page shows first name, initial and city, never an erased or
unlisted winner, and a campaign without a list is a 404 in words. Forms over HTTP as a browser
posts them; the list's page through its page function (its route is the lead's to add)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from starlette.requests import Request

from server_stub.database.schema import campaigns, prize_claims
from server_stub.device_api.service import SyncService
from server_stub.notifications.sms import NoGateway
from server_stub.play import i18n
from server_stub.play.web import Play
from server_stub.play.winners import WinnersPage
from server_stub.prizes import claims, person_erase
from server_stub.prizes.documents import DocumentStore
from tests.server_stub.play.shopper import (
    TIERS,
    Client,
    Shopper,
    serial_of_tier,
    server_for,
    sms_folder,
)
from tests.server_stub.play.test_play_pages import _claim
from tests.server_stub.prizes.test_claims import documents, draft
from tests.world import World

PHONE, OTHER = "+919876543210", "+919800000002"


def keep_winners_list(world: World) -> None:
    """The campaign as a file with `winners_list = true` registers it."""
    with world.engine.begin() as conn:
        found = select(campaigns.c.data).where(campaigns.c.id == world.campaign.id)
        data = json.loads(conn.execute(found).scalar_one()) | {"winners_list": True}
        conn.execute(
            update(campaigns)
            .where(campaigns.c.id == world.campaign.id)
            .values(data=json.dumps(data))
        )


@pytest.fixture
def listed_world(world: World) -> World:
    world.setup(tiers=TIERS)
    keep_winners_list(world)
    return world


@pytest.fixture
def shopper(listed_world: World) -> Iterator[Shopper]:
    with server_for(listed_world) as url:
        yield Shopper(Client(url), sms_folder(listed_world))


def _file(
    world: World, shopper: Shopper, phone: str, skip: int, offered: bool, **fields: object
) -> str:
    """A gold win entered and claimed; `offered`: the form offers to stay off the list."""
    shopper.sign_in(phone)
    shopper.enter(world.code(serial_of_tier(world, "gold", skip)))
    link = re.search(r'href="(/play/claim\?event=[^"]+)"', shopper.html)
    assert link, shopper.html
    shopper.open(link.group(1))
    assert 'name="city"' in shopper.html
    assert ('name="unlisted"' in shopper.html) is offered
    _claim(shopper, **fields)
    number = re.search(r"CL-[0-9A-Z]{8}", shopper.html)
    assert number, shopper.html
    return number.group(0)


def _row(world: World, number: str) -> dict[str, object]:
    with world.engine.connect() as conn:
        query = select(prize_claims.c.lang, prize_claims.c.city, prize_claims.c.listed)
        return dict(conn.execute(query.where(prize_claims.c.number == number)).one()._mapping)


def test_the_claim_keeps_the_language_and_city_and_the_winner_may_stay_off_the_list(
    listed_world: World, shopper: Shopper
) -> None:
    shopper.open("/play/", lang="hi")  # the page's language, kept in a cookie
    number = _file(listed_world, shopper, PHONE, 0, True, city="Pune")  # in Hindi
    assert _row(listed_world, number) == {"lang": "hi", "city": "Pune", "listed": True}

    other = Shopper(Client(shopper.client.base), shopper.folder)
    hidden = _file(listed_world, other, OTHER, 1, True, city="Mumbai", unlisted="on")
    assert _row(listed_world, hidden) == {"lang": "en", "city": "Mumbai", "listed": False}

    # on the status page the winner changes their mind, with the page's token
    other.open("/play/status", claim=hidden)
    assert "You are not on the public winners list." in other.html
    other.post("/play/status", claim=hidden, listed="1")
    assert "Your choice is saved." in other.html and "Take me off the list" in other.html
    assert _row(listed_world, hidden)["listed"] is True
    forged = other.client.post("/play/status", data={"claim": hidden, "listed": "0"})
    assert forged.status_code == 403 and _row(listed_world, hidden)["listed"] is True
    # nobody changes another's claim: the same answer as a number that is no claim
    other.post("/play/status", claim=number, listed="0")
    assert _row(listed_world, number)["listed"] is True and "Your choice" not in other.html

    # approved, both are on the public page (the route as a visitor opens it)
    for claim in (number, hidden):
        claims.move(listed_world.engine, claim, "in_verification", "vera")
        claims.move(listed_world.engine, claim, "approved", "ada")
    page = other.client.get(f"/play/winners?campaign={listed_world.campaign.id}")
    assert page.status_code == 200 and "Pune" in page.text and "Mumbai" in page.text


def test_without_a_list_the_form_asks_nothing_and_nobody_is_listed(world: World) -> None:
    world.setup(tiers=TIERS)
    with server_for(world) as url:
        shopper = Shopper(Client(url), sms_folder(world))
        number = _file(world, shopper, PHONE, 0, False, city="Pune")
        assert _row(world, number) == {"lang": "en", "city": "Pune", "listed": False}
        shopper.open("/play/status", claim=number)
        assert "Received" in shopper.html and 'name="listed"' not in shopper.html
        shopper.open("/play/")  # a page with the visit's token, as a forged form would take
        shopper.post("/play/status", claim=number, listed="1")
        assert shopper.page is not None and shopper.page.status_code == 404
        assert _row(world, number)["listed"] is False


# -- the list's page -----------------------------------------------------------------------------


def _page(play: Play, query: str) -> tuple[int, str]:
    scope = {
        "type": "http", "method": "GET", "path": "/play/winners", "raw_path": b"/play/winners",
        "query_string": query.encode(), "headers": [(b"host", b"shop.test")], "scheme": "http",
        "server": ("shop.test", 80), "client": ("127.0.0.1", 5000), "root_path": "",
    }  # fmt: skip
    answer = WinnersPage(play).page(Request(scope))
    return answer.status_code, bytes(answer.body).decode()


def _approved(
    world: World, store: DocumentStore, name: str, phone: str, skip: int, city: str
) -> str:
    serial = serial_of_tier(world, "gold", skip)
    number = claims.file_claim(world.engine, store, draft(
        world, serial, name=name, phone=phone, city=city, listed=True), documents())  # fmt: skip
    for status in ("in_verification", "approved"):
        claims.move(world.engine, number, status, "vera")
    return number


def test_the_list_page_shows_first_names_initials_and_cities_and_nobody_erased(
    listed_world: World, tmp_path: Path
) -> None:
    store = DocumentStore(tmp_path / "documents")
    play = Play(listed_world.engine, SyncService(listed_world.engine), NoGateway(), store)
    _approved(listed_world, store, "Asha Kumari Rao", PHONE, 0, "Pune")
    _approved(listed_world, store, "Zinnia Quartermaine", OTHER, 1, "Zyxville")

    status, page = _page(play, f"campaign={listed_world.campaign.id}")
    assert status == 200 and "Asha R." in page and "Pune" in page and "Gold coin" in page
    assert "Zinnia Q." in page and "Kumari" not in page and "Rao" not in page
    assert PHONE[-4:] not in page and "CL-" not in page
    status, answer = _page(play, f"campaign={listed_world.campaign.id}&format=json")
    assert [w["name"] for w in json.loads(answer)["winners"]] == ["Zinnia Q.", "Asha R."]

    person_erase.erase(listed_world.engine, store, OTHER, "dpo", force=True)
    status, page = _page(play, f"campaign={listed_world.campaign.id}&lang=ru")
    assert (
        status == 200 and "Победители" in page and "Zinnia" not in page and "Zyxville" not in page
    )
    status, page = _page(play, "")  # the campaigns that keep a list
    assert status == 200 and f"/play/winners?campaign={listed_world.campaign.id}" in page


def test_a_campaign_without_a_list_is_a_404_in_words(world: World, tmp_path: Path) -> None:
    world.setup(tiers=TIERS)
    play = Play(world.engine, SyncService(world.engine), NoGateway(),
                DocumentStore(tmp_path / "documents"))  # fmt: skip
    for query in (f"campaign={world.campaign.id}&lang=ru", "campaign=no-such&lang=ru", "lang=ru"):
        status, page = _page(play, query)
        assert status == 404 and i18n.say("ru", "error.no_winners_list") in page
