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
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

GENESIS = "0" * 64  # prev_hash of a device's first event
CHAINED_FIELDS = ("event_id", "device_id", "seq", "kind", "payload", "local_time", "prev_hash")


def uuid7() -> str:
    """A time-ordered UUID (version 7): 48-bit Unix milliseconds, then 74 random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | rand & ((1 << 80) - 1)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def canonical(event: Mapping[str, Any]) -> bytes:
    """The exact bytes hashed and signed: chained fields only, sorted keys, no spaces."""
    body = {name: event[name] for name in CHAINED_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def event_mac(secret: bytes, event: Mapping[str, Any]) -> str:
    return hmac.new(secret, canonical(event), hashlib.sha256).hexdigest()


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
        if not hmac.compare_digest(str(event["mac"]), event_mac(secret, event)):
            return seq, f"event {seq} was altered after it was written (signature mismatch)"
        prev = event_hash(event)
        expected_seq += 1
    return None
