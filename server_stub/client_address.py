"""The address a request came from: the socket's, or what a proxy we trust says it forwarded.

Anyone can write X-Forwarded-For, so it is believed only from the proxies the server was told
to trust (`instore server --trusted-proxy`); then the address that proxy saw is the rightmost
entry not itself a trusted proxy (entries to its left are the client's own words). Nothing else
is read: no Forwarded header, no X-Real-IP.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable

from server_stub.settings import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> Address | None:
    """An address as a proxy writes it: 203.0.113.7, 2001:db8::1, or with a port
    (203.0.113.7:51234, [2001:db8::1]:51234), an IPv4 address in IPv6 form read as IPv4; None
    for anything else."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # a dual-stack socket shows an IPv4 client as ::ffff:a.b.c.d: the same client, one spelling
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return mapped or address


def _trusted(address: Address | None, trusted: Collection[Network]) -> bool:
    return address is not None and any(address in network for network in trusted)


def client_address(peer: str, forwarded_for: Iterable[str], trusted: Collection[Network]) -> str:
    """`peer` (the socket's address) unless it is a trusted proxy; then the address its
    X-Forwarded-For values (every header line, in order) name last that is not one of ours."""
    if not trusted or not _trusted(_address(peer), trusted):
        return peer  # as the socket spells it: address_key counts ::ffff:a.b.c.d as a.b.c.d
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    believed = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # not an address: stop at the last hop we believe
            return believed
        if not _trusted(address, trusted):
            return str(address)
        believed = str(address)
    return believed
