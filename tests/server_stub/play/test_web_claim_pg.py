"""The one-statement way of a web redemption on PostgreSQL (web_claim_pg) against the plain way:
the same entry writes the same rows either way, and the one-statement way is the one taken."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select

from server_stub.database.schema import claims, event_counts, events, feed
from server_stub.play import web_claim_pg, web_redeem
from server_stub.play.web_redeem import Outcome
from tests.server_stub.play.shopper import TIERS, serial_of_tier
from tests.world import World

PHONE = "+919876543210"
NOW = 1_790_000_000.25


def _enter(world: World, printed: str) -> web_redeem.Entry:
    with world.engine.connect() as conn:
        rechecker = world.service.rechecker(conn)
    checker = web_redeem.CheckerCache().checker(rechecker)
    return web_redeem.redeem(world.engine, rechecker, checker, PHONE, printed)


def _written(world: World) -> dict[str, list[dict[str, Any]]]:
    """Every row of the four tables a redemption writes, but the numbers sequences give."""
    with world.engine.connect() as conn:
        return {
            table.name: sorted(
                ({k: v for k, v in r._asdict().items() if k not in ("id", "seq")}
                 for r in conn.execute(select(table))),
                key=repr,
            )
            for table in (claims, feed, event_counts, events)
        }  # fmt: skip


def _forget(world: World) -> None:
    with world.engine.begin() as conn:
        for table in (claims, feed, event_counts, events):
            conn.execute(delete(table))


@pytest.mark.parametrize("tier", ["sticker", "gold"])
def test_one_statement_writes_what_the_plain_way_writes(
    world: World, tier: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if world.engine.dialect.name != "postgresql":
        pytest.skip("the one-statement way is PostgreSQL's")
    world.setup(tiers=TIERS)
    printed = world.code(serial_of_tier(world, tier))
    monkeypatch.setattr("server_stub.play.web_redeem.time.time", lambda: NOW)
    monkeypatch.setattr("server_stub.play.web_redeem.secrets.token_hex", lambda n: "0" * 2 * n)
    _forget(world)  # the rows setup wrote, so each way's are all there is
    ways: list[bool] = []  # what the one statement answered: whether it won the code
    real = web_claim_pg.redeem

    def one_statement(*args: Any) -> bool:
        ways.append(real(*args))
        return ways[-1]

    monkeypatch.setattr(web_claim_pg, "redeem", one_statement)
    first = _enter(world, printed)
    one = _written(world)
    _forget(world)
    monkeypatch.setattr(web_redeem, "_one_statement", lambda *args: False)
    second = _enter(world, printed)
    plain = _written(world)

    assert ways == [True]  # the first entry went the one-statement way, the second did not
    assert first == second and first.outcome is Outcome.WON
    assert one == plain and all(one.values()), one


def test_a_code_claimed_before_goes_the_plain_way_to_its_owner(world: World) -> None:
    if world.engine.dialect.name != "postgresql":
        pytest.skip("the one-statement way is PostgreSQL's")
    world.setup(tiers=TIERS)
    printed = world.code(serial_of_tier(world, "sticker"))
    won = _enter(world, printed)
    again = _enter(world, printed)
    assert (won.outcome, again.outcome) == (Outcome.WON, Outcome.YOURS)
    assert again.event_id == won.event_id
    with world.engine.connect() as conn:
        assert len(conn.execute(select(events.c.event_id)).all()) == 1
