"""A till enrolled with the server: claims online at payment, and syncs soon after it."""

from __future__ import annotations

import time

from pos_plugin.checkout import Till
from sync.online import OnlineDevice
from sync.scheduler import ScheduleSettings
from tests.world import World


def test_an_online_till_prevents_double_use_and_pushes_soon(world: World) -> None:
    world.setup()
    enrolled = world.device("s1", "Till A")
    quick = ScheduleSettings(interval_s=3600, jitter_s=0, after_operation_s=0.05)
    device = OnlineDevice(enrolled.path, quick, transport=world.transport)
    till = Till(device.terminal, device=device)
    try:
        basket = till.checkout()
        basket.apply(world.code(1))
        basket.member("M-1")
        paid = basket.pay("R-1", 50.0)
        assert [i.status for i in paid.items] == ["accepted_online", "accepted_offline"]
        # another store, online: refused at once, not caught later as a conflict
        other = world.device("s2", "Till B", online=True)
        assert other.terminal.redeem(world.code(1)).status == "redeemed_elsewhere"
        deadline = time.monotonic() + 10
        while till.status()["pending"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert till.status()["pending"] == 0  # pushed by the sync the payment asked for
        assert other.terminal.balance("M-1").balance == 5  # the member is known at store 2
        world.transport.down = True
        late = till.checkout()
        assert late.apply(world.code(2)).ok
        assert late.pay("R-2", 1.0).items[0].status == "accepted_offline"
    finally:
        till.close()
