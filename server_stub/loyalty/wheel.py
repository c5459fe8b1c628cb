"""The bonus wheel at the server: a campaign's wheel set up with a fresh seed it commits to,
slices of its sequence handed to devices at sync, the seed revealed at the campaign's end (or
when an admin stops the wheel), and every recorded spin checked against it.

The server draws every outcome (wheel_draw.outcome_at); devices only hold the outcomes of their
own slices, never the seed, so a stolen device knows its slice and nothing more. Each index of
the sequence goes to one device, and each is used by one spin (wheel_spins' key), so the wheel
never gives more than its sequence holds, offline or not. How a pushed spin is judged:
device_api/wheel_spins.py. The design: docs/wheel.md.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from server_stub.catalog.campaign_setup import load_campaigns
from server_stub.catalog.device_config import bump_config_version
from server_stub.database.connection import is_sqlite, writing
from server_stub.database.schema import events
from server_stub.database.wheel_tables import wheel_slices, wheel_spins, wheels
from server_stub.errors import ApiError, not_found
from server_stub.loyalty.wheel_draw import (
    SEED_BYTES,
    Outcome,
    commitment,
    counts,
    outcome_at,
    parse_outcomes,
    spec,
)
from sync.protocol import WheelConfig, WheelGrant, WheelOutcome

SLICE = 20  # unused outcomes of each open wheel a device holds to spin offline
DEFAULT_SIZE = 10_000
MAX_SIZE = 1_000_000
MAX_PER_DAY = 100


@dataclass(frozen=True)
class Wheel:
    campaign: str
    outcomes: list[Outcome]
    per_day: int
    seed: bytes
    commitment: str
    size: int
    next_index: int
    revealed: float | None
    ends_at: float | None  # the campaign's end, when it has one

    @property
    def open(self) -> bool:
        return self.revealed is None

    def outcome(self, label: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.label == label), None)

    def config(self) -> WheelConfig:
        return WheelConfig(
            campaign=self.campaign, per_day=self.per_day, commitment=self.commitment,
            open=self.open,
            outcomes=[WheelOutcome(label=o.label, weight=o.weight, points=o.points, kind=o.kind)
                      for o in self.outcomes],
        )  # fmt: skip


# -- setting up ------------------------------------------------------------------------------


def set_wheel(
    engine: Engine, campaign: str, outcomes_text: str, per_day: int = 1,
    size: int = DEFAULT_SIZE, now: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Set up (or, before any device holds a slice of it, set again) the campaign's wheel with a
    fresh seed; answers its commitment and the sequence's exact outcome counts (its budget)."""
    outcomes = parse_outcomes(outcomes_text)
    if not 1 <= per_day <= MAX_PER_DAY:
        raise ApiError(422, "bad_per_day", f"spins per member per day: 1 to {MAX_PER_DAY}")
    if not 1 <= size <= MAX_SIZE:
        raise ApiError(422, "bad_size", f"the sequence holds 1 to {MAX_SIZE:,} spins")
    now = time.time() if now is None else now
    seed = secrets.token_bytes(SEED_BYTES)
    row = {"outcomes": spec(outcomes), "per_day": per_day, "seed": seed.hex(),
           "commitment": commitment(seed), "size": size, "next_index": 0, "created": now,
           "revealed": None}  # fmt: skip
    with writing(engine) as conn:
        _known_campaign(conn, campaign)
        held = conn.execute(select(wheels.c.next_index).where(wheels.c.campaign == campaign))
        before = held.scalar()
        if before is not None and before > 0:
            raise ApiError(
                409, "wheel_in_use",
                f"the wheel of {campaign} has handed out {before:,} spins to devices already;"
                " its outcomes stay as committed (stop it with 'instore admin wheel reveal')",
            )  # fmt: skip
        if before is None:
            conn.execute(wheels.insert().values(campaign=campaign, **row))
        else:
            conn.execute(update(wheels).where(wheels.c.campaign == campaign).values(**row))
        bump_config_version(conn)  # devices pull again at once
    return {
        "campaign": campaign, "commitment": row["commitment"], "per_day": per_day, "size": size,
        "outcomes": [{"label": o.label, "weight": o.weight, "points": o.points, "kind": o.kind}
                     for o in outcomes],
        "budget": counts(seed, 0, size, outcomes),
    }  # fmt: skip


def _known_campaign(conn: Connection, campaign: str) -> float | None:
    """The campaign's end (None: open-ended), or refuse an unknown campaign."""
    found = {c.id: c for c, _ in load_campaigns(conn)}
    if campaign not in found:
        known = ", ".join(sorted(found)) or "none yet"
        raise not_found(f"campaign {campaign} (the campaigns here: {known})")
    ends = found[campaign].ends_at
    return None if ends is None else ends.timestamp()


# -- reading, and revealing at the campaign's end --------------------------------------------


def wheel_of(conn: Connection, campaign: str, now: float | None = None) -> Wheel | None:
    return next((w for w in all_wheels(conn, now) if w.campaign == campaign), None)


def all_wheels(conn: Connection, now: float | None = None) -> list[Wheel]:
    """Every wheel; one whose campaign has ended is revealed now (it ends with its campaign)."""
    now = time.time() if now is None else now
    rows = conn.execute(select(wheels).order_by(wheels.c.campaign)).all()
    if not rows:
        return []
    ends = {c.id: c.ends_at.timestamp() if c.ends_at else None for c, _ in load_campaigns(conn)}
    found = []
    for r in rows:
        end = ends.get(r.campaign)
        revealed = r.revealed
        if revealed is None and end is not None and end <= now:
            revealed = end
            conn.execute(
                update(wheels).where(wheels.c.campaign == r.campaign, wheels.c.revealed.is_(None))
                .values(revealed=end)
            )  # fmt: skip
        found.append(Wheel(
            r.campaign, parse_outcomes(r.outcomes), int(r.per_day), bytes.fromhex(r.seed),
            r.commitment, int(r.size), int(r.next_index), revealed, end,
        ))  # fmt: skip
    return found


def _wheel(conn: Connection, campaign: str) -> Wheel:
    found = wheel_of(conn, campaign)
    if found is None:
        raise not_found(f"wheel for campaign {campaign} (set one: instore admin wheel set)")
    return found


def published(engine: Engine, campaign: str) -> dict[str, Any]:
    """The commitment anyone may hold the server to: SHA-256 of the seed, before any spin."""
    with writing(engine) as conn:
        w = _wheel(conn, campaign)
    return {"campaign": campaign, "commitment": w.commitment, "open": w.open,
            "outcomes": spec(w.outcomes), "per_day": w.per_day, "size": w.size}  # fmt: skip


def reveal(engine: Engine, campaign: str, now: float | None = None) -> dict[str, Any]:
    """The seed, published: the wheel ends now (no device spins after it) if it had not."""
    now = time.time() if now is None else now
    with writing(engine) as conn:
        w = _wheel(conn, campaign)
        if w.open:
            conn.execute(
                update(wheels).where(wheels.c.campaign == campaign, wheels.c.revealed.is_(None))
                .values(revealed=now)
            )  # fmt: skip
            bump_config_version(conn)
        revealed = w.revealed or now
    return {"campaign": campaign, "commitment": w.commitment, "seed": w.seed.hex(),
            "revealed": revealed}  # fmt: skip


def verify(engine: Engine, campaign: str) -> dict[str, Any]:
    """Every recorded spin against the revealed seed: its index drawn the outcome it recorded
    (the spin's row and its event as the device signed it), and the seed matches the
    commitment. Refused before the seed is revealed."""
    with writing(engine) as conn:
        w = _wheel(conn, campaign)
        if w.open:
            raise ApiError(
                409, "not_revealed",
                f"the seed of {campaign}'s wheel is not revealed yet; it is at the campaign's"
                " end, or stop the wheel now with 'instore admin wheel reveal'",
            )  # fmt: skip
        rows = conn.execute(
            select(wheel_spins.c.idx, wheel_spins.c.outcome, wheel_spins.c.event_id,
                   wheel_spins.c.device_id, events.c.payload)
            .select_from(wheel_spins.outerjoin(events, events.c.event_id == wheel_spins.c.event_id))
            .where(wheel_spins.c.campaign == campaign).order_by(wheel_spins.c.idx)
        ).all()  # fmt: skip
    problems: list[dict[str, Any]] = []
    if commitment(w.seed) != w.commitment:
        problems.append({"problem": "the seed does not hash to the commitment"})
    for r in rows:
        drawn = outcome_at(w.seed, int(r.idx), w.outcomes).label
        signed = json.loads(r.payload).get("outcome") if r.payload else None
        if r.outcome != drawn or signed != drawn:
            problems.append({"index": int(r.idx), "event_id": r.event_id, "device": r.device_id,
                             "recorded": r.outcome, "signed": signed, "drawn": drawn})  # fmt: skip
    return {"campaign": campaign, "commitment": w.commitment, "seed": w.seed.hex(),
            "spins": len(rows), "ok": not problems, "problems": problems}  # fmt: skip


# -- slices ----------------------------------------------------------------------------------


def slices_for(
    conn: Connection, device_id: str, now: float
) -> tuple[list[WheelConfig], list[WheelGrant]]:
    """Every wheel, and each open wheel's unused outcomes this device holds, topped up to SLICE
    from the sequence's next free indexes first (inside the pull's write transaction)."""
    found = all_wheels(conn, now)
    grants: list[WheelGrant] = []
    for w in found:
        if not w.open:
            continue  # revealed: nothing more to spin, what the device held is withdrawn
        held = unused(conn, w.campaign, device_id)
        short = SLICE - len(held)
        if short > 0:
            start, stop = _allocate(conn, w.campaign, short)
            if stop > start:
                conn.execute(wheel_slices.insert().values(
                    campaign=w.campaign, device_id=device_id, start=start, stop=stop, granted=now
                ))  # fmt: skip
                held += range(start, stop)
        grants += [
            WheelGrant(campaign=w.campaign, index=i, outcome=outcome_at(w.seed, i, w.outcomes).label)
            for i in held
        ]  # fmt: skip
    return [w.config() for w in found], grants


def _allocate(conn: Connection, campaign: str, wanted: int) -> tuple[int, int]:
    """The next `wanted` free indexes of the sequence (fewer at its end): start, stop. The row
    is locked on PostgreSQL, so two devices pulling at once get different ranges."""
    query = select(wheels.c.next_index, wheels.c.size).where(wheels.c.campaign == campaign)
    if not is_sqlite(conn):
        query = query.with_for_update()
    row = conn.execute(query).one()
    start = int(row.next_index)
    stop = min(int(row.size), start + wanted)
    if stop > start:
        conn.execute(update(wheels).where(wheels.c.campaign == campaign).values(next_index=stop))
    return start, stop


def unused(conn: Connection, campaign: str, device_id: str) -> list[int]:
    """The indexes of the device's slices that no recorded spin used, in order."""
    ranges = conn.execute(
        select(wheel_slices.c.start, wheel_slices.c.stop).where(
            wheel_slices.c.device_id == device_id, wheel_slices.c.campaign == campaign
        ).order_by(wheel_slices.c.start)
    ).all()  # fmt: skip
    if not ranges:
        return []
    used = set(
        conn.execute(
            select(wheel_spins.c.idx).where(
                wheel_spins.c.campaign == campaign, wheel_spins.c.device_id == device_id
            )
        ).scalars()
    )
    return [i for r in ranges for i in range(int(r.start), int(r.stop)) if i not in used]


def holder(conn: Connection, campaign: str, index: int) -> str | None:
    """The device whose slice holds the index, or None."""
    return conn.execute(
        select(wheel_slices.c.device_id).where(
            wheel_slices.c.campaign == campaign, wheel_slices.c.start <= index,
            wheel_slices.c.stop > index,
        )
    ).scalar()  # fmt: skip


def spins_of(conn: Connection, campaign: str) -> dict[str, int]:
    """How many spins gave each outcome so far."""
    rows = conn.execute(
        select(wheel_spins.c.outcome, func.count()).where(wheel_spins.c.campaign == campaign)
        .group_by(wheel_spins.c.outcome)
    )  # fmt: skip
    return {label: int(n) for label, n in rows}
