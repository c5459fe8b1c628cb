"""Points as lots: earned pending, spent oldest first, taken back pending first, given back to the
lots a voided spend used, expired at the end of the month; on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from server_stub.database.loyalty_tables import lot_uses, lots
from server_stub.loyalty import lots as lot

DAY = 86_400.0
T0 = datetime(2026, 1, 10, 12, tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Terms:  # the two settings of the program's a lot needs (loyalty.program.Program has them)
    pending_days: int
    expiry_months: int


TERMS = Terms(pending_days=14, expiry_months=2)


@pytest.fixture
def engine(db: Engine) -> Engine:
    """The loyalty tests' migrated database (conftest's `db`), under this file's name for it."""
    return db


def earn(engine: Engine, member: int, points: int, at: float, event: str, partner: str = "A"
         ) -> int:  # fmt: skip
    with engine.begin() as conn:
        return lot.earn(conn, member, points, partner_id=partner, store_id=f"{partner}-1",
                        event_id=event, at=at, program=TERMS)  # fmt: skip


def spend(engine: Engine, member: int, points: int, at: float, event: str) -> int:
    with engine.begin() as conn:
        return lot.spend(conn, member, points, event_id=event, redeemer="B", store_id="B-1", at=at)


def uses(engine: Engine, event: str) -> list[tuple[int, int]]:
    """(lot id, points) an event consumed, in the order it consumed them."""
    with engine.connect() as conn:
        return [
            (int(r.lot_id), int(r.points))
            for r in conn.execute(
                select(lot_uses.c.lot_id, lot_uses.c.points)
                .where(lot_uses.c.event_id == event).order_by(lot_uses.c.id)
            )
        ]  # fmt: skip


def test_a_lot_is_pending_for_the_returns_window_then_spent_oldest_first(engine: Engine) -> None:
    first = earn(engine, 1, 100, T0, "e1")
    second = earn(engine, 1, 50, T0 + DAY, "e2", partner="C")
    with engine.connect() as conn:
        early = lot.balance(conn, 1, T0 + 2 * DAY)
        assert (early.available, early.pending) == (0, 150)
    assert spend(engine, 1, 10, T0 + 2 * DAY, "s0") == 10  # pending points are not spendable
    assert uses(engine, "s0") == []
    later = T0 + 15 * DAY + 1
    assert spend(engine, 1, 120, later, "s1") == 0
    assert uses(engine, "s1") == [(first, 100), (second, 20)]
    with engine.connect() as conn:
        issuers = conn.execute(
            select(lot_uses.c.issuer, lot_uses.c.redeemer).where(lot_uses.c.event_id == "s1")
            .order_by(lot_uses.c.id)
        ).all()  # fmt: skip
        assert [tuple(r) for r in issuers] == [("A", "B"), ("C", "B")]
        assert lot.balance(conn, 1, later).available == 30


def test_an_overdraft_consumes_nothing_and_a_retry_counts_once(engine: Engine) -> None:
    earn(engine, 2, 40, T0, "e1")
    after = T0 + 20 * DAY
    assert spend(engine, 2, 50, after, "s1") == 10
    assert uses(engine, "s1") == []
    assert spend(engine, 2, 30, after, "s2") == 0
    assert spend(engine, 2, 30, after, "s2") == 0  # the same push again
    assert earn(engine, 2, 40, T0, "e1") == earn(engine, 2, 40, T0, "e1")
    with engine.connect() as conn:
        assert lot.balance(conn, 2, after).available == 10
        assert conn.execute(select(func.count()).select_from(lots)).scalar_one() == 1


def test_a_return_takes_pending_points_first_and_a_void_its_own_lot(engine: Engine) -> None:
    old = earn(engine, 3, 100, T0, "e1")
    newer = earn(engine, 3, 30, T0 + 20 * DAY, "e2")
    newest = earn(engine, 3, 20, T0 + 21 * DAY, "e3")
    at = T0 + 22 * DAY
    with engine.begin() as conn:
        assert lot.take_back(conn, 3, 60, event_id="r1", at=at, store_id="A-1") == 0
    # the two pending lots, newest first, then the available one
    assert uses(engine, "r1") == [(newest, 20), (newer, 30), (old, 10)]
    with engine.begin() as conn:
        assert lot.take_back(conn, 3, 60, event_id="r1", at=at) == 0  # once per event
        gone = lot.take_back(conn, 3, 500, event_id="v1", at=at, lot_event_id="e1", kind="void")
        assert gone == 410  # 90 were left to take back
        assert lot.balance(conn, 3, at).total == 0


def test_a_voided_spend_gives_its_points_back_to_the_lots_it_used(engine: Engine) -> None:
    a = earn(engine, 4, 10, T0, "e1")
    b = earn(engine, 4, 10, T0 + DAY, "e2")
    at = T0 + 20 * DAY
    assert spend(engine, 4, 15, at, "s1") == 0
    with engine.begin() as conn:
        assert lot.give_back(conn, "s1", at=at + 60) == 15
        assert lot.give_back(conn, "s1", at=at + 90) == 0  # the void pushed again
        assert lot.balance(conn, 4, at + 100).available == 20
        remaining = dict(conn.execute(select(lots.c.id, lots.c.remaining)).all())
        assert (remaining[a], remaining[b]) == (10, 10)
        spent = conn.execute(
            select(func.sum(lot_uses.c.points)).where(lot_uses.c.kind == "spend")
        ).scalar_one()
        assert spent == 0  # settlement nets a voided spend out
        kinds = [(m.kind, m.points) for m in lot.history(conn, 4, 10)]
        assert kinds == [("unspend", 15), ("spend", -15), ("earn", 10), ("earn", 10)]


def test_points_expire_at_the_end_of_the_month_and_are_swept(engine: Engine) -> None:
    earn(engine, 5, 120, T0, "e1")  # 10 January: two months on is the end of March
    earn(engine, 5, 30, datetime(2026, 2, 27, tzinfo=UTC).timestamp(), "e2")
    end_of_march = datetime(2026, 4, 1, tzinfo=UTC).timestamp()
    with engine.connect() as conn:
        seen = lot.balance(conn, 5, T0 + 30 * DAY)
    assert seen.expiring == [lot.Expiring(date(2026, 3, 31), 120),
                             lot.Expiring(date(2026, 4, 30), 30)]  # fmt: skip
    assert spend(engine, 5, 20, end_of_march - 1, "s1") == 0
    with engine.begin() as conn:
        assert lot.expire_due(conn, end_of_march - 1, 100) == 0
        assert lot.balance(conn, 5, end_of_march).available == 30  # expired, swept or not
        assert lot.expire_due(conn, end_of_march, 100) == 1
        assert lot.expire_due(conn, end_of_march, 100) == 0
        expired = conn.execute(
            select(lot_uses.c.points, lot_uses.c.at).where(lot_uses.c.kind == "expire")
        ).one()
    assert (expired.points, expired.at) == (100, end_of_march)  # dated in March
    assert spend(engine, 5, 31, end_of_march + DAY, "s2") == 1


def test_the_expiry_rule_handles_the_year_end() -> None:
    at = datetime(2026, 12, 31, 23, 59, tzinfo=UTC).timestamp()
    assert lot.expiry_of(at, 12) == datetime(2028, 1, 1, tzinfo=UTC).timestamp()
    assert lot.last_day(lot.expiry_of(at, 1)) == date(2027, 1, 31)


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_spends_of_one_member_at_once_never_overdraw(engine: Engine) -> None:
    earn(engine, 6, 100, T0, "e1")
    at = T0 + 20 * DAY
    shortfalls: list[int] = []
    start = threading.Barrier(8)

    def one(n: int) -> None:
        start.wait()
        shortfalls.append(spend(engine, 6, 30, at, f"s{n}"))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(shortfalls) == [0, 0, 0] + [20] * 5
    with engine.connect() as conn:
        assert lot.balance(conn, 6, at).available == 10


OPS = st.lists(
    st.tuples(
        st.sampled_from(["earn", "spend", "take_back", "void", "give_back", "expire"]),
        st.integers(1, 200),  # points
        st.integers(0, 40),  # days that pass first
    ),
    max_size=25,
)
members = itertools.count(1000)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_any_sequence_keeps_balance_equal_to_open_lots_and_to_earned_less_consumed(
    engine: Engine, ops: list[tuple[str, int, int]]
) -> None:
    member = next(members)  # a member of its own per example: the database is shared
    now, earned, taken, earns, spends = T0, 0, 0, [], []
    for n, (op, points, days) in enumerate(ops):
        now += days * DAY
        event = f"{member}-{n}"
        with engine.begin() as conn:
            before = lot.balance(conn, member, now)
            if op == "earn":
                lot.earn(conn, member, points, partner_id="A", store_id="A-1", event_id=event,
                         at=now, program=TERMS)  # fmt: skip
                earned += points
                earns.append(event)
            elif op == "spend":
                short = lot.spend(conn, member, points, event_id=event, redeemer="B",
                                  store_id="B-1", at=now)  # fmt: skip
                assert short == max(points - before.available, 0)
                if not short:
                    taken += points
                    spends.append(event)
            elif op in ("take_back", "void"):
                target = earns[points % len(earns)] if earns and op == "void" else None
                short = lot.take_back(conn, member, points, event_id=event, at=now,
                                      lot_event_id=target, kind="void" if target else "return")  # fmt: skip
                assert short == max(points - before.total, 0)
                taken += points - short
            elif op == "give_back" and spends:
                taken -= lot.give_back(conn, spends[points % len(spends)], at=now)
            elif op == "expire":
                lot.expire_due(conn, now, 1000)
            after = lot.balance(conn, member, now)
            remaining = conn.execute(
                select(lots.c.remaining, lots.c.points, lots.c.expires_at)
                .where(lots.c.member_id == member)
            ).all()  # fmt: skip
            expired = conn.execute(
                select(func.coalesce(func.sum(lot_uses.c.points), 0))
                .where(lot_uses.c.member_id == member, lot_uses.c.kind == "expire")
            ).scalar_one()  # fmt: skip
        assert all(0 <= r.remaining <= r.points for r in remaining)
        live = sum(int(r.remaining) for r in remaining if r.expires_at > now)
        assert after.total == live
        assert sum(int(r.remaining) for r in remaining) == earned - taken - int(expired)
        assert sum(e.points for e in after.expiring) == after.total
