"""A person erased from the events devices signed (`person_erase.py` erases the rest): every
event naming one of their keys names the placeholder instead, in its `member` column, its reason
and its payload.

The payload is what the device signed: the server keeps its hash chain and checks it again when
a gap in the chain closes. An event past the verified part of its device's chain therefore keeps
its payload until the gap closes (a changed payload would be reported as tampering); its
`member` column and reason (not signed) are replaced at once, and erasing the same person again
later finishes it (`waiting`). An event the server made itself (the web's) has no chain to wait
for.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select, update

from server_stub.database.schema import WEB_DEVICE, devices, events
from server_stub.prizes import person_member


def erase(conn: Connection, keys: list[str], placeholder: str) -> tuple[int, int]:
    """(events changed, of which payloads still wait for a gap in their chain). The member
    column and the reason (not signed) name the placeholder at once; the payload where it may.
    The events of an earlier erasure that waited are found by the placeholder, and finished when
    they may: the keys their payload names are read from it (a card a first erasure knew)."""
    e, dv = events.c, devices.c
    rows = conn.execute(
        select(e.event_id, e.device_id, e.seq, e.member, e.payload, e.reason, dv.chain_seq)
        .select_from(events.outerjoin(devices, dv.id == e.device_id))
        .where(e.member.in_([*keys, placeholder]))
    ).all()  # fmt: skip
    changed = waiting = 0
    for row in rows:
        values: dict[str, Any] = {"member": placeholder} if row.member != placeholder else {}
        named = sorted({*keys, *_payload_members(row.payload)} - {placeholder}, key=len,
                       reverse=True)  # fmt: skip
        reason = person_member.replaced(row.reason or "", named, placeholder)
        if reason != (row.reason or ""):
            values["reason"] = reason
        quoted = [json.dumps(k) for k in named if json.dumps(k) in row.payload]
        if quoted:
            # a device's event past the verified part of its chain is hashed again when the gap
            # before it closes: its payload stays as signed until then
            verified = row.device_id == WEB_DEVICE or (
                row.chain_seq is not None and row.seq <= row.chain_seq
            )
            if verified:
                payload = row.payload
                for q in quoted:
                    payload = payload.replace(q, json.dumps(placeholder))
                values["payload"] = payload
            else:
                waiting += 1
        if values:
            conn.execute(update(events).where(e.event_id == row.event_id).values(values))
            changed += 1
    return changed, waiting


def _payload_members(payload: str) -> set[str]:
    """The member keys an event's payload names: its own `member` and its context's."""
    try:
        data = json.loads(payload)
    except ValueError:
        return set()
    if not isinstance(data, dict):
        return set()
    context = data.get("context")
    found = {data.get("member"), context.get("member") if isinstance(context, dict) else None}
    return {k for k in found if isinstance(k, str) and k}
