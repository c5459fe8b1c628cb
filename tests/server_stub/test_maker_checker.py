"""Conflict resolutions that move a prize need two people."""

from __future__ import annotations

import pytest

from server_stub.accounts import users
from server_stub.errors import ApiError
from server_stub.records import conflicts, maker_checker
from tests.world import World

PASSWORD = "correct horse battery"


def _conflict(world: World) -> int:
    a, b = world.device("s1", "Till A"), world.device("s2", "Till B")
    a.terminal.redeem(world.code(5), actor="ann")
    b.terminal.redeem(world.code(5), actor="bob")
    assert a.sync().ok and b.sync().pushed == {"conflict": 1}
    return int(conflicts.list_conflicts(world.engine)[0]["id"])


def _user(world: World, name: str, role: str, stores: list[str] = ()) -> users.Viewer:  # type: ignore[assignment]
    users.create_user(world.engine, name, PASSWORD, role, stores)
    return users.sign_in(world.engine, name, PASSWORD)


def test_one_proposes_another_approves_and_both_are_on_record(world: World) -> None:
    world.setup()
    conflict = _conflict(world)
    hel, ann, max_ = (
        _user(world, "hel", "helpdesk"),
        _user(world, "ann", "admin"),
        _user(world, "max", "admin"),
    )
    made = maker_checker.propose(
        world.engine, hel, conflict, "void_winner", "the first till was a test"
    )
    with pytest.raises(ApiError, match="propose resolutions, not approve"):
        maker_checker.decide(world.engine, hel, made["proposal"], approve=True)
    with pytest.raises(ApiError, match="awaits a decision"):
        maker_checker.propose(world.engine, ann, conflict, "recover", "another idea")
    maker_checker.decide(world.engine, ann, made["proposal"], approve=True)
    done = conflicts.list_conflicts(world.engine, state="resolved")[0]
    assert done["resolution"]["action"] == "void_winner"
    assert done["resolution"]["by"] == "hel (proposed), ann (approved)"
    with pytest.raises(ApiError, match=r"decided already|was approved"):
        maker_checker.decide(world.engine, max_, made["proposal"], approve=True)


def test_nobody_approves_their_own_proposal(world: World) -> None:
    world.setup()
    conflict = _conflict(world)
    ann = _user(world, "ann", "admin")
    made = maker_checker.propose(world.engine, ann, conflict, "recover", "the shopper gave it back")
    with pytest.raises(ApiError, match="second person"):
        maker_checker.decide(world.engine, ann, made["proposal"], approve=True)
    assert conflicts.list_conflicts(world.engine)[0]["state"] == "open"


def test_another_stores_conflict_is_not_found_for_a_store_manager(world: World) -> None:
    world.setup(stores=("s1", "s2", "s3"))
    conflict = _conflict(world)
    outsider = _user(world, "sam", "store_manager", ["s3"])
    assert maker_checker.visible_conflicts(world.engine, outsider) == []
    with pytest.raises(ApiError, match=f"no conflict {conflict}"):
        maker_checker.propose(world.engine, outsider, conflict, "accept_loss", "not mine")
    insider = _user(world, "nora", "store_manager", ["s2"])
    assert [c["id"] for c in maker_checker.visible_conflicts(world.engine, insider)] == [conflict]
