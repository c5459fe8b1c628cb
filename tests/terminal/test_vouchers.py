"""Vouchers at a device: the slice sync sends is held in the ledger, each accepted redemption of
that prize takes one with its signed event, and none is ever handed out twice or after the
server withdrew it, across retries, restarts and power cuts."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync.outbox import apply_pull
from sync.protocol import PullResponse
from terminal.engine import Terminal
from terminal.ledger import Ledger, LedgerError
from terminal.results import Status
from tests.terminal.conftest import FakeServer, Store, StoreFactory, send_slice

CAMPAIGN = "ice-2026"


def music(store: Store, n: int) -> str:
    return store.code(store.serial_of_tier("music", n))


def signed_vouchers(terminal: Terminal) -> list[str]:
    """The vouchers the redeem events carry, as signed, oldest first."""
    return [
        e["payload"]["voucher"]
        for e in terminal.ledger.chain_events()
        if e["kind"] == "redeem" and "voucher" in e["payload"]
    ]


def test_each_accepted_redemption_takes_one_voucher_with_its_signed_event(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    terminal = store.open()
    assert send_slice(terminal, "MUS-0001", "MUS-0002")["vouchers"] == 2
    first = terminal.redeem(music(store, 0))
    assert first.status is Status.ACCEPTED_OFFLINE and first.voucher == "MUS-0001"
    assert "Voucher: MUS-0001" in first.message and first.voucher_later is None
    online = store.open(FakeServer("accept")).redeem(music(store, 1))
    assert online.status is Status.ACCEPTED_ONLINE and online.voucher == "MUS-0002"
    assert signed_vouchers(terminal) == ["MUS-0001", "MUS-0002"]
    assert terminal.ledger.verify_chain() is None  # the voucher is signed with its event
    assert terminal.ledger.voucher_of(first.event_id or "") == "MUS-0001"

    none_left = terminal.redeem(music(store, 2))
    assert none_left.ok and none_left.voucher is None and none_left.voucher_later
    assert "voucher comes by SMS" in none_left.message
    silver = terminal.redeem(store.code(store.serial_of_tier("silver")))
    assert silver.ok and silver.voucher is None and silver.voucher_later is None  # no pool
    assert terminal.status()["vouchers"] == {f"{CAMPAIGN}/music": 0}


def test_a_refused_or_unsaved_redemption_keeps_its_voucher(
    make_store: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store()
    terminal = store.open()
    send_slice(terminal, "MUS-0001", "MUS-0002")
    assert terminal.redeem(music(store, 0)).voucher == "MUS-0001"
    again = terminal.redeem(music(store, 0))  # the same pack once more
    assert again.status is Status.ALREADY_REDEEMED_HERE and again.voucher is None
    taken_elsewhere = store.open(FakeServer("refuse")).redeem(music(store, 1))
    assert taken_elsewhere.status is Status.REDEEMED_ELSEWHERE and taken_elsewhere.voucher is None

    def power_cut(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies with the voucher taken, the event unwritten

    monkeypatch.setattr(Ledger, "append", power_cut)
    with pytest.raises(KeyboardInterrupt):
        terminal.redeem(music(store, 2))
    monkeypatch.undo()
    assert terminal.status()["vouchers"] == {f"{CAMPAIGN}/music": 1}  # rolled back with it
    assert terminal.redeem(music(store, 2)).voucher == "MUS-0002"


def test_one_redemption_can_never_hold_two_vouchers(make_store: StoreFactory) -> None:
    store = make_store()
    terminal = store.open()
    send_slice(terminal, "MUS-0001", "MUS-0002")
    ledger = terminal.ledger
    with ledger.write() as conn:
        assert Ledger.take_voucher(conn, CAMPAIGN, "music", "event-1") == "MUS-0001"
    with pytest.raises(LedgerError) as refused, ledger.write() as conn:
        Ledger.take_voucher(conn, CAMPAIGN, "music", "event-1")
    assert refused.value.code == "duplicate"
    assert ledger.vouchers_held() == {(CAMPAIGN, "music"): 1}


def test_a_restart_and_a_retried_sync_never_give_a_voucher_twice(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    terminal = store.open()
    send_slice(terminal, "MUS-0001", "MUS-0002", "MUS-0003")
    assert terminal.redeem(music(store, 0)).voucher == "MUS-0001"
    terminal.close()

    restarted = store.open()  # switched off and on; the push of that redemption never went out
    # so the server still lists MUS-0001 as held here; its answer also comes twice
    for _ in range(2):
        counts = send_slice(restarted, "MUS-0001", "MUS-0002", "MUS-0003")
        assert counts["vouchers"] == 0 and counts["vouchers_withdrawn"] == 0
    given = [restarted.redeem(music(store, n)).voucher for n in range(1, 4)]
    assert given == ["MUS-0002", "MUS-0003", None]
    assert signed_vouchers(restarted) == ["MUS-0001", "MUS-0002", "MUS-0003"]


def test_a_withdrawn_voucher_is_never_shown(make_store: StoreFactory) -> None:
    store = make_store()
    terminal = store.open()
    send_slice(terminal, "MUS-0001", "MUS-0002", "MUS-0003")
    assert terminal.redeem(music(store, 0)).voucher == "MUS-0001"
    # the server moved two of them elsewhere (or revoked them): this device holds MUS-0003 only
    counts = send_slice(terminal, "MUS-0003")
    assert counts["vouchers_withdrawn"] == 1  # MUS-0002; MUS-0001 was handed out and stays
    unchanged = PullResponse(cursor=2, more=False, config_version=0, server_time=time.time())
    apply_pull(terminal.ledger, unchanged)  # vouchers None: the slice as it was
    shown = [terminal.redeem(music(store, n)).voucher for n in range(1, 4)]
    assert shown == ["MUS-0003", None, None]
    assert "MUS-0002" not in json.dumps([list(e.values()) for e in terminal.ledger.chain_events()])
    assert terminal.ledger.voucher_of(terminal.redeem(music(store, 0)).event_id or "") is None
    send_slice(terminal)  # all withdrawn: the pool is still known, so its wins say "by SMS"
    assert terminal.redeem(music(store, 9)).voucher_later


def _redeemer(store: Store, codes_file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "instore_cli", "terminal", "redeem", "--db", str(store.path),
         "--from", str(codes_file), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def test_power_cuts_never_give_a_voucher_twice_nor_lose_one_shown(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    """Real processes killed at random while they redeem, the slice sent again after each."""
    store = make_store()
    slice_ = [f"MUS-{n:04d}" for n in range(400)]
    codes_file = tmp_path / "codes.txt"
    rng = random.Random(25)
    shown: dict[str, str] = {}  # voucher -> code, as the till printed them
    for round_no in range(3):
        terminal = store.open()
        send_slice(terminal, *slice_)  # the retried sync: handed-out ones stay handed out
        terminal.close()
        serials = rng.sample(range(600), 150)  # many rescanned: refused, and take none
        codes_file.write_text("\n".join(music(store, s) for s in serials) + "\n")
        proc = _redeemer(store, codes_file)
        if round_no:
            proc.stdout.readline()  # type: ignore[union-attr]
        time.sleep(rng.uniform(0.05, 0.3))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        for line in out.splitlines():
            try:
                data = json.loads(line)
            except ValueError:
                continue  # cut short by the kill: never shown
            if data.get("voucher"):
                assert data["voucher"] not in shown, "one voucher shown twice"
                shown[data["voucher"]] = data["code"]
    terminal = store.open()
    signed = {e["payload"]["voucher"]: e["payload"]["code"] for e in terminal.ledger.chain_events()
              if e["kind"] == "redeem" and "voucher" in e["payload"]}  # fmt: skip
    events = [e for e in terminal.ledger.chain_events() if e["kind"] == "redeem"]
    assert len(signed) == sum("voucher" in e["payload"] for e in events), "a voucher given twice"
    assert shown.items() <= signed.items(), "a voucher shown was lost or moved"
    for voucher in signed:
        row = terminal.ledger.one("SELECT event_id FROM vouchers WHERE voucher = ?", (voucher,))
        assert row is not None and terminal.ledger.voucher_of(row["event_id"]) == voucher
    assert shown, "no run got far enough to show a voucher: the test proved nothing"
    assert terminal.ledger.verify_chain() is None
