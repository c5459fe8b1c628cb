"""A device's event chain: event ids, and the walk that finds the first broken link.

Every event a device writes names the hash of the one before it and is signed with the device's
secret, so an event changed, removed or made up on the device shows at the server. The signed
form itself lives in codes/common/event_form.py, which the server checks with too.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from codes.common.event_form import GENESIS, event_hash, mac_matches

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
