"""Background sync: it runs, it hurries after a local operation, it never overlaps, it stops."""

from __future__ import annotations

import time

from sync.cycle import run_cycle, sync_lock
from sync.scheduler import ScheduleSettings, SyncScheduler
from tests.world import World


def test_a_redemption_reaches_the_server_soon_after_a_poke(world: World) -> None:
    world.setup()
    d = world.device("s1", "A")
    scheduler = SyncScheduler(
        d.ledger, d.client, ScheduleSettings(interval_s=60, jitter_s=0, after_operation_s=0.05)
    )
    scheduler.start()
    try:
        assert scheduler.wait_for_cycle(10)  # the first cycle runs at start
        d.terminal.redeem(world.code(1))
        scheduler.poke()
        assert scheduler.wait_for_cycle(10)
        assert d.status()["pending"] == 0
    finally:
        scheduler.stop()
    assert not scheduler._scheduler.running


def test_while_offline_it_retries_sooner_than_the_interval(world: World) -> None:
    world.setup()
    d = world.device("s1", "A")
    world.transport.down = True
    d.client.retries = 0
    scheduler = SyncScheduler(
        d.ledger, d.client, ScheduleSettings(interval_s=60, jitter_s=0, retry_s=0.1)
    )
    scheduler.start()
    try:
        assert scheduler.wait_for_cycle(10)
        assert scheduler.last is not None and not scheduler.last.ok
        deadline = time.monotonic() + 10
        while scheduler.cycles < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert scheduler.cycles >= 4  # tries again and again; the 60 s interval would wait
        d.terminal.redeem(world.code(2))
        world.transport.down = False  # the line comes back
        deadline = time.monotonic() + 10
        while (d.status()["pending"] or not d.status()["online"]) and time.monotonic() < deadline:
            time.sleep(0.05)  # the cycle under way finishes its pull, then marks the till online
        assert d.status()["pending"] == 0 and d.status()["online"] is True
    finally:
        scheduler.stop()


def test_never_two_syncs_at_once_on_one_ledger(world: World) -> None:
    world.setup()
    d = world.device("s1", "A")
    d.terminal.redeem(world.code(3))
    with sync_lock(d.path) as mine:  # another process is syncing this ledger
        assert mine
        report = run_cycle(d.ledger, d.client)
    assert report.skipped and d.status()["pending"] == 1
    assert run_cycle(d.ledger, d.client).pushed == {"accepted": 1}


def test_idle_scheduling_costs_almost_no_cpu(world: World) -> None:
    world.setup()
    d = world.device("s1", "A")
    scheduler = SyncScheduler(d.ledger, d.client, ScheduleSettings(interval_s=30, jitter_s=0))
    scheduler.start()
    try:
        assert scheduler.wait_for_cycle(10)
        time.sleep(1.5)
        # online and in sync, nothing runs until the interval: one cycle, the one at start
        assert scheduler.cycles == 1 and scheduler.last is not None and scheduler.last.ok
    finally:
        scheduler.stop()
