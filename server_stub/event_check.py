"""The server's side of the event chain: the bytes a device signed, their hash and their MAC.

The device writes them (terminal/chain.py); the server may not import the terminal, so it
writes the same form here, and the tests hold both to one vector. The payload is encoded once:
the same text is signed and stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64  # prev_hash of a device's first event

# NaN and Infinity are not JSON: an event holding one is refused (ValueError), not stored
_dump = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def canonical_payload(payload: Mapping[str, Any]) -> str:
    """The payload as it appears inside the signed form (the server stores it so, too)."""
    return _dump(payload)


def canonical(event: Mapping[str, Any], payload_json: str) -> bytes:
    """One sorted compact JSON of the chained fields, with the payload already encoded; the
    fields are in sorted order by hand."""
    device_id, event_id, kind, local_time, prev_hash, seq = map(
        _dump, (event["device_id"], event["event_id"], event["kind"], event["local_time"],
                event["prev_hash"], event["seq"]),
    )  # fmt: skip
    return (
        f'{{"device_id":{device_id},"event_id":{event_id},"kind":{kind},'
        f'"local_time":{local_time},"payload":{payload_json},"prev_hash":{prev_hash},"seq":{seq}}}'
    ).encode()


def event_hash(event: Mapping[str, Any]) -> str:
    """The hash of a stored event (its payload as a JSON object), which its successor names."""
    return hashlib.sha256(canonical(event, canonical_payload(event["payload"]))).hexdigest()


class DeviceKey:
    """HMAC-SHA256 under one device's secret, keyed once for all the events of a push."""

    def __init__(self, secret: bytes) -> None:
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)

    def hash_and_mac(self, event: Mapping[str, Any], payload_json: str) -> tuple[str, str]:
        """The event's hash and its MAC, from one encoding of its signed form (a lone surrogate
        in its text raises UnicodeEncodeError)."""
        body = canonical(event, payload_json)
        mac = self._keyed.copy()
        mac.update(body)
        return hashlib.sha256(body).hexdigest(), mac.hexdigest()
