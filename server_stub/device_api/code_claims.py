"""Who holds a code: the claims table, one winner per (campaign, serial), the first committed.

Shared by a push's redemptions (ingest) and the online claim a till makes before it confirms
(service.SyncService.claim).
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, update

from server_stub.database import bulk
from server_stub.database.schema import claims, events


class Owner(NamedTuple):
    """Who holds a code: a claims row."""

    campaign: str
    serial: int
    event_id: str
    device_id: str
    store_id: str
    claimed_at: float


def claim_codes(
    conn: Connection, device_id: str, store_id: str, now: float,
    wanted: list[tuple[str, int, str]],
) -> dict[tuple[str, int], Owner]:  # fmt: skip
    """Claim (campaign, serial) for event ids; the owner row of each code, whoever won.

    The first claim committed wins; keys go in sorted order so concurrent claimers queue rather
    than deadlock. An owner with this call's `now` and event id was claimed just now.
    """
    first: dict[tuple[str, int], str] = {}
    for campaign, serial, event_id in wanted:
        first.setdefault((campaign, serial), event_id)
    keys = sorted(first)
    inserted = bulk.insert_missing(
        conn, claims, ("campaign", "serial", "event_id"), [(c, s, first[(c, s)]) for c, s in keys],
        {"device_id": device_id, "store_id": store_id, "claimed_at": now},
    )  # fmt: skip
    if inserted == len(keys):  # the usual push: every code new, every owner this call's row
        return {(c, s): Owner(c, s, first[(c, s)], device_id, store_id, now) for c, s in keys}
    owners: dict[tuple[str, int], Owner] = {}
    for campaign in sorted({c for c, _ in keys}):  # per campaign: the primary key's index
        serials = [s for c, s in keys if c == campaign]
        for r in bulk.rows_where_in(conn, claims, {"campaign": campaign}, "serial", serials):
            owners[(r.campaign, r.serial)] = Owner(
                r.campaign, r.serial, r.event_id, r.device_id, r.store_id, r.claimed_at
            )
    _take_over_unsaved(conn, device_id, first, owners, {e for _, _, e in wanted})
    return owners


def _take_over_unsaved(
    conn: Connection, device_id: str, first: dict[tuple[str, int], str],
    owners: dict[tuple[str, int], Owner], asking: set[str],
) -> None:  # fmt: skip
    """A device asking again for a code it holds under an event the server never received:
    that event was never saved (a crash or a full ledger between the claim and the write; a
    saved one would have stopped the device asking), so the claim moves to the new event
    instead of setting the device against itself. A received event keeps its claim."""
    mine = {
        key: owner for key, owner in owners.items()
        if owner.device_id == device_id and owner.event_id not in asking
    }  # fmt: skip
    if not mine:
        return
    received = {
        r.event_id
        for r in bulk.rows_where_in(
            conn, events, {}, "event_id", [o.event_id for o in mine.values()], ("event_id",)
        )
    }
    for (campaign, serial), owner in mine.items():
        if owner.event_id in received:
            continue
        owners[(campaign, serial)] = move_claim(conn, owner, first[(campaign, serial)])


def move_claim(conn: Connection, owner: Owner, event_id: str) -> Owner:
    """The claim `owner` passes to another event of the same device. The owner stays as it was
    if the claim moved elsewhere in the meantime (the helpdesk, say)."""
    moved = conn.execute(
        update(claims)
        .where(claims.c.campaign == owner.campaign, claims.c.serial == owner.serial,
               claims.c.event_id == owner.event_id)
        .values(event_id=event_id)
    ).rowcount  # fmt: skip
    holder = event_id if moved else owner.event_id
    return Owner(
        owner.campaign, owner.serial, holder, owner.device_id, owner.store_id, owner.claimed_at
    )
