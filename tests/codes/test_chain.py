"""Event ids and chains shared by terminals and the server."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

from hypothesis import given
from hypothesis import strategies as st

from codes import chain


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


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(
    texts=st.lists(st.text(), min_size=5, max_size=5),
    seq=st.integers(1, 2**62),
    payload=st.dictionaries(st.text(), _json, max_size=5),
)
def test_the_canonical_form_is_one_sorted_compact_json_of_the_chained_fields(
    texts: list[str], seq: int, payload: dict[str, object]
) -> None:
    event_id, device_id, kind, local_time, prev_hash = texts
    event = {"event_id": event_id, "device_id": device_id, "seq": seq, "kind": kind,
             "payload": payload, "local_time": local_time, "prev_hash": prev_hash,
             "mac": "not chained"}  # fmt: skip
    whole = {name: event[name] for name in chain.CHAINED_FIELDS}
    expected = json.dumps(whole, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert chain.canonical(event) == expected.encode()
    assert chain.canonical(event, chain.canonical_payload(payload)) == expected.encode()


@given(
    fields=st.lists(st.text() | st.none() | st.integers() | st.floats(allow_nan=False) | st.booleans(),
                    min_size=6, max_size=6),
    payload=st.dictionaries(st.text(), _json, max_size=3),
)  # fmt: skip
def test_fields_of_any_json_kind_are_written_as_json_writes_them(
    fields: list[object], payload: dict[str, object]
) -> None:
    """A device writes text and whole numbers; anything else still gets one exact form."""
    names = ("event_id", "device_id", "kind", "local_time", "prev_hash", "seq")
    event = {**dict(zip(names, fields, strict=True)), "payload": payload}
    whole = {name: event[name] for name in chain.CHAINED_FIELDS}
    expected = json.dumps(whole, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert chain.canonical(event) == expected.encode()


@given(st.binary(min_size=1, max_size=100), st.binary(max_size=2000))
def test_a_device_key_macs_exactly_as_hmac_sha256(secret: bytes, body: bytes) -> None:
    key = chain.DeviceKey(secret)
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    assert key.mac(body) == expected
    assert key.mac(body) == expected  # the key's states are copied, never used up
