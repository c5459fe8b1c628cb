"""The helpdesk's lookup: a code as a shopper reads it, or a member."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server_stub.accounts import users
from server_stub.dashboard import lookup
from terminal.members import normalise_member
from tests.world import World

PASSWORD = "correct horse battery"


def test_a_code_read_out_sloppily_finds_its_redemption_and_conflict(world: World) -> None:
    world.setup()
    a, b = world.device("s1", "Till A"), world.device("s2", "Till B")
    a.terminal.redeem(world.code(5), actor="ann")
    b.terminal.redeem(world.code(5), actor="bob")
    assert a.sync().ok and b.sync().ok
    users.create_user(world.engine, "hel", PASSWORD, "helpdesk")
    hel = users.sign_in(world.engine, "hel", PASSWORD)
    read_out = world.code(5).lower().replace("-", " ").replace("0", "o")
    found = lookup.lookup(world.engine, hel, read_out)
    assert found["code"]["serial"] == 5 and found["code"]["redeemed_by_device"] == "Till A"
    assert [(e["cashier"], e["verdict"]) for e in found["events"]] == [
        ("bob", "conflict"), ("ann", "accepted")
    ]  # fmt: skip
    assert found["events"][0]["conflict"] == found["events"][1]["conflict"] is not None
    users.create_user(world.engine, "nora", PASSWORD, "store_manager", ["s2"])
    nora = users.sign_in(world.engine, "nora", PASSWORD)
    theirs = lookup.lookup(world.engine, nora, read_out)
    assert [e["cashier"] for e in theirs["events"]] == ["bob"]  # not the other store's side
    assert theirs["code"]["redeemed_at_store"] == "another store"


def test_a_member_is_found_by_the_phone_number_as_typed(world: World) -> None:
    world.setup()
    till = world.device("s1", "Till A")
    till.terminal.accrue("07700 900123", 125, "R-1", actor="ann")
    assert till.sync().ok
    users.create_user(world.engine, "hel", PASSWORD, "helpdesk")
    found = lookup.lookup(
        world.engine, users.sign_in(world.engine, "hel", PASSWORD), "07700-900-123"
    )
    assert found["member"] == {"member": "07700900123", "balance": 12}
    assert [e["kind"] for e in found["events"]] == ["accrue"]


@given(st.text(max_size=140))
def test_the_server_writes_a_member_as_the_terminals_do(text: str) -> None:
    assert lookup.normalise_member(text) == normalise_member(text)
