"""The link a device's QR carries for a prize to be claimed: the code, the event id of the
redemption, the device, and a short MAC under the device's secret.

The kiosk's result screen and the till's receipt show it for a `claim` win; the shopper's web
(`/play/claim`) checks the MAC with the secret the server holds for that device, so the claim
joins that very redemption, even before the device has synced, and nobody can join a code to an
event id of their own making. Terminal and server both import this one module.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import NamedTuple
from urllib.parse import urlencode

PATH = "/play/claim"
MAC_LENGTH = 20  # hex digits: 80 bits, short enough for a small QR


class ClaimLink(NamedTuple):
    code: str
    event_id: str
    device_id: str
    mac: str


def link_mac(secret: bytes, code: str, event_id: str, device_id: str) -> str:
    body = f"claim\n{code}\n{event_id}\n{device_id}".encode()
    return hmac.new(secret, body, hashlib.sha256).hexdigest()[:MAC_LENGTH]


def claim_url(base: str, secret: bytes, code: str, event_id: str, device_id: str) -> str:
    """The whole link: `base` is the server's address for shoppers (https://play.example.com)."""
    mac = link_mac(secret, code, event_id, device_id)
    query = urlencode({"code": code, "event": event_id, "device": device_id, "mac": mac})
    return f"{base.rstrip('/')}{PATH}?{query}"


def mac_matches(secret: bytes, link: ClaimLink) -> bool:
    expected = link_mac(secret, link.code, link.event_id, link.device_id)
    return hmac.compare_digest(expected.encode(), link.mac.encode("utf-8", "replace"))
