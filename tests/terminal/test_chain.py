"""A device's event ids and its chain."""

from __future__ import annotations

import uuid

from terminal import chain


def test_uuid7_is_version_7_unique_and_ordered() -> None:
    ids = [chain.uuid7() for _ in range(50_000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122


def _chain(secret: bytes, count: int) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    prev = chain.GENESIS
    for seq in range(1, count + 1):
        event: dict[str, object] = {
            "event_id": chain.uuid7(), "device_id": "d1", "seq": seq, "kind": "redeem",
            "payload": {"serial": seq, "note": "café"}, "local_time": "2026-11-22T10:00:00+00:00",
            "prev_hash": prev,
        }  # fmt: skip
        event["mac"] = chain.event_mac(secret, event)
        prev = chain.event_hash(event)
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


# One event and the bytes its device signs, written out: the device and the server must agree on
# them byte for byte (tests/server_stub/test_event_check.py holds the server to the same).
VECTOR_EVENT = {
    "event_id": "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b", "device_id": "dev-1", "seq": 7,
    "kind": "redeem", "payload": {"serial": 12, "code": "ICE-5Q7M", "note": "café ✓", "z": [1.5, None]},
    "local_time": "2026-11-22T10:00:00+00:00", "prev_hash": "ab" * 32, "mac": "not chained",
}  # fmt: skip
VECTOR_BYTES = (
    '{"device_id":"dev-1","event_id":"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b","kind":"redeem",'
    '"local_time":"2026-11-22T10:00:00+00:00","payload":{"code":"ICE-5Q7M","note":"café ✓",'
    '"serial":12,"z":[1.5,null]},"prev_hash":"' + "ab" * 32 + '","seq":7}'
).encode()


def test_the_signed_form_is_the_chained_fields_as_sorted_compact_json() -> None:
    assert chain.canonical(VECTOR_EVENT) == VECTOR_BYTES
