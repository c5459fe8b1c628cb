"""Device event chains: ids, the canonical form, hashes and MACs.

Every in-store device signs its events into a hash chain; the server checks the same chain.
Both sides need exactly the same bytes, and the server may not import the terminal, so the
definition lives here, in the bottom layer both may use.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

GENESIS = "0" * 64  # prev_hash of a device's first event
CHAINED_FIELDS = ("event_id", "device_id", "seq", "kind", "payload", "local_time", "prev_hash")


_uuid_lock = threading.Lock()
_uuid_last = (0, 0)  # (milliseconds, 74-bit random-or-counter part) of the last id made


def uuid7() -> str:
    """A time-ordered UUID (version 7, RFC 9562): Unix milliseconds, then random bits.

    Within one millisecond (or if the clock steps back) the random part counts up, so ids made
    in one process always sort in the order they were made.
    """
    global _uuid_last
    millis = time.time_ns() // 1_000_000
    with _uuid_lock:
        rand = int.from_bytes(os.urandom(10), "big") >> 7  # 73 bits: room to count up
        if millis <= _uuid_last[0]:
            millis, rand = _uuid_last[0], _uuid_last[1] + 1
        _uuid_last = (millis, rand)
    value = (
        (millis & ((1 << 48) - 1)) << 80
        | 0x7 << 76  # version 7
        | (rand >> 62 & 0xFFF) << 64
        | 0x2 << 62  # RFC 4122 variant
        | rand & ((1 << 62) - 1)
    )
    return str(uuid.UUID(int=value))


_dump = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_quote: Any = json.encoder.encode_basestring  # what _dump does to a str


def _scalar(value: Any) -> str:
    """_dump for one field, quicker for the text and whole numbers that fields nearly always are."""
    kind = type(value)
    if kind is str:
        return str(_quote(value))
    if kind is int:
        return str(value)
    return _dump(value)


# The C encoder `_dump` builds on each call, built once: the same output, a third quicker (the
# server encodes every pushed payload). No circular-reference check: payloads are JSON data.
_c_encoder: Any = getattr(json.encoder, "c_make_encoder", None)  # None without C speedups
_dump_object: Any = (
    _c_encoder(None, json.JSONEncoder().default, _quote, None, ":", ",", True, False, True)
    if _c_encoder is not None
    else None
)


def canonical_payload(payload: Mapping[str, Any]) -> str:
    """The payload as it appears inside the canonical form (the server stores it so, too)."""
    if _dump_object is None or not isinstance(payload, dict):
        return _dump(payload)
    return "".join(_dump_object(payload, 0))


def canonical(event: Mapping[str, Any], payload_json: str | None = None) -> bytes:
    """The exact bytes hashed and signed: chained fields only, sorted keys, no spaces.

    The same as one sorted `json.dumps` of those fields, written out so that a caller that
    already has `canonical_payload(...)` does not encode the payload twice.
    """
    payload = canonical_payload(event["payload"]) if payload_json is None else payload_json
    texts = (event["device_id"], event["event_id"], event["kind"], event["local_time"],
             event["prev_hash"])  # fmt: skip
    try:  # every real event: text fields, quoted by the C function _dump uses
        device_id, event_id, kind, local_time, prev_hash = map(_quote, texts)
    except TypeError:  # some other JSON value
        device_id, event_id, kind, local_time, prev_hash = map(_scalar, texts)
    seq = event["seq"]
    seq_json = str(seq) if type(seq) is int else _scalar(seq)
    return (
        f'{{"device_id":{device_id},"event_id":{event_id},"kind":{kind},'
        f'"local_time":{local_time},"payload":{payload},"prev_hash":{prev_hash},"seq":{seq_json}}}'
    ).encode()


def event_hash(event: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def event_mac(secret: bytes, event: Mapping[str, Any]) -> str:
    return hmac.new(secret, canonical(event), hashlib.sha256).hexdigest()


class DeviceKey:
    """HMAC-SHA256 under one device's secret, for many events in a row (the server's check of a
    push): the padded key's hash states are made once and copied, which costs half of HMAC's
    set-up per event."""

    def __init__(self, secret: bytes) -> None:
        key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def mac(self, body: bytes) -> str:
        inner = self._inner.copy()
        inner.update(body)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def hash_and_mac(
        self, event: Mapping[str, Any], payload_json: str | None = None
    ) -> tuple[str, str]:
        """Both at once, from one canonical form."""
        body = canonical(event, payload_json)
        return hashlib.sha256(body).hexdigest(), self.mac(body)


def mac_matches(secret: bytes, event: Mapping[str, Any], mac: str) -> bool:
    return hmac.compare_digest(str(mac), event_mac(secret, event))


def first_break(
    events: Iterable[Mapping[str, Any]], secret: bytes, expected_seq: int = 1, prev: str = GENESIS
) -> tuple[int, str] | None:
    """(seq, what is wrong) for the first event that breaks the chain, or None when it holds.

    Events must come in seq order. Catches gaps, reordering, edits (hash) and forgeries (MAC).
    """
    for event in events:
        seq = int(event["seq"])
        if seq != expected_seq:
            return seq, f"gap: expected event {expected_seq}, found {seq}"
        if event["prev_hash"] != prev:
            return seq, f"event {seq} does not follow event {seq - 1} (changed or removed)"
        if not mac_matches(secret, event, event["mac"]):
            return seq, f"event {seq} was altered after it was written (signature mismatch)"
        prev = event_hash(event)
        expected_seq += 1
    return None
