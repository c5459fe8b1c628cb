"""The device's hash chain, as far as the server has it: advanced with each push, and every gap,
break or altered event named in an alert (and stored all the same: nothing is lost)."""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from codes.common import event_form
from server_stub.database.schema import events
from server_stub.device_api.push_state import Push


def check_chain(conn: Connection, state: Push) -> None:
    """Advance the verified part of the device's chain; name gaps and breaks, store regardless."""
    device = state.device
    had_gap = device.max_seq > device.chain_seq
    pending = [(i.event["seq"], i.event["prev_hash"], i.hash) for i in state.incoming]
    if had_gap:  # events stored beyond a gap: walk them too, the gap may just have closed
        for r in conn.execute(
            select(events).where(events.c.device_id == device.id, events.c.seq > device.chain_seq)
        ):
            signed = {**dict(r._mapping), "payload": json.loads(r.payload)}
            pending.append((int(r.seq), r.prev_hash, event_form.event_hash(signed)))
        pending.sort()
    for seq, prev_hash, event_hash in pending:
        if seq > device.chain_seq + 1:
            break
        if prev_hash != device.chain_hash:
            device.chain_ok = False
            state.alert(
                "chain_break",
                f"{device.name}: event {seq} does not follow event {seq - 1}: changed or removed on the device",
            )
        device.chain_seq, device.chain_hash = seq, event_hash
    top = max([device.max_seq, *(s for s, _, _ in pending)])
    if top > device.chain_seq and not had_gap:
        device.chain_ok = False
        state.alert(
            "chain_gap",
            f"{device.name}: events {device.chain_seq + 1} to {top} arrived with some missing before them",
        )
    device.max_seq = top
    for item in state.incoming:
        if item.reason.startswith("altered"):
            device.chain_ok = False
            state.alert(
                "chain_altered",
                f"{device.name}: event {item.event['seq']} was altered after it was signed",
            )


# -- redemptions ----------------------------------------------------------------------------
