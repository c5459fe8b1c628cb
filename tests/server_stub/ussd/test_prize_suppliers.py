"""The USSD prize list names each prize's supplier, and still fits 182 characters in Russian and
Kazakh when the names run long."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine

from server_stub.catalog.device_config import set_config
from server_stub.database.connection import writing
from server_stub.device_api.service import SyncService
from server_stub.loyalty import members, partners
from server_stub.ussd import texts
from server_stub.ussd.menus import PARTNER_ROOM
from server_stub.ussd.reply import LIMIT, clip
from server_stub.ussd.service import UssdService
from tests.server_stub.ussd.session import PHONE_IN, Dial, member_with_points

VOLT = "Электроника «Вольт» — сеть магазинов"  # a supplier's name longer than a line has room for


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_the_prize_list_names_each_supplier_within_the_limit(engine: Engine, lang: str) -> None:
    now = time.time()
    member_with_points(engine, PHONE_IN, lang, now)
    with writing(engine) as conn:
        partners.create(conn, "volt", VOLT, "redemption", 0.1)
        member = members.find(conn, PHONE_IN)
        assert member is not None
        members.set_lang(conn, member.id, lang)
    long = "Беспроводные наушники: шумоподавление, зарядный футляр, цвет графит "
    prizes = [{"id": f"p{i}", "name": f"{long}{i}", "points": 10**9 + i, "partner": "volt"}
              for i in range(6)] + [{"id": "pen", "name": "Pen", "points": 5}]  # fmt: skip
    set_config(engine, None, catalogue=prizes)
    dial = Dial(UssdService(engine, SyncService(engine)), PHONE_IN, now)
    dial.open()
    bodies = [dial.answer("3")]
    while f"\n9. {texts.say(lang, 'option.more')}" in bodies[-1]:
        bodies.append(dial.answer("9"))
    assert all(len(body) <= LIMIT for body in bodies)
    lines = [line for body in bodies for line in body.splitlines()]
    supplied = [line for line in lines if "Беспроводные" in line]
    assert len(supplied) == 6
    assert all(f"({clip(VOLT, PARTNER_ROOM)})" in line for line in supplied), supplied
    assert len(clip(VOLT, PARTNER_ROOM)) == PARTNER_ROOM < len(VOLT)
    assert any(line.startswith("Pen: 5 ") and "(" not in line for line in lines), lines
