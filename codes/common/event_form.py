"""The signed form of a device's event: the exact bytes its hash and MAC are taken over.

The terminal writes it (terminal/ledger.py through terminal/chain.py) and the server checks it
(server_stub/device_api/push_reading.py, chain_check.py): both import this one module, so they
cannot drift apart. The form is the chained fields as compact JSON with sorted keys; it is
assembled by hand around a payload encoded once, so the server signs and stores the same text,
and a property test holds it equal to `json.dumps(..., sort_keys=True)`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64  # prev_hash of a device's first event
CHAINED_FIELDS = ("event_id", "device_id", "seq", "kind", "payload", "local_time", "prev_hash")

# NaN and Infinity are not JSON: an event holding one is refused (ValueError), never signed
_dump = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def canonical_payload(payload: Mapping[str, Any]) -> str:
    """The payload as it appears inside the signed form (the server stores it so, too)."""
    return _dump(payload)


def signed_form(event: Mapping[str, Any], payload_json: str) -> bytes:
    """The chained fields, in sorted order by hand, around a payload already encoded."""
    device_id, event_id, kind, local_time, prev_hash, seq = map(
        _dump, (event["device_id"], event["event_id"], event["kind"], event["local_time"],
                event["prev_hash"], event["seq"]),
    )  # fmt: skip
    return (
        f'{{"device_id":{device_id},"event_id":{event_id},"kind":{kind},'
        f'"local_time":{local_time},"payload":{payload_json},"prev_hash":{prev_hash},"seq":{seq}}}'
    ).encode()


def canonical(event: Mapping[str, Any]) -> bytes:
    """The exact bytes hashed and signed for an event whose payload is still a mapping."""
    return signed_form(event, canonical_payload(event["payload"]))


def event_hash(event: Mapping[str, Any]) -> str:
    """The hash of an event, which its successor names as `prev_hash`."""
    return hashlib.sha256(canonical(event)).hexdigest()


def event_mac(secret: bytes, event: Mapping[str, Any]) -> str:
    return hmac.new(secret, canonical(event), hashlib.sha256).hexdigest()


def mac_matches(secret: bytes, event: Mapping[str, Any], mac: str) -> bool:
    return hmac.compare_digest(str(mac), event_mac(secret, event))


class DeviceKey:
    """HMAC-SHA256 under one device's secret, keyed once for all the events of a push."""

    def __init__(self, secret: bytes) -> None:
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)

    def hash_and_mac(self, event: Mapping[str, Any], payload_json: str) -> tuple[str, str]:
        """The event's hash and its MAC, from one encoding of its signed form (a lone surrogate
        in its text raises UnicodeEncodeError)."""
        body = signed_form(event, payload_json)
        mac = self._keyed.copy()
        mac.update(body)
        return hashlib.sha256(body).hexdigest(), mac.hexdigest()
