"""A three-partner program for the member's page's tests: partners and their stores, members
with points earned, spent, returned and expired, and a prize catalogue; and a member's browser
at /member/ (forms posted with their CSRF token, passwords read from the file SMS gateway)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from requests import Response

from server_stub.catalog import prize_catalogue, store_setup
from server_stub.loyalty import lots, members, partners
from server_stub.loyalty.program import set_program
from tests.server_stub.play.shopper import Client, last_password
from tests.world import World

DAY = 86_400.0
ASHA = "+919876543210"  # a member with a history
BORIS = "+79123456789"  # another member, whose points must never show on Asha's page
NEW = "+77012345678"  # no member yet
PRIZES = (("cinema", "Cinema ticket", 300, "mobi"), ("fuel-20", "20 litres of fuel", 900, "fuel"))


@dataclass(frozen=True)
class Program:
    asha: int
    boris: int
    now: float


def coalition(world: World, now: float | None = None) -> Program:
    """Partners mobi (a phone shop), fuel (gas stations) and volt (electronics), a store each;
    Asha earned at all three over a year (some points expired, some pending), spent at fuel,
    returned a purchase; Boris earned 7777 at volt; two prizes in the catalogue."""
    now = time.time() if now is None else now
    with world.engine.begin() as conn:
        set_program(conn, name="Coalition Club", pending_days=14, expiry_months=12)
        for pid, name in (
            ("mobi", "Mobi Phones"),
            ("fuel", "Fuel Co"),
            ("volt", "Volt Electronics"),
        ):
            partners.create(conn, pid, name, "both", 0.10)
    for pid, store in (
        ("mobi", "Mobi Mall Road"),
        ("fuel", "Fuel Ring Road"),
        ("volt", "Volt Centre"),
    ):
        store_setup.create_store(world.engine, f"{pid}-1", store, partner_id=pid)
    for item, name, points, partner in PRIZES:
        prize_catalogue.put_item(world.engine, item, name, points, partner)
    asha = history_of(world, ASHA, "en", now)
    with world.engine.begin() as conn:
        boris, _ = members.register(conn, BORIS, lang="ru", via="till", now=now - 30 * DAY)
        lots.earn(conn, boris.id, 7777, partner_id="volt", store_id="volt-1", event_id="b-volt",
                  at=now - 20 * DAY, program=set_program(conn))  # fmt: skip
    return Program(asha, boris.id, now)


def history_of(world: World, phone: str, lang: str, now: float) -> int:
    """A member who earned at all three partners over a year: 40 points expired, 200 spent at
    fuel, a return of 20 from the 60 still pending; 420 available, 40 pending."""
    with world.engine.begin() as conn:
        terms = set_program(conn)
        member, _ = members.register(conn, phone, lang=lang, via="centre", now=now - 500 * DAY)

        def earn(points: int, partner: str, days_ago: float, event: str) -> None:
            lots.earn(conn, member.id, points, partner_id=partner, store_id=f"{partner}-1",
                      event_id=f"{phone}-{event}", at=now - days_ago * DAY, program=terms)  # fmt: skip

        earn(40, "volt", 430, "old")  # expired by now
        earn(500, "mobi", 200, "mobi")
        earn(120, "volt", 100, "volt")
        earn(60, "fuel", 3, "fuel")  # still in the returns window
        lots.expire_due(conn, now, 100)
        lots.spend(conn, member.id, 200, event_id=f"{phone}-spend", redeemer="fuel",
                   store_id="fuel-1", at=now - 50 * DAY)  # fmt: skip
        lots.take_back(conn, member.id, 20, event_id=f"{phone}-return", at=now - 2 * DAY,
                       store_id="fuel-1")  # fmt: skip
    return member.id


def many_earns(world: World, member_id: int, count: int, now: float) -> None:
    """`count` small earns at mobi, a day apart, for paging."""
    with world.engine.begin() as conn:
        terms = set_program(conn)
        for i in range(count):
            lots.earn(conn, member_id, 1 + i, partner_id="mobi", store_id="mobi-1",
                      event_id=f"many-{i}", at=now - (40 + i) * DAY, program=terms)  # fmt: skip


@dataclass
class Member:
    """A member's browser at /member/."""

    client: Client
    folder: Path
    page: Response | None = None

    @property
    def html(self) -> str:
        assert self.page is not None
        return self.page.text

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.html)
        assert found, self.html[:2000]
        return found.group(1)

    def open(self, path: str = "/member/", **params: str) -> Response:
        self.page = self.client.get(path, params=params)
        return self.page

    def post(self, **fields: str) -> Response:
        self.page = self.client.post("/member/", data={"csrf": self.csrf(), **fields})
        return self.page

    def sign_in(self, phone: str, lang: str = "en") -> Member:
        self.open(lang=lang)
        self.post(phone=phone)
        assert 'name="otp"' in self.html, self.html
        self.post(otp=last_password(self.folder, phone))
        assert self.page is not None and self.page.status_code == 200, self.html
        return self
