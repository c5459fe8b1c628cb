"""The central server's settings: limits that bound what one device, stolen or broken, can do,
and whom the server believes about where a request came from."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# how `instore server --workers N` hands its worker processes the --trusted-proxy addresses
TRUSTED_PROXIES_VARIABLE = "INSTORE_TRUSTED_PROXIES"
# ... and the rest of its settings, one variable each
_VARIABLES = {
    "sms_gateway": "INSTORE_SMS_GATEWAY",
    "documents_dir": "INSTORE_DOCUMENTS_DIR",
    "public_url": "INSTORE_PUBLIC_URL",
    "demo_phone_dir": "INSTORE_DEMO_PHONE",
}


def proxy_network(text: str) -> Network:
    """An address (10.0.0.5, ::1) or a network (10.0.0.0/24) a proxy of ours sends from."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an address or a network (e.g. 10.0.0.5 or 10.0.0.0/24)"
        ) from None


@dataclass(frozen=True)
class ServerSettings:
    # An enrollment token not exchanged within this long has expired.
    token_lifetime_s: float = 24 * 3600
    # Online claims per device per minute: a till scans a few a minute, a thief thousands.
    claims_per_minute: int = 60
    # After this many forged codes from one device, its online claims are held until an admin
    # looks (`instore admin device review ID`).
    forged_before_hold: int = 3
    # Proxies whose X-Forwarded-For is believed (`instore server --trusted-proxy`). From any
    # other peer, the socket's address is the client's, whatever the headers say: anyone can
    # write the header, and a throttle keyed by it would be reset by each new value.
    trusted_proxies: frozenset[Network] = field(default_factory=frozenset)
    # Where SMS go (`instore server --sms-gateway URL`): file:///DIR writes one JSON file per
    # message, http(s)://... posts it to a gateway; "" sends none (see notifications/sms.py).
    sms_gateway: str = ""
    # Where prize claims' documents are kept: a folder no web server serves; "" keeps them in a
    # folder beside the database (see prizes/documents.py).
    documents_dir: str = ""
    # The address shoppers reach this server at (https://play.example.com), for the links in QR
    # codes and SMS; "" names paths only.
    public_url: str = ""
    # `instore demo`'s phone: a folder holding sms/ (the file gateway's) and mail/ (the demo's
    # SMTP server's), shown at /dashboard/demo-phone; "" (always, but in the demo) shows none
    demo_phone_dir: str = ""

    def to_environment(self) -> dict[str, str]:
        """What a worker process needs to make these settings again (see from_environment)."""
        return {
            TRUSTED_PROXIES_VARIABLE: ",".join(sorted(str(n) for n in self.trusted_proxies)),
            **{variable: getattr(self, name) for name, variable in _VARIABLES.items()},
        }

    @classmethod
    def from_environment(cls) -> ServerSettings:
        listed = os.environ.get(TRUSTED_PROXIES_VARIABLE, "")
        text = {name: os.environ.get(variable, "") for name, variable in _VARIABLES.items()}
        return cls(
            trusted_proxies=frozenset(proxy_network(t) for t in listed.split(",") if t),
            sms_gateway=text["sms_gateway"], documents_dir=text["documents_dir"],
            public_url=text["public_url"], demo_phone_dir=text["demo_phone_dir"],
        )  # fmt: skip
