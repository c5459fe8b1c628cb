"""Conflict resolutions by two people: one proposes, a different one approves.

A resolution that moves a prize (`void_winner`, `recover`) is never one person's decision; a
helpdesk user may propose any resolution and approve none. `accept_loss` (both redemptions stand)
may be decided at once by someone who may approve. Both people and both times stay on the
proposal; the approved resolution goes through `conflicts.resolve` and its audit trail.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, insert, select, update

from server_stub.accounts.users import Viewer
from server_stub.database.schema import conflict_proposals
from server_stub.errors import ApiError, not_found
from server_stub.records import conflicts

TWO_PEOPLE = ("void_winner", "recover")


def visible_conflicts(
    engine: Engine, viewer: Viewer, state: str | None = "open", kind: str | None = None,
    store: str | None = None, conflict_id: int | None = None, limit: int = 1000,
    before: int | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The conflicts the viewer may see (narrowed in the query, before its limit), each with its
    proposals; `limit` of them, numbered below `before` when given."""
    found = conflicts.list_conflicts(
        engine, state, kind, store, limit, conflict_id=conflict_id, before=before,
        within_stores=None if viewer.sees_every_store else viewer.stores,
        within_campaigns=None if viewer.sees_every_campaign else viewer.campaigns,
        details_for=None if viewer.sees_every_store else viewer.stores,
    )  # fmt: skip
    by_conflict: dict[int, list[dict[str, Any]]] = {}
    if found:
        with engine.connect() as conn:
            for p in conn.execute(
                select(conflict_proposals)
                .where(conflict_proposals.c.conflict_id.in_([c["id"] for c in found]))
                .order_by(conflict_proposals.c.id)
            ):  # fmt: skip
                by_conflict.setdefault(p.conflict_id, []).append(dict(p._mapping))
    for c in found:
        c["proposals"] = by_conflict.get(c["id"], [])
        c["pending"] = next((p for p in c["proposals"] if p["decision"] is None), None)
    return found


def _conflict(engine: Engine, viewer: Viewer, conflict_id: int) -> dict[str, Any]:
    """The conflict, if the viewer may see it; another store's is 'not found', never 'forbidden'
    (which would say it exists)."""
    found = visible_conflicts(engine, viewer, state=None, conflict_id=conflict_id)
    if not found:
        raise not_found(f"conflict {conflict_id}")
    return found[0]


def propose(
    engine: Engine, viewer: Viewer, conflict_id: int, action: str, note: str
) -> dict[str, Any]:
    if action not in conflicts.ACTIONS:
        raise ApiError(422, "bad_action", f"action must be one of {', '.join(conflicts.ACTIONS)}")
    if not note.strip():
        raise ApiError(422, "bad_request", "say why, in a sentence")
    c = _conflict(engine, viewer, conflict_id)
    if c["state"] != "open":
        raise ApiError(409, "already_resolved", f"conflict {conflict_id} is resolved already")
    if c["pending"] is not None:
        raise ApiError(409, "already_proposed", f"conflict {conflict_id} awaits a decision already")
    if action == "accept_loss" and viewer.may_approve:  # nothing moves: one person may decide
        return conflicts.resolve(engine, conflict_id, action, viewer.username, note.strip())
    with engine.begin() as conn:
        proposal_id = conn.execute(
            insert(conflict_proposals).values(
                conflict_id=conflict_id, action=action, note=note.strip()[:1000],
                proposed_by=viewer.username, proposed_at=time.time(),
            ).returning(conflict_proposals.c.id)
        ).scalar_one()  # fmt: skip
    return {"proposal": proposal_id, "conflict": conflict_id, "action": action,
            "state": "awaiting approval"}  # fmt: skip


def decide(engine: Engine, viewer: Viewer, proposal_id: int, approve: bool) -> dict[str, Any]:
    """Approve (the resolution is carried out) or reject a proposal; never one's own."""
    if not viewer.may_approve:
        raise ApiError(403, "not_allowed", "your role may propose resolutions, not approve them")
    with engine.connect() as conn:
        p = conn.execute(
            select(conflict_proposals).where(conflict_proposals.c.id == proposal_id)
        ).first()
    if p is None:
        raise not_found(f"proposal {proposal_id}")
    _conflict(engine, viewer, p.conflict_id)  # another store's proposal: not found
    if p.decision is not None:
        raise ApiError(409, "already_decided", f"proposal {proposal_id} was {p.decision} already")
    if p.proposed_by == viewer.username:
        raise ApiError(403, "own_proposal", "a second person must approve what you proposed")
    now = time.time()
    with engine.begin() as conn:
        decided = conn.execute(
            update(conflict_proposals)
            .where(conflict_proposals.c.id == proposal_id, conflict_proposals.c.decision.is_(None))
            .values(decision="approved" if approve else "rejected", decided_by=viewer.username,
                    decided_at=now)
        ).rowcount  # fmt: skip
    if not decided:  # someone else decided in the meantime
        raise ApiError(409, "already_decided", f"proposal {proposal_id} was decided already")
    if not approve:
        return {"proposal": proposal_id, "decision": "rejected"}
    by = f"{p.proposed_by} (proposed), {viewer.username} (approved)"
    return conflicts.resolve(engine, p.conflict_id, p.action, by, p.note) | {
        "proposal": proposal_id
    }
