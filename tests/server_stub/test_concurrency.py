"""Many devices pushing the same codes at once: one winner each, no deadlock, nothing lost.

On PostgreSQL through row locks; on SQLite through several server processes queueing to write.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from codes.common import event_form
from server_stub.catalog import enrollment
from server_stub.database.schema import claims, conflicts, events
from sync.client import SyncClient
from sync.transport import HttpTransport, Transport
from terminal import chain
from tests.live import server_process
from tests.world import World

CODES = 10_000
PUSHERS = 8


def signed_redemptions(
    world: World, device_id: str, secret: bytes, serials: list[int]
) -> list[dict[str, Any]]:
    """What a device would push after redeeming these serials, signed and chained."""
    tier_idx, texts = world.cipher.encode_batch(np.array(serials, dtype=np.uint64))
    names = [t.name for t in world.campaign.tiers]
    out, prev = [], event_form.GENESIS
    for seq, (serial, tier, text) in enumerate(
        zip(serials, tier_idx.tolist(), texts, strict=True), 1
    ):
        event: dict[str, Any] = {
            "event_id": chain.uuid7(), "device_id": device_id, "seq": seq, "kind": "redeem",
            "payload": {"code": bytes(text).decode(), "campaign": world.campaign.id,
                        "serial": serial, "tier": names[tier], "value": 0.0},
            "local_time": "2026-11-22T10:00:00.000+00:00", "prev_hash": prev,
        }  # fmt: skip
        event["mac"] = event_form.event_mac(secret, event)
        prev = event_form.event_hash(event)
        del event["device_id"]
        out.append(event)
    return out


@pytest.mark.parametrize("server_url", ["postgres"], indirect=True)
def test_eight_pushers_with_overlapping_codes_get_exactly_one_winner_per_code(
    world: World,
) -> None:
    race(world, lambda: world.transport, PUSHERS, CODES)


@pytest.mark.parametrize("server_url", ["sqlite"], indirect=True)
def test_pushers_through_two_server_processes_on_one_sqlite_file(world: World) -> None:
    with server_process(world.url, workers=2) as url:
        race(world, lambda: HttpTransport(url), 4, 8_000)


def race(world: World, transport: Callable[[], Transport], pushers: int, codes: int) -> None:
    """Each pusher redeems a shuffled eighth of the codes (many codes at two tills or more)."""
    world.setup(stores=("s1", "s2"), issued=codes)
    rng = random.Random(7)
    batches: list[tuple[SyncClient, list[list[dict[str, Any]]]]] = []
    total = 0
    for n in range(pushers):
        made = enrollment.enroll_device(world.engine, f"s{n % 2 + 1}", f"Till {n}")
        line = transport()
        answer = SyncClient(line).enroll(made["token"])
        client = SyncClient(line, answer.device_id, bytes.fromhex(answer.secret))
        serials = rng.sample(range(codes), codes // 8)
        signed = signed_redemptions(world, answer.device_id, client.secret, serials)
        total += len(signed)
        batches.append((client, [signed[i : i + 500] for i in range(0, len(signed), 500)]))
    errors: list[BaseException] = []
    verdicts: list[str] = []
    lock = threading.Lock()

    def push(client: SyncClient, parts: list[list[dict[str, Any]]]) -> None:
        try:
            for part in parts:
                answer = client.push(part)
                with lock:
                    verdicts.extend(v.verdict for v in answer.verdicts)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=push, args=b) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors[:3]
    assert len(verdicts) == total
    with world.engine.connect() as conn:
        claimed = conn.execute(select(func.count()).select_from(claims)).scalar_one()
        stored = conn.execute(select(func.count()).select_from(events)).scalar_one()
        conflicted = conn.execute(select(func.count()).select_from(conflicts)).scalar_one()
        distinct = conn.execute(select(func.count(func.distinct(events.c.serial)))).scalar_one()
    assert stored == total
    assert claimed == distinct  # one winner per code that anyone redeemed
    assert verdicts.count("accepted") == claimed
    assert verdicts.count("conflict") == conflicted == total - claimed
