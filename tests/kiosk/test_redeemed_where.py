"""A code used before says where: this kiosk, another device of this store by its name, or
another store; whether the server said so in its answer to a claim or in the pull feed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kiosk.flow import Flow
from kiosk.i18n import render
from kiosk.settings import KioskSettings
from server_stub.catalog import enrollment
from sync.cycle import client_for, run_cycle
from sync.enroll import enroll
from sync.online import OnlineDevice
from terminal.engine import Terminal
from terminal.ledger import Ledger
from tests.kiosk.conftest import scan
from tests.live import live_server
from tests.world import World


def _enrolled(world: World, url: str, store: str, name: str) -> Path:
    made = enrollment.enroll_device(world.engine, store, name)
    path = world.tmp / f"{name.replace(' ', '-')}.db"
    enroll(path, url, made["token"])
    return path


def _later(now: float) -> Callable[[], float]:
    return lambda: now + 60


def _said(flow: Flow, code: str, lang: str = "en") -> str:
    flow.start_over()
    flow.clock = _later(flow.clock())  # past the window in which a code shows its last answer
    (line,) = scan(flow, code).lines
    return render(line, lang)


def test_already_redeemed_says_where(world: World) -> None:
    world.setup()
    here, at_till, other_store, fed = (world.code(n) for n in (1, 2, 3, 4))
    with live_server(world.engine, world.service) as url:
        till = OnlineDevice(_enrolled(world, url, "s1", "Counter 2"), background=False)
        neighbour = OnlineDevice(_enrolled(world, url, "s2", "Mall kiosk"), background=False)
        kiosk_path = _enrolled(world, url, "s1", "Entrance kiosk")
        kiosk = OnlineDevice(kiosk_path, background=False)
        try:
            for code in (at_till, fed):
                assert till.terminal.redeem(code).status == "accepted_online"
            assert neighbour.terminal.redeem(other_store).status == "accepted_online"
            flow = Flow(kiosk.terminal, KioskSettings(db=kiosk_path))
            assert scan(flow, here).won
            # the kiosk's own, and the server's answers to its claims
            assert _said(flow, here) == "This code was already used at this kiosk."
            assert _said(flow, at_till) == "This code was already used at Counter 2 in this store."
            assert "Counter 2" in _said(flow, at_till, "hi")
            assert _said(flow, other_store) == "This code was already used in another store."
            # remembered: the same words offline, for the same codes
            offline = Terminal(kiosk_path)
            try:
                answer = offline.redeem(at_till)
                assert (answer.redeemed_where, answer.redeemed_by) == ("store", "Counter 2")
                assert offline.redeem(other_store).redeemed_where == "other_store"
            finally:
                offline.close()
            # a code the kiosk never asked about: the pull feed says where it went
            ledger = Ledger(kiosk_path)
            try:
                assert run_cycle(ledger, client_for(ledger)).ok
            finally:
                ledger.close()
            offline = Terminal(kiosk_path)
            try:
                answer = offline.redeem(fed)
                assert answer.status == "redeemed_elsewhere" and answer.redeemed_by == "Counter 2"
                assert "Counter 2" in answer.message
            finally:
                offline.close()
        finally:
            for device in (till, neighbour, kiosk):
                device.close()
