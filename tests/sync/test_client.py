"""The sync client against a server that misbehaves: the ledger changes only on a good answer."""

from __future__ import annotations

import json
import threading
import time

import pytest

from sync.client import SyncError
from sync.cycle import run_cycle
from sync.transport import Reply, Transport, Unreachable
from terminal.ledger import LedgerError
from tests.world import World


class Tampering:
    """Passes requests to the real server, then spoils the answer as asked."""

    def __init__(self, inner: Transport, mode: str) -> None:
        self.inner, self.mode = inner, mode

    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Reply:
        reply = self.inner.send(method, path, headers, body, timeout)
        if self.mode == "garbage":
            return Reply(200, b"<html>proxy login</html>", reply.headers)
        if self.mode == "5xx":
            return Reply(502, b"Bad Gateway", {})
        if self.mode == "forged":  # well-formed, but not signed with this device's secret
            return Reply(200, reply.body.replace(b'"accepted"', b'"rejected"'), reply.headers)
        if self.mode == "lost":
            raise Unreachable("connection reset after the server answered")
        return reply


def _snapshot(world: World) -> list[tuple[object, ...]]:
    device = world.devices[0]
    return [
        tuple(r) for r in device.ledger.read("SELECT seq, state, reason FROM events ORDER BY seq")
    ]


@pytest.mark.parametrize("mode", ["garbage", "5xx", "forged"])
def test_a_bad_answer_leaves_the_ledger_unchanged_and_the_status_says_why(
    world: World, mode: str
) -> None:
    world.setup()
    d = world.device("s1", "A")
    d.terminal.redeem(world.code(1))
    d.client.transport = Tampering(world.transport, mode)
    d.client.backoff = 0.0
    before = _snapshot(world)
    report = run_cycle(d.ledger, d.client)
    assert not report.ok and report.error_code in ("bad_answer", "server_error")
    assert _snapshot(world) == before
    status = d.status()
    assert status["pending"] == 1 and status["online"] is False
    assert str(status["last_sync_error"]).startswith(report.error_code or "")


def test_an_answer_lost_after_the_server_committed_is_recovered_by_the_retry(world: World) -> None:
    world.setup()
    d = world.device("s1", "A")
    for serial in range(3):
        d.terminal.redeem(world.code(serial))
    d.client.transport = Tampering(world.transport, "lost")
    d.client.retries, d.client.backoff = 0, 0.0
    assert not run_cycle(d.ledger, d.client).ok  # the server has them; the till does not know
    d.client.transport = world.transport
    report = run_cycle(d.ledger, d.client)
    assert report.pushed == {"accepted": 3}
    assert d.status()["pending"] == 0


def test_retries_back_off_with_jitter_then_give_up(world: World) -> None:
    world.setup()
    d = world.device("s1", "A")
    waits: list[float] = []
    d.client.transport = Tampering(world.transport, "5xx")
    d.client._sleep = waits.append
    d.client.retries, d.client.backoff = 4, 1.0
    with pytest.raises(SyncError):
        d.client.pull(0, 0)
    assert len(waits) == 4
    assert all(0 <= w <= 2**i for i, w in enumerate(waits))


def test_online_first_refuses_a_code_redeemed_elsewhere_at_once(world: World) -> None:
    world.setup()
    a = world.device("s1", "A", online=True)
    b = world.device("s2", "B", online=True)
    assert a.terminal.redeem(world.code(7)).status == "accepted_online"
    started = time.perf_counter()
    refused = b.terminal.redeem(world.code(7))
    assert refused.status == "redeemed_elsewhere"
    assert time.perf_counter() - started < 0.8
    assert b.status()["pending"] == 0  # nothing was written for the refusal


def test_a_code_won_online_but_not_saved_can_be_redeemed_on_the_next_try(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.setup()
    a = world.device("s1", "A", online=True)
    b = world.device("s2", "B", online=True)
    append = a.terminal.ledger.append

    def locked(*args: object, **kwargs: object) -> object:
        raise LedgerError("busy", "the ledger is busy")

    monkeypatch.setattr(a.terminal.ledger, "append", locked)
    assert a.terminal.redeem(world.code(7)).status == "not_saved"
    monkeypatch.setattr(a.terminal.ledger, "append", append)
    assert a.terminal.redeem(world.code(7)).status == "accepted_online"  # not "elsewhere"
    assert b.terminal.redeem(world.code(7)).status == "redeemed_elsewhere"
    assert a.sync().pushed == {"accepted": 1}
    assert a.status()["conflicts"] == 0


def test_online_balance_is_the_servers_so_a_member_is_known_in_every_store(world: World) -> None:
    world.setup()
    a = world.device("s1", "A", online=True)
    b = world.device("s2", "B", online=True)
    a.terminal.accrue("M-5", 250, "R-1")
    a.sync()
    assert b.terminal.balance("M-5").balance == 25
    assert b.terminal.spend("M-5", 20, "cup").status == "accepted_online"
    assert b.terminal.balance("M-5").balance == 5  # the spend is not at the server yet
    world.transport.down = True
    offline = b.terminal.balance("M-5")
    assert "last known" in offline.message


def test_a_server_that_stops_answering_falls_back_to_offline_rules(world: World) -> None:
    world.setup()
    a = world.device("s1", "A", online=True)
    world.transport.down = True
    assert a.terminal.redeem(world.code(3)).status == "accepted_offline"
    assert a.status()["online"] is False


class Watching:
    """Passes requests through, noting how many were under way at once; fails push number N."""

    def __init__(self, inner: Transport, fail_push: int = 0) -> None:
        self.inner, self.fail_push = inner, fail_push
        self.pushes: list[list[int]] = []
        self.flying = self.most_flying = 0
        self._lock = threading.Lock()

    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Reply:
        with self._lock:
            self.flying += 1
            self.most_flying = max(self.most_flying, self.flying)
        try:
            if path == "/v1/push":
                self.pushes.append([e["seq"] for e in json.loads(body)["events"]])
                if len(self.pushes) == self.fail_push:
                    raise Unreachable("cut off")
            time.sleep(0.02)  # a server that takes its time: the device works meanwhile
            return self.inner.send(method, path, headers, body, timeout)
        finally:
            with self._lock:
                self.flying -= 1


def test_a_catch_up_sends_batches_in_order_one_at_a_time(world: World) -> None:
    world.setup(issued=2000)
    d = world.device("s1", "A")
    for serial in range(1200):
        d.terminal.redeem(world.code(serial))
    watching = Watching(world.transport)
    d.client.transport = watching
    report = run_cycle(d.ledger, d.client)
    assert report.ok and report.pushed == {"accepted": 1200}
    assert [len(p) for p in watching.pushes] == [500, 500, 200]
    assert [seq for push in watching.pushes for seq in push] == list(range(1, 1201))
    assert watching.most_flying == 1


def test_a_catch_up_cut_off_keeps_what_was_settled(world: World) -> None:
    world.setup(issued=2000)
    d = world.device("s1", "A")
    for serial in range(1200):
        d.terminal.redeem(world.code(serial))
    d.client.transport = Watching(world.transport, fail_push=2)
    d.client.retries = 0
    report = run_cycle(d.ledger, d.client)
    assert not report.ok and report.pushed == {"accepted": 500}
    assert d.status()["pending"] == 700
    d.client.transport = world.transport
    assert run_cycle(d.ledger, d.client).pushed == {"accepted": 700}
