"""The settlement page: admins and campaign managers see every partner, a partner's user only
their own partner's figures by any parameter, and nothing else of the dashboard (403), as page
functions and over HTTP on a live server."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
import requests

from server_stub.accounts import users
from server_stub.catalog import store_setup
from server_stub.dashboard import claim_pages, settlement_pages, web
from server_stub.errors import ApiError
from server_stub.loyalty import lots as points
from tests.live import live_server
from tests.server_stub.loyalty.test_settlement import Terms, _partners, at
from tests.world import World

PASSWORD = "correct horse battery"
NOV = datetime(2026, 12, 5, tzinfo=UTC).timestamp()  # "last month" is November 2026


def _month(world: World) -> None:
    """mob's points spent at gas and tech's, gas's at tech's."""
    _partners(world.engine)
    with world.engine.begin() as conn:
        for n, (issuer, redeemer, spent) in enumerate(
            [("mob", "gas", 100), ("mob", "tech", 40), ("gas", "tech", 70)]
        ):
            points.earn(conn, n, 500, partner_id=issuer, store_id="s", event_id=f"e{n}",
                        at=at(1), program=Terms())  # fmt: skip
            points.spend(conn, n, spent, event_id=f"s{n}", redeemer=redeemer, store_id="s",
                         at=at(20))  # fmt: skip


def _viewer(world: World, name: str, role: str, **scopes: list[str]) -> users.Viewer:
    users.create_user(
        world.engine, name, PASSWORD, role, scopes.get("stores", ()),
        scopes.get("campaigns", ()), scopes.get("partners", ()),
    )  # fmt: skip
    return users.sign_in(world.engine, name, PASSWORD)


def _page(world: World, viewer: users.Viewer, query: Mapping[str, str]) -> dict[str, object]:
    return settlement_pages.settlement_page(world.engine, viewer, query, now=NOV)


QUERIES = [
    {}, {"partner": "mob"}, {"partner": "tech"}, {"partner": ""}, {"partner": "gas,mob"},
    {"period": "2026-11", "partner": "mob"}, {"period": "nonsense"}, {"period": "2026-10"},
    {"partner": "*"}, {"partner": "GAS"}, {"partner": "mob", "format": "json"},
    {"period": "9999-12"}, {"period": "0000-01"},
]  # fmt: skip


def test_a_partner_sees_its_own_figures_by_any_parameter(world: World) -> None:
    _month(world)
    gus = _viewer(world, "gus", "partner", partners=["gas"])
    for query in QUERIES:
        page = _page(world, gus, query)
        assert [p["partner"] for p in page["partners"]] == ["gas"], query  # type: ignore[attr-defined]
        assert all("gas" in (p["issuer"], p["redeemer"]) for p in page["pairs"])  # type: ignore[attr-defined]
        assert "'4.00'" not in repr(page)  # mob's debt to tech is theirs, not gas's
        if page["period"] == "2026-11":
            gas = page["partners"][0]  # type: ignore[index]
            assert (gas["spent"], gas["redeemed"], gas["net_money"]) == (70, 100, "5.10")
            # its pairs: mob owes gas 10.00 (mob's points at gas), gas owes tech 4.90
            assert {(p["issuer"], p["redeemer"], p["money"]) for p in page["pairs"]} == {  # type: ignore[attr-defined]
                ("mob", "gas", "10.00"),
                ("gas", "tech", "4.90"),
            }


def test_admins_and_campaign_managers_see_every_partner_and_may_narrow(world: World) -> None:
    _month(world)
    ann = _viewer(world, "ann", "admin")
    cam = _viewer(world, "cam", "campaign_manager", campaigns=["ice-2026"])
    for who in (ann, cam):
        page = _page(world, who, {"period": "2026-11"})
        assert [p["partner"] for p in page["partners"]] == ["gas", "mob", "tech"]  # type: ignore[attr-defined]
        assert len(page["pairs"]) == 3  # type: ignore[arg-type]
    narrowed = _page(world, ann, {"period": "2026-11", "partner": "tech"})
    assert [p["partner"] for p in narrowed["partners"]] == ["tech"]  # type: ignore[attr-defined]
    assert narrowed["partners"][0]["net_money"] == "8.90"  # type: ignore[index]


def test_the_page_opens_on_this_month_so_far_and_names_the_partner(world: World) -> None:
    _month(world)  # November's spends
    with world.engine.begin() as conn:  # and this month's, one before "now" (5 December)
        points.earn(conn, 7, 500, partner_id="mob", store_id="s", event_id="d1",
                    at=at(1), program=Terms())  # fmt: skip
        points.spend(conn, 7, 50, event_id="d2", redeemer="gas", store_id="s", at=at(2, 12))
        points.spend(conn, 7, 30, event_id="d3", redeemer="gas", store_id="s", at=at(6, 12))
    gus = _viewer(world, "gus", "partner", partners=["gas"])
    page = _page(world, gus, {})
    assert (page["period"], page["period_words"], page["to_date"]) == (
        "2026-12", "December 2026", True,
    )  # fmt: skip
    assert page["until_words"] == "5 Dec 2026, 00:00 UTC"
    assert page["own_names"] == ["=Partner gas"]  # its name, never its id alone
    # mob's 50 points spent at gas on 2 December, not the 30 spent after "now"
    pairs: list[dict[str, object]] = page["pairs"]  # type: ignore[assignment]
    assert [(p["issuer_name"], p["redeemer_name"], p["points"]) for p in pairs] == [
        ("=Partner mob", "=Partner gas", 50)
    ]
    months: list[dict[str, object]] = page["months"]  # type: ignore[assignment]
    assert [m["period"] for m in months][:3] == ["2026-12", "2026-11", "2026-10"]
    assert [m["shown"] for m in months][:2] == [True, False]
    november = _page(world, gus, {"period": "2026-11"})
    assert november["to_date"] is False and november["period_words"] == "November 2026"
    assert "pending now" not in repr(november)


@pytest.mark.parametrize("role", ["store_manager", "helpdesk", "verifier", "logistics"])
def test_other_roles_are_refused_the_settlement(world: World, role: str) -> None:
    _month(world)
    store_setup.create_store(world.engine, "s1", "North")
    who = _viewer(world, "sam", role, stores=["s1"] if role == "store_manager" else [])
    with pytest.raises(ApiError) as refused:
        _page(world, who, {})
    assert refused.value.status == 403


def test_a_partner_is_refused_every_other_page(world: World) -> None:
    world.setup()
    _month(world)
    gus = _viewer(world, "gus", "partner", partners=["gas"])
    assert not gus.sees_every_store and not gus.sees_every_campaign and not gus.sees_claims
    for path, (_, _, function) in web.PAGES.items():
        if path == "settlement":
            continue
        with pytest.raises(ApiError) as refused:
            function(world.engine, gus, {})
        assert refused.value.status == 403, path
    with pytest.raises(ApiError):
        claim_pages.claim_page(world.engine, None, gus, "X-1")  # type: ignore[arg-type]


def test_a_partner_user_needs_exactly_one_known_partner(world: World) -> None:
    _partners(world.engine)
    for partners in ([], ["gas", "mob"]):
        with pytest.raises(ApiError) as refused:
            users.create_user(world.engine, "gus", PASSWORD, "partner", partner_ids=partners)
        assert refused.value.code == "one_partner"
    with pytest.raises(ApiError) as refused:
        users.create_user(world.engine, "gus", PASSWORD, "partner", partner_ids=["nope"])
    assert refused.value.status == 404
    with pytest.raises(ApiError):
        users.create_user(world.engine, "ann", PASSWORD, "admin", partner_ids=["gas"])
    users.create_user(world.engine, "gus", PASSWORD, "partner", partner_ids=["gas"])
    assert users.list_users(world.engine)[0]["partners"] == ["gas"]


def _browser(url: str, name: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"{url}/dashboard/login", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    answer = browser.post(
        f"{url}/dashboard/login", timeout=10, allow_redirects=False,
        data={"username": name, "password": PASSWORD, "csrf": csrf.group(1)},
    )  # fmt: skip
    assert answer.status_code == 303
    return browser


def test_over_http_a_partner_lands_on_its_settlement_and_nowhere_else(world: World) -> None:
    world.setup()
    _month(world)
    _viewer(world, "gus", "partner", partners=["gas"])
    _viewer(world, "ann", "admin")
    with live_server(world.engine) as url:
        gus, ann = _browser(url, "gus"), _browser(url, "ann")
        home = gus.get(f"{url}/dashboard/", timeout=10, allow_redirects=False)
        assert home.headers["location"] == "/dashboard/settlement"
        page = gus.get(f"{url}/dashboard/settlement?period=2026-11&partner=mob", timeout=10)
        assert page.status_code == 200 and "Settlement November 2026" in page.text
        assert "Partner gas" in page.text and "<small>mob</small>" not in page.text  # its line only
        assert ">Overview<" not in page.text  # no menu entry it could not open
        shown = gus.get(f"{url}/dashboard/settlement",
                        params={"format": "json", "period": "2026-11", "partner": "tech"},
                        timeout=10).json()  # fmt: skip
        assert [p["partner"] for p in shown["partners"]] == ["gas"]
        for path in [p for p in web.PAGES if p != "settlement"] + ["reports.csv", "claims/X-1"]:
            answer = gus.get(f"{url}/dashboard/{path}?format=json", timeout=10)
            assert answer.status_code == 403, path
        everyone = ann.get(f"{url}/dashboard/settlement?format=json&period=2026-11", timeout=10)
        assert len(everyone.json()["partners"]) == 3
