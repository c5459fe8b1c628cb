"""Point limits through the server: set by staff, sent to the tills in their config, applied by
each till offline, and judged again at ingest with every till's events; alerts name the
cashier."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from server_stub.database.schema import alerts, conflicts, events
from server_stub.errors import ApiError
from server_stub.loyalty import limits, members
from terminal.results import Status
from tests.world import World


def _alerts(world: World) -> list[tuple[str, str, str]]:
    with world.engine.connect() as conn:
        rows = conn.execute(select(alerts.c.kind, alerts.c.actor, alerts.c.message)
                            .order_by(alerts.c.id)).all()  # fmt: skip
    return [(r.kind, r.actor, r.message) for r in rows]


def test_one_cashier_alerted_then_blocked_across_two_tills(world: World) -> None:
    world.setup(stores=("s1",))
    limits.set_limit(world.engine, "cashier", "earn_points", "day", soft=(100, 1000))
    limits.set_limit(world.engine, "cashier", "earn_points", "day", hard=250)
    till1, till2 = world.device("s1", "till1"), world.device("s1", "till2")
    for till in (till1, till2):
        till.sync()  # the limits arrive with the config
        assert len(till.terminal.config.point_limits) == 2

    assert till1.terminal.accrue("M-1", 500, "r1", actor="anna").warnings == ()  # 50
    soft = till1.terminal.accrue("M-2", 600, "r2", actor="anna")  # 110: the soft limit
    assert soft.status is Status.ACCEPTED_OFFLINE and soft.warnings
    till1.sync()
    assert [(k, a) for k, a, _ in _alerts(world)] == [("point_limit", "anna")]
    assert "till1, cashier anna" in _alerts(world)[0][2]

    # till1 itself blocks what would take anna past 250 today
    assert till1.terminal.accrue("M-3", 2000, "r3", actor="anna").status is Status.LIMIT_BLOCKED
    # till2 sees only its own events: 200 is within the limit there, and the shopper has them
    given = till2.terminal.accrue("M-3", 2000, "r4", actor="anna")
    assert given.status is Status.ACCEPTED_OFFLINE
    till2.sync()
    # the server counts both tills: 310 is past 250, kept as a conflict for security staff
    with world.engine.connect() as conn:
        event = conn.execute(select(events).where(events.c.event_id == given.event_id)).one()
        conflict = conn.execute(select(conflicts)).one()
    assert event.verdict == "conflict" and event.reason.startswith("limit_exceeded: ")
    assert conflict.kind == "limit_exceeded" and conflict.loser_event == given.event_id
    kinds = [(k, a) for k, a, _ in _alerts(world)]
    assert ("limit_exceeded", "anna") in kinds
    told = till2.ledger.event(given.event_id or "")
    assert told is not None and told["state"] == "conflict"  # the till is told
    # the points stand: the shopper was given them
    assert till2.terminal.balance("M-3").balance == 200


def test_a_limit_set_wrong_is_refused_in_words(world: World) -> None:
    world.setup(stores=("s1",))
    with pytest.raises(ApiError, match="low to high"):
        limits.set_limit(world.engine, "card", "earn_points", "day", soft=(10, 5))
    with pytest.raises(ApiError, match="per hour, day"):
        limits.set_limit(world.engine, "terminal", "operations", "operation", hard=3)
    with pytest.raises(ApiError, match="soft range"):
        limits.set_limit(world.engine, "card", "earn_points", "day")
    made = limits.set_limit(world.engine, "store", "spend_points", "week", subject="s1", hard=9)
    assert [x.id for x in limits.list_limits(world.engine)] == [made.id]
    limits.remove_limit(world.engine, made.id)
    assert limits.list_limits(world.engine) == []
    with pytest.raises(ApiError, match="no limit"):
        limits.remove_limit(world.engine, made.id)


def test_the_alerts_page_names_the_cashier_to_whom_may_see_it(world: World) -> None:
    from server_stub.accounts import users
    from server_stub.dashboard import alert_pages

    world.setup(stores=("s1", "s2"))
    limits.set_limit(world.engine, "cashier", "earn_points", "operation", soft=(10, 100))
    till = world.device("s1", "till1")
    till.sync()
    assert till.terminal.accrue("M-1", 200, "r1", actor="anna").warnings  # 20 points: alert
    till.sync()
    for name, role, stores in (("ann", "admin", []), ("sam", "store_manager", ["s2"])):
        users.create_user(world.engine, name, "correct horse battery", role, stores)
    ann = users.sign_in(world.engine, "ann", "correct horse battery")
    sam = users.sign_in(world.engine, "sam", "correct horse battery")
    shown = alert_pages.alerts_page(world.engine, ann, {"cashier": "anna"})["alerts"]
    assert [(a["kind"], a["cashier"], a["device_name"]) for a in shown] == [
        ("point_limit", "anna", "till1")
    ]
    assert alert_pages.alerts_page(world.engine, ann, {"cashier": "ben"})["alerts"] == []
    assert alert_pages.alerts_page(world.engine, sam, {})["alerts"] == []  # not sam's store


def test_a_card_limit_counts_the_member_whether_the_till_took_a_phone_or_a_card(
    world: World,
) -> None:
    """One member with a phone and a card: the till counts each as it took it (its own ledger
    knows no member), the server counts the member both name."""
    world.setup(stores=("s1",))
    with world.engine.begin() as conn:
        members.register(conn, "+77011234567", card="CARD42", via="centre", now=time.time())
        members.register(conn, "+77051234567", via="centre", now=time.time())
    limits.set_limit(world.engine, "card", "earn_points", "day", hard=250)
    limits.set_limit(world.engine, "card", "spend_points", "day", subject="+77011234567",
                     hard=150)  # fmt: skip
    till = world.device("s1", "till1")
    till.sync()
    assert till.terminal.accrue("+77011234567", 2000, "r1", actor="anna").points == 200
    assert till.terminal.accrue("+77051234567", 2000, "r2", actor="anna").points == 200
    till.sync()
    given = till.terminal.accrue("CARD42", 1000, "r3", actor="anna")  # 300 for the member
    spent = till.terminal.spend("CARD42", 100, "mug", actor="anna")
    more = till.terminal.spend("+77011234567", 100, "mug", actor="anna")  # 200 spent: past 150
    assert {r.status for r in (given, spent, more)} == {Status.ACCEPTED_OFFLINE}
    till.sync()
    with world.engine.connect() as conn:
        found = dict(conn.execute(select(events.c.event_id, events.c.verdict)).all())
        kinds = [r.kind for r in conn.execute(select(conflicts.c.kind))]
    assert [found[r.event_id] for r in (given, spent, more)] == ["conflict", "accepted", "conflict"]
    assert kinds == ["limit_exceeded", "limit_exceeded"]
    assert "CARD42 reached 300" in " ".join(m for _, _, m in _alerts(world))
