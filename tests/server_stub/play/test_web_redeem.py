"""Codes entered on the shopper's web: claimed through the devices' own path, so the web and a
store never both win a code online, and a store's offline redemption synced later is caught."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from server_stub.database.schema import WEB_DEVICE, conflicts, events
from server_stub.play import web_redeem
from server_stub.play.web_redeem import Outcome
from server_stub.records import reports
from tests.server_stub.play.shopper import TIERS, serial_of_tier
from tests.world import World

PHONE = "+919876543210"


def _redeem(world: World, text: str, phone: str = PHONE) -> web_redeem.Entry:
    with world.engine.connect() as conn:
        rechecker = world.service.rechecker(conn)
    checker = web_redeem.CheckerCache().checker(rechecker)
    return web_redeem.redeem(world.engine, rechecker, checker, phone, text)


def test_a_code_typed_sloppily_wins_once_and_counts_like_a_stores(world: World) -> None:
    world.setup(tiers=TIERS)
    serial = serial_of_tier(world, "gold")
    printed = world.code(serial)
    sloppy = " " + printed.lower().replace("-", " ").replace("0", "o").replace("1", "l") + " "

    entry = _redeem(world, sloppy)

    assert entry.outcome is Outcome.WON and entry.code == printed
    assert (entry.tier, entry.kind, entry.reward) == ("gold", "claim", "Gold coin")
    assert entry.claim_by  # a claim prize says by when
    again = _redeem(world, printed)
    assert again.outcome is Outcome.YOURS and again.event_id == entry.event_id
    assert _redeem(world, printed, phone="+919800000001").outcome is Outcome.TAKEN
    with world.engine.connect() as conn:
        stored = conn.execute(select(events).where(events.c.device_id == WEB_DEVICE)).all()
    assert [(e.serial, e.verdict, e.member) for e in stored] == [(serial, "accepted", PHONE)]
    by_store = reports.report(world.engine, "redemptions", "store")
    assert any(row["key"] == "shoppers-web" and row["count"] == 1 for row in by_store["rows"])


def test_a_typo_names_the_group_to_look_at(world: World) -> None:
    world.setup(tiers=TIERS)
    printed = world.code(serial_of_tier(world, "music"))
    symbols = list(printed)
    position = printed.index("-", 3) + 2  # a symbol of the second group after the prefix
    symbols[position] = "Z" if symbols[position] != "Z" else "Y"
    entry = _redeem(world, "".join(symbols))
    assert entry.outcome is Outcome.MISTYPED
    assert entry.group in (None, 2)  # named when only one group can hold the typo


def test_a_code_a_store_redeemed_online_is_taken_on_the_web(world: World) -> None:
    world.setup(tiers=TIERS)
    till = world.device("s1", "Till 1", online=True)
    printed = world.code(serial_of_tier(world, "music"))
    assert till.terminal.redeem(printed).status.value == "accepted_online"
    assert _redeem(world, printed).outcome is Outcome.TAKEN


def test_an_offline_store_redemption_of_a_web_win_is_a_named_conflict(world: World) -> None:
    world.setup(tiers=TIERS)
    till = world.device("s1", "Till 1")  # offline: redeems without asking the server
    till.sync()
    printed = world.code(serial_of_tier(world, "music"))
    assert till.terminal.redeem(printed).status.value == "accepted_offline"
    assert _redeem(world, printed).outcome is Outcome.WON

    till.sync()

    with world.engine.connect() as conn:
        (conflict,) = conn.execute(select(conflicts)).all()
    assert conflict.kind == "double_redemption" and conflict.winner_device == WEB_DEVICE


def test_many_shoppers_typing_one_code_at_once_win_it_once(world: World) -> None:
    world.setup(tiers=TIERS)
    printed = world.code(serial_of_tier(world, "music"))
    outcomes: list[Outcome] = []

    def shopper(n: int) -> None:
        outcomes.append(_redeem(world, printed, phone=f"+9198765432{n:02d}").outcome)

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes).count(Outcome.WON) == 1 and len(outcomes) == 12
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 1
