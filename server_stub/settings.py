"""The central server's settings: limits that bound what one device, stolen or broken, can do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerSettings:
    # An enrollment token not exchanged within this long has expired.
    token_lifetime_s: float = 24 * 3600
    # Online claims per device per minute: a till scans a few a minute, a thief thousands.
    claims_per_minute: int = 60
    # After this many forged codes from one device, its online claims are held until an admin
    # looks (`instore admin device review ID`).
    forged_before_hold: int = 3
