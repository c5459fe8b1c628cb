"""The signed form of an event: one module for the device and the server, held to a written-out
vector and to the plain way of writing the same JSON."""

from __future__ import annotations

import hashlib
import hmac
import json

from hypothesis import given
from hypothesis import strategies as st

from codes.common import event_form

# One event and the bytes its device signs, written out: a change to the form breaks this test
# before it breaks every enrolled till.
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

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


def test_the_signed_form_is_the_vector() -> None:
    assert event_form.canonical(VECTOR_EVENT) == VECTOR_BYTES
    assert event_form.event_hash(VECTOR_EVENT) == hashlib.sha256(VECTOR_BYTES).hexdigest()


def _plain(event: dict[str, object]) -> bytes:
    """The same form the plain way: the chained fields through json.dumps, keys sorted."""
    chained = {name: event[name] for name in event_form.CHAINED_FIELDS}
    return json.dumps(chained, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@given(
    fields=st.lists(st.text() | st.none() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.booleans(),
                    min_size=6, max_size=6),
    payload=st.dictionaries(st.text(), _json, max_size=5),
    secret=st.binary(min_size=1, max_size=100),
)  # fmt: skip
def test_the_hand_made_form_equals_the_plain_one_for_any_event(
    fields: list[object], payload: dict[str, object], secret: bytes
) -> None:
    """A device writes text and whole numbers; anything else still gets the same bytes."""
    names = ("event_id", "device_id", "kind", "local_time", "prev_hash", "seq")
    event = {**dict(zip(names, fields, strict=True)), "payload": payload}
    plain = _plain(event)
    assert event_form.canonical(event) == plain
    key = event_form.DeviceKey(secret)
    payload_json = event_form.canonical_payload(payload)
    expected = (
        hashlib.sha256(plain).hexdigest(),
        hmac.new(secret, plain, hashlib.sha256).hexdigest(),
    )
    assert key.hash_and_mac(event, payload_json) == expected
    assert key.hash_and_mac(event, payload_json) == expected  # the keyed state is copied
    assert event_form.event_mac(secret, event) == expected[1]
    assert event_form.mac_matches(secret, event, expected[1])


def test_nan_is_refused_not_signed() -> None:
    event = {**VECTOR_EVENT, "payload": {"amount": float("nan")}}
    try:
        event_form.canonical(event)
    except ValueError:
        return
    raise AssertionError("a NaN payload was signed")
