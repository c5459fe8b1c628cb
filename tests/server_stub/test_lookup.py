"""The helpdesk's lookup: a code as a shopper reads it, or a member."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event

from codes import campaign as campaign_file
from codes import crockford
from codes.campaign import parse_tiers
from codes.campaign_cipher import CampaignCipher
from codes.checker import CheckStatus, CodeChecker
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


@functools.cache
def _cipher() -> CampaignCipher:
    """The issuer's cipher of a campaign with prefix HV, made once for the property test."""
    path = Path(_FOLDER.name) / "campaign.toml"
    campaign_file.create(path, "ice", "HV", parse_tiers("gold:10,music:*"), capacity=100_000)
    return CampaignCipher.issuer(campaign_file.load(path))


_FOLDER = tempfile.TemporaryDirectory()


def _forged(body: str) -> str:
    """A code as a forger would type one: the campaign's prefix, a body no campaign made and a
    check symbol that passes."""
    symbols = "HV" + body
    return symbols + crockford.ALPHABET[crockford.check_symbol_value(
        [crockford.VALUE[ch] for ch in symbols]
    )]  # fmt: skip


def test_a_mistyped_or_forged_code_is_said_to_be_so_and_never_taken_for_a_member(
    world: World,
) -> None:
    world.setup()
    till = world.device("s1", "Till A")
    till.terminal.accrue("M-1001", 125, "R-1", actor="ann")
    till.terminal.accrue("+44 7911 123456", 125, "R-2", actor="ann")
    assert till.sync().ok
    users.create_user(world.engine, "hel", PASSWORD, "helpdesk")
    hel = users.sign_in(world.engine, "hel", PASSWORD)
    code = world.code(5)
    last = code[-2]  # one body symbol changed, as a shopper misreads it
    mistyped = code[:-2] + ("1" if last != "1" else "2") + code[-1]
    found = lookup.lookup(world.engine, hel, mistyped)
    assert found["member"] is None and found["events"] == []
    assert found["code"]["check"] == "mistyped" and "mistyped" in found["code"]["message"]
    short = lookup.lookup(world.engine, hel, code[:-3])  # a symbol or two left out
    assert short["code"]["check"] == "mistyped" and short["member"] is None
    forged = lookup.lookup(world.engine, hel, _forged("0123456789ABCDEF"))
    assert forged["code"]["check"] == "invalid" and forged["member"] is None
    assert forged["code"]["message"] == "This is not a valid code."
    for member, typed in (("M-1001", "M-1001"), ("+447911123456", "+44 7911 123-456")):
        found = lookup.lookup(world.engine, hel, typed)
        assert found["code"] is None and found["member"] == {"member": member, "balance": 12}
        assert [e["kind"] for e in found["events"]] == ["accrue"]


@given(st.text(alphabet=crockford.ALPHABET, min_size=16, max_size=16))
def test_no_body_a_forger_types_is_taken_for_a_code_or_a_member(body: str) -> None:
    """Whatever the body, a forged code is refused by the cipher's redundancy, as the terminals
    refuse it: the lookup names it "not a valid code" (one in 2^36 would decrypt)."""
    typed = _forged(body)
    checked = CodeChecker([_cipher()]).check(typed)
    assert checked.status is CheckStatus.INVALID and lookup._looks_like_a_code(typed, checked)


def test_a_code_is_looked_up_through_its_index_never_a_scan_of_every_event(world: World) -> None:
    world.setup()
    till = world.device("s1", "Till A")
    till.terminal.redeem(world.code(5))
    assert till.sync().ok
    users.create_user(world.engine, "hel", PASSWORD, "helpdesk")
    hel = users.sign_in(world.engine, "hel", PASSWORD)
    seen: list[tuple[str, Any]] = []

    def note(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "serial" in statement and "FROM events" in statement:
            seen.append((statement, parameters))

    event.listen(world.engine, "before_cursor_execute", note)
    try:
        assert len(lookup.lookup(world.engine, hel, world.code(5))["events"]) == 1
    finally:
        event.remove(world.engine, "before_cursor_execute", note)
    ((statement, parameters),) = seen
    with world.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = " ".join(str(r[-1]) for r in rows)
        else:  # on a table this small a scan is cheaper: forbid it, so only a usable index is used
            conn.exec_driver_sql("SET enable_seqscan = off")
            rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            plan = " ".join(str(r[0]) for r in rows)
    assert "events_code" in plan, plan
