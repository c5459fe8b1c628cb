"""Enrollment and the rules a server hands its devices."""

from __future__ import annotations

import pytest

from codes.common.errors import InstoreError
from server_stub.catalog import device_config, enrollment
from sync.client import SyncClient
from sync.enroll import enroll
from sync.protocol import LimitConfig
from tests.world import World


def test_a_ledger_of_one_device_cannot_be_enrolled_as_another(world: World) -> None:
    world.setup()
    d = world.device("s1", "Till 1")
    token = enrollment.enroll_device(world.engine, "s1", "Till 2")["token"]
    with pytest.raises(InstoreError) as refused:
        enroll(d.path, "http://in-process", token, world.transport)
    assert refused.value.code == "already_enrolled"
    assert d.sync().ok  # the till keeps its identity and still syncs


def test_a_lost_enrollment_answer_needs_a_new_token(world: World) -> None:
    world.setup()
    made = enrollment.enroll_device(world.engine, "s1", "Till 3")
    path = world.tmp / "till3.db"
    SyncClient(world.transport).enroll(made["token"])  # its answer was lost on the way
    with pytest.raises(InstoreError) as spent:
        enroll(path, "http://in-process", made["token"], world.transport)
    assert spent.value.code == "bad_token" and "ask for a new one" in spent.value.message
    again = enrollment.enroll_device(world.engine, "s1", "Till 3")
    device = enroll(path, "http://in-process", again["token"], world.transport)
    from sync.cycle import client_for, run_cycle
    from terminal.ledger import Ledger

    ledger = Ledger(path)
    try:
        assert ledger.device().device_id == device.device_id == again["device_id"]
        assert run_cycle(ledger, client_for(ledger, world.transport)).ok
    finally:
        ledger.close()


def test_a_limit_set_on_the_server_reaches_the_till_at_its_next_sync(world: World) -> None:
    world.setup()
    d = world.device("s1", "Till 1")
    device_config.set_config(world.engine, None, [LimitConfig(scope="cashier_day", max=1)])
    assert d.sync().pulled["config"] == 1
    d.terminal.reload()
    assert d.terminal.redeem(world.code(1), actor="ann").ok
    refused = d.terminal.redeem(world.code(2), actor="ann")
    assert refused.status == "limit" and "1 redemption per cashier per day" in refused.message


def test_a_store_s_own_limit_leaves_the_chain_s_other_limits_in_force(world: World) -> None:
    world.setup()
    d = world.device("s1", "Till 1")
    device_config.set_config(world.engine, None, [LimitConfig(scope="cashier_day", max=1)])
    device_config.set_config(world.engine, "s1", [LimitConfig(scope="terminal_hour", max=50)])
    shown = device_config.show_config(world.engine, "s1")["limits"]
    assert {x["scope"]: x["max"] for x in shown} == {"cashier_day": 1, "terminal_hour": 50}
    d.sync()
    d.terminal.reload()
    assert d.terminal.redeem(world.code(1), actor="ann").ok
    assert d.terminal.redeem(world.code(2), actor="ann").status == "limit"  # the chain's rule


def test_a_store_can_lift_a_chain_limit_and_raise_another(world: World) -> None:
    world.setup()
    device_config.set_config(
        world.engine, None,
        [LimitConfig(scope="cashier_day", max=1), LimitConfig(scope="member_day", max=2)],
    )  # fmt: skip
    device_config.set_config(
        world.engine, "s1",
        [LimitConfig(scope="cashier_day", max=0), LimitConfig(scope="member_day", max=5)],
    )  # fmt: skip
    here = {x["scope"]: x["max"] for x in device_config.show_config(world.engine, "s1")["limits"]}
    elsewhere = {
        x["scope"]: x["max"] for x in device_config.show_config(world.engine, "s2")["limits"]
    }
    assert here == {"member_day": 5}
    assert elsewhere == {"cashier_day": 1, "member_day": 2}
    d = world.device("s1", "Till 1")
    d.terminal.reload()
    assert all(d.terminal.redeem(world.code(n), actor="ann").ok for n in range(3))


def test_a_store_s_loyalty_setting_leaves_the_chain_s_others_in_force(world: World) -> None:
    world.setup()
    device_config.set_config(world.engine, None, [LimitConfig(scope="cashier_day", max=3)])
    saved = device_config.set_config(world.engine, "s1", loyalty={"offline_spend_cap": 200})
    assert saved.loyalty.offline_spend_cap == 200
    assert [x.scope for x in saved.limits] == ["cashier_day"]  # what the store's tills apply
    device_config.set_config(
        world.engine, None, loyalty={"checkin_points": 25}
    )  # later, for the chain
    here = device_config.show_config(world.engine, "s1")["loyalty"]
    elsewhere = device_config.show_config(world.engine, "s2")["loyalty"]
    assert (here["checkin_points"], here["offline_spend_cap"]) == (25, 200)
    assert (elsewhere["checkin_points"], elsewhere["offline_spend_cap"]) == (25, 500)
