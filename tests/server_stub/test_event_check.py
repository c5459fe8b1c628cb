"""The server checks exactly the bytes a device signed."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from server_stub import event_check
from terminal import chain
from tests.terminal.test_chain import VECTOR_BYTES, VECTOR_EVENT

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


def test_the_server_reads_the_vector_as_the_device_wrote_it() -> None:
    payload = event_check.canonical_payload(VECTOR_EVENT["payload"])  # type: ignore[arg-type]
    assert event_check.canonical(VECTOR_EVENT, payload) == VECTOR_BYTES
    assert event_check.event_hash(VECTOR_EVENT) == hashlib.sha256(VECTOR_BYTES).hexdigest()


@given(
    fields=st.lists(st.text() | st.none() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.booleans(),
                    min_size=6, max_size=6),
    payload=st.dictionaries(st.text(), _json, max_size=5),
    secret=st.binary(min_size=1, max_size=100),
)  # fmt: skip
def test_any_event_is_hashed_and_signed_as_its_device_does(
    fields: list[object], payload: dict[str, object], secret: bytes
) -> None:
    """A device writes text and whole numbers; anything else still gets the device's form."""
    names = ("event_id", "device_id", "kind", "local_time", "prev_hash", "seq")
    event = {**dict(zip(names, fields, strict=True)), "payload": payload}
    key = event_check.DeviceKey(secret)
    payload_json = event_check.canonical_payload(payload)
    assert event_check.canonical(event, payload_json) == chain.canonical(event)
    expected = (chain.event_hash(event), chain.event_mac(secret, event))
    assert key.hash_and_mac(event, payload_json) == expected
    assert (
        key.hash_and_mac(event, payload_json) == expected
    )  # the keyed state is copied, not used up
