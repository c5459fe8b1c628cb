"""The device's rules for lots are the server's: the same lots, the same spend, return and
moment give the same lots after, the same shortfall, the same balance and expiry schedule
(terminal/lots.py against server_stub/loyalty/lots.py, on a real SQLite file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, delete, insert, select

from server_stub.database.loyalty_tables import lot_uses
from server_stub.database.loyalty_tables import lots as lot_table
from server_stub.loyalty import lots as server
from terminal import lots as device

DAY = 86_400.0
T0 = 1_790_000_000.0  # 2026-09-21
MEMBER = 1


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("lots") / "server.db"
    made = create_engine(f"sqlite:///{path}")
    lot_table.metadata.create_all(made, tables=[lot_table, lot_uses])
    yield made
    made.dispose()


a_lot = st.builds(
    lambda earned, pending, life, points, left: (
        T0 + earned * DAY, T0 + (earned + pending) * DAY, T0 + (earned + life) * DAY, points,
        min(left, points),
    ),
    earned=st.integers(0, 200), pending=st.integers(0, 30), life=st.integers(1, 400),
    points=st.integers(1, 500), left=st.integers(1, 500),
)  # fmt: skip
some_lots = st.lists(a_lot, max_size=12)
moment = st.integers(0, 500).map(lambda d: T0 + d * DAY + 3600)


def _load(engine: Engine, made: list[tuple[float, float, float, int, int]]) -> list[device.Lot]:
    """The same lots in the server's table and as the device holds them (ids as the server's)."""
    held = []
    with engine.begin() as conn:
        conn.execute(delete(lot_uses))
        conn.execute(delete(lot_table))
        for n, (earned, until, expires, points, left) in enumerate(made, start=1):
            conn.execute(
                insert(lot_table).values(
                    id=n, member_id=MEMBER, partner_id=f"p{n % 3}", store_id="s",
                    event_id=f"e{n}", points=points, remaining=left, earned_at=earned,
                    pending_until=until, expires_at=expires,
                )
            )  # fmt: skip
            held.append(device.Lot(n, f"p{n % 3}", earned, until, expires, left))
    return held


def _server_lots(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return {
            r.id: int(r.remaining)
            for r in conn.execute(select(lot_table.c.id, lot_table.c.remaining))
        }


settled = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@settled
@given(made=some_lots, points=st.integers(1, 3000), at=moment)
def test_a_spend_takes_the_same_points_from_the_same_lots(
    engine: Engine, made: list[tuple[float, float, float, int, int]], points: int, at: float
) -> None:
    held = _load(engine, made)
    after, short = device.consume(held, points, at)
    with engine.begin() as conn:
        server_short = server.spend(
            conn, MEMBER, points, event_id="spend", redeemer="p1", store_id="s", at=at
        )
    assert short == server_short
    assert {x.id: x.remaining for x in after} == _server_lots(engine)


@settled
@given(made=some_lots, points=st.integers(1, 3000), at=moment)
def test_a_return_takes_back_the_same_points(
    engine: Engine, made: list[tuple[float, float, float, int, int]], points: int, at: float
) -> None:
    held = _load(engine, made)
    after, short = device.take_back(held, points, at)
    with engine.begin() as conn:
        server_short = server.take_back(conn, MEMBER, points, event_id="return", at=at)
    assert short == server_short
    assert {x.id: x.remaining for x in after} == _server_lots(engine)


@settled
@given(made=some_lots, at=moment)
def test_the_balance_and_what_expires_when_agree(
    engine: Engine, made: list[tuple[float, float, float, int, int]], at: float
) -> None:
    held = _load(engine, made)
    mine = device.balance_of(held, at)
    with engine.connect() as conn:
        theirs = server.balance(conn, MEMBER, at)
    assert (mine.available, mine.pending) == (theirs.available, theirs.pending)
    assert [(e.on, e.points) for e in mine.expiring] == [(e.on, e.points) for e in theirs.expiring]


@given(at=st.floats(0, 4_000_000_000), months=st.integers(1, 120))
def test_points_earned_here_expire_when_the_servers_would(at: float, months: int) -> None:
    assert device.expiry_of(at, months) == server.expiry_of(at, months)
    assert device.last_day(device.expiry_of(at, months)) == server.last_day(
        server.expiry_of(at, months)
    )


def test_a_spend_short_of_available_points_takes_nothing() -> None:
    """Pending points are not spendable: 50 available and 100 pending cannot pay 60."""
    held = [
        device.Lot(1, "a", T0, T0, T0 + 300 * DAY, 50),
        device.Lot(2, "b", T0 + DAY, T0 + 30 * DAY, T0 + 300 * DAY, 100),
    ]
    after, short = device.consume(held, 60, T0 + 2 * DAY)
    assert short == 10 and after == held
    after, short = device.consume(held, 40, T0 + 2 * DAY)
    assert short == 0 and [x.remaining for x in after] == [10, 100]
