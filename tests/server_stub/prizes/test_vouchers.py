"""Voucher pools: loaded from a partner's CSV, one voucher per accepted redemption whatever the
retries and conflicts, slices held by devices, withdrawn from a revoked one, alerts when low."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

import instore_cli
from codes.campaign import parse_tiers
from codes.common import event_form
from server_stub.catalog import enrollment
from server_stub.database.schema import alerts, outbox, vouchers
from server_stub.device_api.service import SyncService
from server_stub.prizes import vouchers as pool
from server_stub.settings import ServerSettings
from sync.client import SyncClient
from sync.protocol import PullResponse
from terminal import chain
from tests.world import Device, InProcess, World

WEB = "shoppers-web"


def voucher_file(folder: Path, texts: list[str], name: str = "vouchers.csv") -> Path:
    path = folder / name
    path.write_text("voucher\n" + "".join(f"{t}\n" for t in texts), encoding="utf-8")
    return path


def loaded(world: World, count: int, tier: str = "music", start: int = 0) -> list[str]:
    texts = [f"{tier.upper()}-{n:05d}" for n in range(start, start + count)]
    path = voucher_file(world.tmp, texts, f"{tier}-{start}.csv")
    pool.load(world.engine, world.campaign.id, tier, path)
    return texts


def admin(world: World, capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str]:
    code = instore_cli.main(["admin", "--db", world.url, *words])
    out = capsys.readouterr()
    return code, out.out + out.err


def states(world: World) -> dict[str, tuple[str, str | None, str | None]]:
    """voucher -> (state, device, event)"""
    with world.engine.connect() as conn:
        rows = conn.execute(select(vouchers.c.voucher, vouchers.c.state, vouchers.c.device_id,
                                   vouchers.c.event_id))  # fmt: skip
        return {r.voucher: (r.state, r.device_id, r.event_id) for r in rows}


def alerts_of(world: World, kind: str) -> list[str]:
    with world.engine.connect() as conn:
        return list(conn.execute(select(alerts.c.message).where(alerts.c.kind == kind)).scalars())


def give(world: World, event_id: str, tier: str = "music") -> str | None:
    with world.engine.begin() as conn:
        return pool.give(conn, world.campaign.id, tier, event_id, WEB)


class Till:
    """A device's pushes written by hand, signed and chained with its key: redemptions that
    name the voucher the till showed, as a till's ledger sends them."""

    def __init__(self, world: World, device: Device) -> None:
        self.world, self.device, self.client = world, device, device.client
        self.seq, self.prev = 0, event_form.GENESIS

    def redeem(
        self, serial: int, voucher: str | None = None, context: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        tiers, texts = self.world.cipher.encode_batch(np.array([serial], dtype=np.uint64))
        payload: dict[str, Any] = {
            "code": bytes(texts[0]).decode(), "campaign": self.world.campaign.id,
            "serial": serial, "tier": self.world.campaign.tiers[int(tiers[0])].name, "value": 0.0,
        }  # fmt: skip
        if voucher is not None:
            payload["voucher"] = voucher
        if context is not None:
            payload["context"] = context
        self.seq += 1
        event: dict[str, Any] = {
            "event_id": chain.uuid7(), "device_id": self.client.device_id, "seq": self.seq,
            "kind": "redeem", "payload": payload, "prev_hash": self.prev,
            "local_time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }  # fmt: skip
        event["mac"] = event_form.event_mac(self.client.secret, event)
        self.prev = event_form.event_hash(event)
        return {k: v for k, v in event.items() if k != "device_id"}

    def push(self, events: list[dict[str, Any]]) -> list[str]:
        return [v.verdict for v in self.client.push(events).verdicts]

    def pull(self) -> PullResponse:
        return self.client.pull(0, 0)

    def held(self) -> list[str]:
        return [g.voucher for g in self.pull().vouchers or []]


def setup(world: World) -> World:
    """A campaign where one code in ten is gold, one in ten silver, and the rest music."""
    return world.setup(tiers=parse_tiers("gold:1/10,silver:1/10,music:*"))


def serials(world: World, count: int, tier: str = "music") -> list[int]:
    """The first serials of the campaign that carry this tier."""
    tiers, _ = world.cipher.encode_batch(np.arange(1000, dtype=np.uint64))
    wanted = [t.name for t in world.campaign.tiers].index(tier)
    return [s for s, t in enumerate(tiers.tolist()) if t == wanted][:count]


# -- loading ---------------------------------------------------------------------------------


def test_loading_a_file_twice_loads_nothing_new_and_says_so(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    setup(world)
    texts = [f"  MUSIC-{n}  " for n in range(30)] + ["", "MUSIC-3"]
    path = voucher_file(world.tmp, texts)
    load = ["rewards", "load", "--campaign", world.campaign.id, "--tier", "music", "--file"]
    assert admin(world, capsys, *load, str(path)) == (
        0, f"loaded 30 vouchers for music in {world.campaign.id}; 1 already there; 30 free\n"
    )  # fmt: skip
    code, out = admin(world, capsys, *load, str(path), "--json")
    assert code == 0
    assert json.loads(out) | {"loaded": 0, "skipped": 31, "free": 30, "total": 30} == json.loads(
        out
    )
    assert sorted(states(world)) == sorted(f"MUSIC-{n}" for n in range(30))  # spaces gone


BAD_LOADS = [
    ("nope", "music", "voucher\nA\n", "no campaign nope"),
    (None, "platinum", "voucher\nA\n", "has no tier platinum; its tiers are gold, silver, music"),
    (None, "music", "code\nA\n", "line 1: the first line must be the header 'voucher'"),
    (None, "music", "voucher\nA\n\nB" + "x" * 128 + "\n",
     "line 4: a voucher is at most 128 characters; this one has 129"),
    (None, "music", "voucher\nA\tB\n", "line 2: the voucher holds a control or invisible"),
    (None, "music", "voucher\nA,B\n", "line 2: one voucher a line, in one column"),
    (None, "music", "voucher\n\n  \n", "holds no vouchers, only its header"),
]  # fmt: skip


@pytest.mark.parametrize("server_url", ["sqlite"], indirect=True)  # the file is read first
def test_a_bad_load_is_refused_with_its_reason_and_loads_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    setup(world)
    path = world.tmp / "bad.csv"
    for campaign, tier, lines, said in BAD_LOADS:
        path.write_text(lines, encoding="utf-8")
        code, out = admin(world, capsys, "rewards", "load", "--campaign",
                          campaign or world.campaign.id, "--tier", tier, "--file", str(path))  # fmt: skip
        assert code == 2 and said in out, out
    assert states(world) == {}


# -- giving ----------------------------------------------------------------------------------


def test_the_web_gets_one_voucher_per_redemption_however_often_it_asks(world: World) -> None:
    setup(world)
    texts = loaded(world, 30)
    first = give(world, "web-1")
    assert first in texts
    assert give(world, "web-1") == first
    second = give(world, "web-2")
    assert second in texts and second != first
    assert give(world, "web-3", tier="gold") is None  # a tier without a pool
    assert states(world)[first] == ("given", WEB, "web-1")


@pytest.mark.parametrize("server_url", ["postgres"], indirect=True)
def test_concurrent_gives_on_postgresql_never_hand_one_voucher_to_two_events(
    world: World,
) -> None:
    setup(world)
    loaded(world, 250)
    start = threading.Barrier(20)

    def ten(thread: int) -> list[str | None]:
        start.wait()
        return [give(world, f"web-{thread}-{n}") for n in range(10)]

    with ThreadPoolExecutor(20) as threads:
        got = [v or "" for vs in threads.map(ten, range(20)) for v in vs]
    assert "" not in got and len(set(got)) == 200
    given = {v: s for v, s in states(world).items() if s[0] == "given"}
    assert sorted(given) == sorted(got)
    assert len({event for _, _, event in given.values()}) == 200


def test_a_push_gets_a_voucher_per_accepted_redemption_and_a_retry_the_same_ones(
    world: World,
) -> None:
    setup(world)
    loaded(world, 30)
    till = Till(world, world.device("s1", "Till 1"))
    batch = [till.redeem(s) for s in serials(world, 3)]
    batch.append(till.redeem(serials(world, 1, "silver")[0]))  # no pool: no voucher
    verdicts = till.push(batch)
    assert verdicts.count("accepted") == 4
    before = {v: s for v, s in states(world).items() if s[0] == "given"}
    assert {e for _, _, e in before.values()} == {e["event_id"] for e in batch[:3]}
    assert len(before) == 3
    assert till.push(batch) == verdicts  # the answer was lost: the till pushes again
    assert {v: s for v, s in states(world).items() if s[0] == "given"} == before


def test_the_slice_comes_with_a_pull_and_is_topped_up_after_the_till_hands_one_out(
    world: World,
) -> None:
    setup(world)
    texts = loaded(world, 30)
    till = Till(world, world.device("s1", "Till 1"))
    held = till.held()
    assert len(held) == pool.SLICE and set(held) <= set(texts)
    assert till.held() == held  # a second pull: the same slice, nothing more taken
    shown = held[2]  # the till is offline: it shows a shopper one of its slice
    event = till.redeem(serials(world, 1)[0], voucher=shown)
    assert till.push([event]) == ["accepted"]
    assert states(world)[shown] == ("given", till.client.device_id, event["event_id"])
    again = till.held()
    assert len(again) == pool.SLICE and shown not in again and set(held) - {shown} < set(again)


def test_a_double_redemption_spends_both_vouchers_shown_and_the_pool_reuses_neither(
    world: World,
) -> None:
    setup(world)
    loaded(world, 40)
    first, second = Till(world, world.device("s1", "A")), Till(world, world.device("s2", "B"))
    a_shows, b_shows = first.held()[0], second.held()[0]
    serial = serials(world, 1)[0]
    a_event, b_event = first.redeem(serial, a_shows), second.redeem(serial, b_shows)
    assert first.push([a_event]) == ["accepted"]
    assert second.push([b_event]) == ["conflict"]
    assert second.push([b_event]) == ["conflict"]  # a retry changes nothing
    kept = states(world)
    assert kept[a_shows] == ("given", first.client.device_id, a_event["event_id"])
    assert kept[b_shows] == ("given", second.client.device_id, b_event["event_id"])
    rest = [give(world, f"web-{n}") for n in range(40)]  # the pool runs dry: neither comes back
    assert a_shows not in rest and b_shows not in rest
    assert a_shows not in first.held() + second.held() and b_shows not in second.held()


def test_a_voucher_the_till_does_not_hold_gets_it_a_free_one_and_an_alert(world: World) -> None:
    setup(world)
    loaded(world, 30)
    first, second = Till(world, world.device("s1", "A")), Till(world, world.device("s2", "B"))
    theirs = second.held()[0]
    event = first.redeem(serials(world, 1)[0], voucher=theirs)
    assert first.push([event]) == ["accepted"]
    kept = states(world)
    assert kept[theirs] == ("held", second.client.device_id, None)  # still B's, never A's
    got = [v for v, s in kept.items() if s[2] == event["event_id"]]
    assert len(got) == 1 and got[0] != theirs
    (said,) = alerts_of(world, "voucher_not_held")
    assert "is held by another device" in said and theirs not in said


def test_a_voucher_the_till_could_not_show_goes_to_the_members_phone_by_sms(
    world: World,
) -> None:
    """The till held none of the pool (`voucher_later`): the server gives one when the
    redemption arrives and writes its SMS to the outbox, in the kiosk's language when it says."""
    setup(world)
    first = Till(world, world.device("s1", "A"))  # enrolled before the pool: it holds none
    loaded(world, 30)
    music = serials(world, 3)
    events = [
        first.redeem(music[0], context={"member": "+919876543210", "lang": "hi"}),
        first.redeem(music[1], context={"member": "card-4411"}),  # a card: nowhere to text
        first.redeem(music[2]),
    ]
    assert first.push(events) == ["accepted"] * 3
    assert first.push(events) == ["accepted"] * 3  # a retry writes nothing twice
    with world.engine.connect() as conn:
        sent = conn.execute(select(outbox.c.to, outbox.c.kind, outbox.c.lang, outbox.c.body)).all()
        given = conn.execute(
            select(vouchers.c.voucher).where(vouchers.c.event_id == events[0]["event_id"])
        ).scalar_one()
    assert [(r.to, r.kind, r.lang) for r in sent] == [("+919876543210", "voucher", "hi")]
    assert given in sent[0].body


# -- revoked devices and low pools -----------------------------------------------------------


def test_revoking_a_device_withdraws_its_slice_for_good(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    setup(world)
    loaded(world, 30)
    thief = Till(world, world.device("s1", "Till 1"))
    slice_ = thief.held()
    code, out = admin(world, capsys, "device", "revoke", thief.client.device_id)
    assert code == 0 and "; 5 vouchers it held withdrawn" in out
    assert {states(world)[v][0] for v in slice_} == {"withdrawn"}
    (said,) = alerts_of(world, "revoked")
    assert said.endswith(", 5 vouchers it held withdrawn")
    honest = Till(world, world.device("s2", "Till 2"))
    everything = honest.held() + [give(world, f"web-{n}") for n in range(30)]
    assert not set(slice_) & set(everything)


def test_a_low_pool_raises_one_alert_per_crossing_and_one_when_empty(world: World) -> None:
    setup(world)
    loaded(world, 30)  # low below 20 free
    for n in range(10):
        give(world, f"web-{n}")
    assert alerts_of(world, "voucher_pool_low") == []
    for n in range(10, 25):
        give(world, f"web-{n}")
    (low,) = alerts_of(world, "voucher_pool_low")
    assert f"voucher pool music of campaign {world.campaign.id}" in low
    assert "19 of 30 vouchers free" in low
    for n in range(25, 32):
        give(world, f"web-{n}")
    assert len(alerts_of(world, "voucher_pool_empty")) == 1
    assert give(world, "web-late") is None
    assert len(alerts_of(world, "voucher_pool_empty")) == 1
    loaded(world, 100, start=100)  # a new load: the pool may run low again, and says so once
    for n in range(80):
        give(world, f"more-{n}")
    assert len(alerts_of(world, "voucher_pool_low")) == 1
    for n in range(80, 85):
        give(world, f"more-{n}")
    assert alerts_of(world, "voucher_pool_low")[1:] == [low.replace("19 of 30", "19 of 130")]


@pytest.mark.parametrize("server_url", ["sqlite"], indirect=True)
def test_devices_learn_the_shoppers_address_for_their_claim_links(world: World) -> None:
    setup(world)
    address = "https://play.example.com"
    transport = InProcess(SyncService(world.engine, ServerSettings(public_url=address)))
    made = enrollment.enroll_device(world.engine, "s1", "Kiosk 1")
    enrolled = SyncClient(transport).enroll(made["token"])
    assert enrolled.config.play_url == address
    kiosk = SyncClient(transport, enrolled.device_id, bytes.fromhex(enrolled.secret))
    config = kiosk.pull(0, 0).config
    assert config is not None and config.play_url == address
    assert world.device("s2", "Till 1").client.pull(0, 0).config.play_url == ""  # type: ignore[union-attr]


def test_two_tills_show_vouchers_from_their_slices_and_the_server_keeps_to_them(
    world: World,
) -> None:
    """End to end with real tills: the slice reaches the ledger at sync, each till shows a voucher
    at once while offline, and after the double redemption each keeps the one it showed."""
    setup(world)
    loaded(world, 30)
    first, second = world.device("s1", "Till A"), world.device("s2", "Till B")
    first.sync(), second.sync()  # the slices arrive
    code = world.code(serials(world, 1)[0])
    won = [till.terminal.redeem(code) for till in (first, second)]
    assert [w.status for w in won] == ["accepted_offline"] * 2
    shown = [w.voucher or "" for w in won]
    assert all(shown) and shown[0] != shown[1]
    first.sync(), second.sync()
    kept = states(world)
    assert [kept[v][:2] for v in shown] == [
        ("given", first.client.device_id), ("given", second.client.device_id)
    ]  # fmt: skip
    assert [kept[v][2] for v in shown] == [str(w.event_id) for w in won]
