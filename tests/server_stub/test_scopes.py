"""Every dashboard page and JSON answer, walked over HTTP as each role, against two campaigns in
two stores: a store manager sees nothing of the other store, a campaign manager nothing of the
other campaign, and a conflict shows the other side's store, device and time but never its
shopper's details."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote

import pytest
import requests

from codes import campaign as campaign_file
from codes.campaign import parse_tiers
from codes.campaign_cipher import CampaignCipher
from server_stub.accounts import users
from server_stub.records import reports
from tests.live import live_server
from tests.world import World

PASSWORD = "correct horse battery"
# Shopper details, each given at one place only, so finding one names the leak
SOUTH_LOLLIES_CITY = "Zhezkazgan"  # the South store, the lollies campaign
SOUTH_ICE_CITY = "Karaganda"  # the South store's side of the ice-cream double redemption
NORTH_MEMBER, SOUTH_MEMBER = "+15550001", "+15550002"


@dataclass
class Chain:
    world: World
    url: str
    ice_only_at_north: str
    lollies_only_at_south: str
    ice_twice: str
    lollies_twice: str


@pytest.fixture
def chain(world: World) -> Iterator[Chain]:
    """Ice cream (HV) and lollies (KP) in North (s1) and South (s2), one double redemption of
    each campaign (North first), a member in each store."""
    world.setup()
    made = campaign_file.create(
        world.tmp / "lollies.toml", "lollies-2026", "KP", parse_tiers("gold:5,music:*"),
        capacity=10_000,
    )  # fmt: skip
    from server_stub.catalog import campaign_setup

    campaign_setup.add_campaign(world.engine, made.campaign, made.key, 100.0, made.plan_seed)
    campaign_setup.mint_codes(world.engine, "lollies-2026", 100, world.tmp / "lollies.csv")
    lollies = CampaignCipher.issuer(campaign_file.load(world.tmp / "lollies.toml"))
    north, south = world.device("s1", "North till"), world.device("s2", "South till")
    south_shopper = {"consent": True, "age_band": "25-34", "gender": "f"}
    codes = Chain(world, "", world.code(1), lollies.encode(1), world.code(2), lollies.encode(2))
    assert north.terminal.redeem(codes.ice_only_at_north, actor="nora-cashier").ok
    assert north.terminal.redeem(codes.ice_twice, actor="nora-cashier").ok
    assert north.terminal.redeem(codes.lollies_twice, actor="nora-cashier").ok
    assert north.terminal.accrue(NORTH_MEMBER, 100, "R-N1", actor="nora-cashier").ok
    assert north.sync().ok
    lollies_shopper = {**south_shopper, "city": SOUTH_LOLLIES_CITY}
    ice_shopper = {**south_shopper, "city": SOUTH_ICE_CITY, "member": SOUTH_MEMBER}
    assert south.terminal.redeem(codes.lollies_only_at_south, "sid-cashier", lollies_shopper).ok
    assert south.terminal.redeem(codes.ice_twice, "sid-cashier", ice_shopper).ok
    assert south.terminal.redeem(codes.lollies_twice, "sid-cashier", lollies_shopper).ok
    assert south.terminal.accrue(SOUTH_MEMBER, 100, "R-S1", actor="sid-cashier").ok
    assert south.sync().ok
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    users.create_user(world.engine, "nora", PASSWORD, "store_manager", ["s1"])
    users.create_user(world.engine, "cam", PASSWORD, "campaign_manager", (), ["ice-2026"])
    users.create_user(world.engine, "hal", PASSWORD, "helpdesk")
    with live_server(world.engine) as url:
        codes.url = url
        yield codes


def _signed_in(url: str, name: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{url}/dashboard/login", timeout=5).text
    csrf = form.split('name="csrf" value="')[1].split('"')[0]
    answer = session.post(
        f"{url}/dashboard/login", data={"username": name, "password": PASSWORD, "csrf": csrf},
        timeout=10, allow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/", name
    return session


def _walk(chain: Chain, name: str) -> str:
    """Everything a person signed in as `name` can be shown: every page in HTML and JSON, a
    lookup of every code and member, every report grouped every way, and its CSV."""
    session, url = _signed_in(chain.url, name), chain.url
    queries = [
        "", "devices", "conflicts", "conflicts?state=resolved", "conflicts?store=s2",
        "conflicts?store=s1", "locks",
    ]  # fmt: skip
    for q in (chain.ice_only_at_north, chain.lollies_only_at_south, chain.ice_twice,
              chain.lollies_twice, NORTH_MEMBER, SOUTH_MEMBER):  # fmt: skip
        queries.append(f"lookup?q={quote(q)}")
    for what in reports.REPORTS:
        for by in reports.GROUPS:
            queries.append(f"reports?what={what}&by={by}")
    seen = []
    for query in queries:
        path, _, params = query.partition("?")
        for fmt in ("html", "json"):
            joined = "&".join(p for p in (params, "format=json" if fmt == "json" else "") if p)
            answer = session.get(f"{url}/dashboard/{path}?{joined}", timeout=10)
            assert answer.status_code in (200, 403, 404), (query, answer.status_code)
            typed = unquote(params[2:]) if path == "lookup" else ""
            seen.append(answer.text.replace(typed, "(typed)") if typed else answer.text)
        if path == "reports":
            seen.append(session.get(f"{url}/dashboard/reports.csv?{params}", timeout=10).text)
    return "\n".join(seen)


def _json(chain: Chain, name: str, page: str) -> dict[str, object]:
    answer = _signed_in(chain.url, name).get(f"{chain.url}/dashboard/{page}", timeout=10)
    data: dict[str, object] = answer.json()
    return data


def test_a_store_manager_sees_nothing_of_another_store(chain: Chain) -> None:
    shown = _walk(chain, "nora")
    for secret in (chain.lollies_only_at_south, SOUTH_MEMBER, SOUTH_LOLLIES_CITY,
                   SOUTH_ICE_CITY, "sid-cashier", "R-S1"):  # fmt: skip
        assert secret not in shown, secret
    overview = _json(chain, "nora", "?format=json")
    assert overview["tiles"]["open_conflicts"] == 2  # type: ignore[index]  # North is in both
    looked = _json(chain, "nora", f"lookup?format=json&q={quote(SOUTH_MEMBER)}")
    assert looked["events"] == [] and not (looked["member"] or {}).get("balance")  # type: ignore[attr-defined]


def test_a_conflict_names_the_other_side_but_not_its_shopper(chain: Chain) -> None:
    listed = _json(chain, "nora", "conflicts?format=json")["conflicts"]
    assert len(listed) == 2  # type: ignore[arg-type]
    for conflict in listed:  # type: ignore[attr-defined]
        other = conflict["second"]
        assert other["store_id"] == "s2" and other["device_name"] == "South till"
        assert other["local_time"]
        assert "payload" not in other and "cashier" not in other
        assert conflict["first"]["payload"]  # North's own side is the manager's to see


def test_a_campaign_manager_sees_nothing_of_another_campaign(chain: Chain) -> None:
    shown = _walk(chain, "cam")
    for secret in ("lollies-2026", chain.lollies_only_at_south, chain.lollies_twice,
                   SOUTH_LOLLIES_CITY):  # fmt: skip
        assert secret not in shown, secret
    assert SOUTH_ICE_CITY in shown  # the ice campaign's own demographics are theirs to see
    overview = _json(chain, "cam", "?format=json")
    assert overview["tiles"]["open_conflicts"] == 1  # type: ignore[index]
    assert overview["tiles"]["points_outstanding"] is None  # type: ignore[index]
    conflicts = _json(chain, "cam", "reports?what=conflicts&by=store&format=json")["result"]
    assert "open" not in conflicts  # type: ignore[operator]  # the chain's count spans others
    for member in (NORTH_MEMBER, SOUTH_MEMBER):  # points belong to no campaign: not theirs
        looked = _json(chain, "cam", f"lookup?format=json&q={quote(member)}")
        assert all(e["kind"] == "redeem" for e in looked["events"])  # type: ignore[attr-defined]


def test_the_admin_and_helpdesk_see_the_whole_chain(chain: Chain) -> None:
    for name in ("ann", "hal"):
        shown = _walk(chain, name)
        for everything in ("lollies-2026", "sid-cashier", "Store s2", SOUTH_LOLLIES_CITY):
            assert everything in shown, (name, everything)
        assert _json(chain, name, "?format=json")["tiles"]["open_conflicts"] == 2  # type: ignore[index]
