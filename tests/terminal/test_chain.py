"""A device's event ids and its chain."""

from __future__ import annotations

import uuid

from codes.common import event_form
from terminal import chain


def test_uuid7_is_version_7_unique_and_ordered() -> None:
    ids = [chain.uuid7() for _ in range(50_000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122


def _chain(secret: bytes, count: int) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    prev = event_form.GENESIS
    for seq in range(1, count + 1):
        event: dict[str, object] = {
            "event_id": chain.uuid7(), "device_id": "d1", "seq": seq, "kind": "redeem",
            "payload": {"serial": seq, "note": "café"}, "local_time": "2026-11-22T10:00:00+00:00",
            "prev_hash": prev,
        }  # fmt: skip
        event["mac"] = event_form.event_mac(secret, event)
        prev = event_form.event_hash(event)
        events.append(event)
    return events


def test_intact_chain_verifies() -> None:
    assert chain.first_break(_chain(b"k" * 32, 5), b"k" * 32) is None


def test_reordered_missing_and_forged_events_are_named() -> None:
    secret = b"k" * 32
    events = _chain(secret, 5)
    assert chain.first_break([events[0], events[2]], secret) == (
        3,
        "gap: expected event 2, found 3",
    )
    forged = [dict(e) for e in events]
    forged[1]["payload"] = {"serial": 999}
    broken = chain.first_break(forged, secret)
    assert broken is not None and broken[0] == 2 and "altered" in broken[1]
    assert chain.first_break(events, b"x" * 32) is not None  # another device's key
