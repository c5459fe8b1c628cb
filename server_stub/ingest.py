"""Taking in a device's pushed events: verdicts, claims, conflicts, balances, the chain check.

A push comes in two steps. `prepare` does the work that needs no database (validation, the
signature of every event, the cipher re-check) before any lock is taken, so several server
processes do it side by side; `push` is then one short transaction, and changes the prepared
events' verdicts (a push redone must be prepared again).

A retry of an event returns the verdict it got the first time, so a response lost on the way back
costs nothing. Claim keys and member rows are touched in sorted order, so concurrent pushes on
PostgreSQL wait for each other instead of deadlocking.
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from pydantic import ValidationError
from sqlalchemy import Connection, bindparam, delete, select, update

from codes import chain, layout
from server_stub import admin, bulk, earn_rules, feed
from server_stub.claim_guard import FORGED
from server_stub.database import insert_ignore, is_sqlite
from server_stub.errors import describe
from server_stub.recheck import LATE_WINDOW_S, Claimed, Rechecker
from server_stub.schema import alerts, balances, claims, conflicts, devices, events, member_stores
from sync import protocol
from sync.protocol import (
    EVENT_KINDS,
    EventVerdict,
    LoyaltyConfig,
    WireEvent,
    WireEventData,
    plain_text,
)

POINT_KINDS = ("accrue", "checkin", "spend")


class Signer(NamedTuple):
    """The pushing device, as far as checking its events needs to know it."""

    id: str
    store_id: str
    secret: bytes


@dataclass
class DeviceState:
    """A device as the server knows it, read at the start of its push (row locked)."""

    id: str
    store_id: str
    name: str
    secret: bytes
    max_seq: int
    chain_seq: int
    chain_hash: str
    chain_ok: bool


@dataclass
class Incoming:
    """One new event on its way in, and what the server decided about it."""

    event: WireEventData
    hash: str
    row: dict[str, Any]
    verdict: str = "accepted"
    reason: str = ""
    conflict_id: int | None = None
    claim_new: bool = False


@dataclass
class Prepared:
    """A push checked without the database: verdicts for malformed events, the rest in order."""

    device: Signer
    now: float
    rechecker: Rechecker  # the campaigns the events were checked against
    verdicts: dict[int, EventVerdict]  # by position in the request
    fresh: list[tuple[int, Incoming]]  # (position, event), each event id and seq once
    # Events past the device's last stored one are new unless another device used their id,
    # which storing them would reveal (bulk.KeyTaken); the push is then redone with this set.
    look_up_every_id: bool


@dataclass
class Push:
    device: DeviceState
    now: float
    incoming: list[Incoming] = field(default_factory=list)
    alerts: list[tuple[str, str]] = field(default_factory=list)
    conflicts: list[tuple[Incoming, dict[str, Any]]] = field(default_factory=list)


# Statements every push runs, built once (building one took as long as running it).
_DEVICE = select(devices).where(devices.c.id == bindparam("device_id"))
_DEVICE_LOCKED = _DEVICE.with_for_update()  # SQLite's BEGIN IMMEDIATE already serialises writers
_DEVICE_UPDATE = (
    update(devices)
    .where(devices.c.id == bindparam("device_id"))
    .values(
        max_seq=bindparam("max_seq"), chain_seq=bindparam("chain_seq"),
        chain_hash=bindparam("chain_hash"), chain_ok=bindparam("chain_ok"),
        last_seen=bindparam("last_seen"),
    )
)  # fmt: skip


def lock_device(conn: Connection, device_id: str) -> DeviceState:
    query = _DEVICE if is_sqlite(conn) else _DEVICE_LOCKED
    row = conn.execute(query, {"device_id": device_id}).one()
    return DeviceState(
        row.id, row.store_id, row.name, bytes.fromhex(row.secret), int(row.max_seq),
        int(row.chain_seq), row.chain_hash, bool(row.chain_ok),
    )  # fmt: skip


def prepare(
    device: Signer, raw_events: list[Any], rechecker: Rechecker, look_up_every_id: bool = False,
    checked: bool = False,
) -> Prepared:  # fmt: skip
    """Everything about a push that the database is not needed for.

    `checked`: the events were read as WireEventData already (see SyncService._parse_push);
    otherwise each is checked here, and a malformed one is rejected alone.
    """
    now = time.time()
    key = chain.DeviceKey(device.secret)
    verdicts: dict[int, EventVerdict] = {}
    fresh: list[tuple[int, Incoming]] = []
    ids: set[str] = set()
    seqs: dict[int, str] = {}
    for position, raw in enumerate(raw_events):
        try:
            event = cast(
                WireEventData, raw if checked else WireEvent.model_validate(raw).model_dump()
            )
        except ValidationError as exc:
            event_id = str(raw.get("event_id", "")) if isinstance(raw, dict) else ""
            verdicts[position] = EventVerdict(
                event_id=event_id[:64], verdict="rejected",
                reason=f"malformed: {describe(exc.errors())}",
            )  # fmt: skip
            continue
        event_id, seq = event["event_id"], event["seq"]
        if event_id in ids:
            continue  # the same event twice in one batch: answered once
        ids.add(event_id)
        if seq in seqs:  # two events of one batch claim the same place in the chain
            verdicts[position] = EventVerdict(
                event_id=event_id, seq=seq, verdict="rejected",
                reason=f"seq_reused: event {seq} of this device is already {seqs[seq]}",
            )  # fmt: skip
            continue
        try:
            item = _incoming(device, key, event, now)
        except UnicodeEncodeError:  # a lone surrogate: JSON allows it, no database stores it
            verdicts[position] = EventVerdict(
                event_id=event_id, seq=seq, verdict="rejected",
                reason="malformed: the payload has text that cannot be stored",
            )  # fmt: skip
            continue
        except (ValueError, RecursionError):  # NaN or Infinity, or nesting deeper than Python's
            verdicts[position] = EventVerdict(
                event_id=event_id, seq=seq, verdict="rejected",
                reason="malformed: the payload holds NaN, Infinity or nesting too deep",
            )  # fmt: skip
            continue
        seqs[seq] = event_id
        fresh.append((position, item))
    fresh.sort(key=lambda pi: pi[1].event["seq"])
    _recheck_codes(rechecker, [item for _, item in fresh])
    return Prepared(device, now, rechecker, verdicts, fresh, look_up_every_id)


def push(conn: Connection, prepared: Prepared) -> bytes:
    """Store a prepared push: one transaction, the device's row locked throughout. Returns the
    answer, a PushResponse as JSON."""
    device = lock_device(conn, prepared.device.id)
    state = Push(device, prepared.now)
    verdicts = dict(prepared.verdicts)
    # retries: the first verdict stands
    batch = [item.event for _, item in prepared.fresh]
    suspects = (
        batch if prepared.look_up_every_id else [e for e in batch if e["seq"] <= device.max_seq]
    )
    known = _known_verdicts(conn, device.id, suspects)
    fresh: list[tuple[int, Incoming]] = []
    for position, item in prepared.fresh:
        if item.event["event_id"] in known:
            verdicts[position] = known[item.event["event_id"]]
            if item.verdict == "accepted" and verdicts[position].reason.startswith("seq_reused"):
                # signed with the device's key: the device itself tells two stories
                state.alerts.append((
                    "equivocation",
                    f"{device.name}: event {item.event['seq']} pushed again with other content"
                    " and a valid signature",
                ))  # fmt: skip
        else:
            fresh.append((position, item))
    state.incoming = [item for _, item in fresh]
    for item in state.incoming:
        if item.verdict == "rejected" and item.reason.startswith("forged"):
            code, actor = item.event["payload"].get("code"), item.row.get("actor") or "-"
            state.alerts.append(
                (FORGED, f"{device.name}, cashier {actor}: code {code} refused: {item.reason}")
            )

    _check_chain(conn, state)
    _judge_redemptions(conn, state, prepared.rechecker)
    _judge_points(conn, state)
    _record_conflicts(conn, state)
    _store(conn, state)
    # The answer as plain JSON: validating a model per verdict cost three times as much.
    # Fields at their defaults are left out (an accepted event's empty reason, no conflict).
    answers = {i: v.model_dump(exclude_defaults=True) for i, v in verdicts.items()}
    for position, item in fresh:
        answer = {
            "event_id": item.event["event_id"],
            "seq": item.event["seq"],
            "verdict": item.verdict,
        }
        if item.reason:
            answer["reason"] = item.reason
        if item.conflict_id is not None:
            answer["conflict_id"] = item.conflict_id
        answers[position] = answer
    whole = {
        "verdicts": [answers[i] for i in sorted(answers)],
        "device_seq": state.device.max_seq,
        "chain_ok": state.device.chain_ok,
    }
    return json.dumps(whole, separators=(",", ":")).encode()


def _known_verdicts(
    conn: Connection, device_id: str, batch: list[WireEventData]
) -> dict[str, EventVerdict]:
    if not batch:
        return {}
    known: dict[str, EventVerdict] = {}
    rows = bulk.rows_where_in(
        conn, events, {}, "event_id", [e["event_id"] for e in batch],
        ("event_id", "device_id", "seq", "verdict", "reason", "conflict_id"),
    )  # fmt: skip
    for r in rows:
        if r.device_id == device_id:
            known[r.event_id] = EventVerdict(
                event_id=r.event_id, seq=r.seq, verdict=r.verdict, reason=r.reason,
                conflict_id=r.conflict_id,
            )  # fmt: skip
        else:  # another device's id: never ours to overwrite
            known[r.event_id] = EventVerdict(
                event_id=r.event_id,
                verdict="rejected",
                reason="duplicate_id: event id already used",
            )
    taken = {
        r.seq: r.event_id
        for r in conn.execute(
            # a range, not a list: one index scan whatever the batch size
            select(events.c.seq, events.c.event_id).where(
                events.c.device_id == device_id,
                events.c.seq.between(min(e["seq"] for e in batch), max(e["seq"] for e in batch)),
            )
        )
    }
    for e in batch:
        event_id, seq = e["event_id"], e["seq"]
        if event_id not in known and seq in taken:
            known[event_id] = EventVerdict(
                event_id=event_id, seq=seq, verdict="rejected",
                reason=f"seq_reused: event {seq} of this device is already {taken[seq]}",
            )  # fmt: skip
    return known


def _incoming(device: Signer, key: chain.DeviceKey, event: WireEventData, now: float) -> Incoming:
    p, kind = event["payload"], event["kind"]
    payload_json = chain.canonical_payload(p)  # encoded once: for the signature and for storing
    row: dict[str, Any] = {
        "event_id": event["event_id"], "device_id": device.id, "seq": event["seq"], "kind": kind,
        "payload": payload_json, "local_time": event["local_time"],
        "prev_hash": event["prev_hash"], "mac": event["mac"], "received": now,
        "store_id": device.store_id, "actor": "",
        "campaign": None, "serial": None, "tier": None, "value": 0.0, "member": None,
        "points": 0, "receipt": None, "target": None,
    }  # fmt: skip
    event_hash, mac = key.hash_and_mac(row, payload_json)  # a lone surrogate raises here
    # Its text is then storable unless it holds a NUL, which JSON can only write as \u0000.
    clean = "\\u0000" not in payload_json
    row["actor"] = _actor(p.get("actor"), clean)
    item = Incoming(event, event_hash, row)
    if kind not in EVENT_KINDS:
        item.verdict, item.reason = "rejected", f"unknown_kind: {kind!r}"
    elif not hmac.compare_digest(mac, event["mac"]):
        item.verdict = "rejected"
        item.reason = "altered: the event's signature does not match its contents"
    else:
        try:
            _read_payload(item, clean)
        except (KeyError, TypeError, ValueError) as exc:
            item.verdict, item.reason = "rejected", f"malformed: payload {exc}"
    return item


MAX_POINTS = 10**9  # more points than any purchase earns: a garbled or hostile event


def _read_payload(item: Incoming, clean: bool) -> None:
    """Copy what the server indexes out of the payload; raise on anything out of shape.

    `clean`: the payload holds no text a database refuses, so none needs checking.
    """
    p, row, kind = item.event["payload"], item.row, item.event["kind"]
    if kind == "redeem":
        serial = _whole(p["serial"], "serial")
        if not 0 <= serial < layout.MAX_SERIALS:
            raise ValueError("serial out of range")
        context = p.get("context") or {}
        if not isinstance(p["code"], str) or not isinstance(context, dict):
            raise TypeError("code is not text or context is not an object")
        # the value is the campaign's (set after the re-check), never the figure sent
        row.update(
            campaign=_id(p["campaign"], 64, "campaign", clean), serial=serial,
            tier=_text(p.get("tier"), 32, clean), value=0.0,
            member=_text(context.get("member"), 128, clean),
            receipt=_text(context.get("receipt"), 128, clean),
        )  # fmt: skip
    elif kind in POINT_KINDS:
        points = _whole(p["points"], "points")
        if not 0 <= points <= MAX_POINTS:
            raise ValueError("points out of range")
        if kind == "accrue":
            amount = p["amount"]
            if type(amount) not in (int, float) or not 0 <= amount <= MAX_POINTS:
                raise ValueError("amount must be a number from 0 to 10^9")
        row.update(
            member=_id(p["member"], 128, "member", clean),
            points=-points if kind == "spend" else points,
        )
        # a check-in keeps its day where an accrual keeps its receipt: each counts once per store
        if kind == "accrue":
            row["receipt"] = _text(p["receipt"], 128, clean)
        elif kind == "checkin":
            row["receipt"] = _checkin_day(item.event["local_time"], row["received"])
    elif kind == "void":
        row["target"] = _id(p["target"], 64, "target", clean)


def _checkin_day(local_time: str, received: float) -> str:
    """The day a check-in counts for: its device's day when that clock is believable (not ahead
    of the server, not older than the max-offline window), else the day it arrived. Never the
    day the device wrote in the payload: a device naming a new day for each check-in would earn
    the bonus again and again."""
    try:
        made = datetime.fromisoformat(local_time).timestamp()
    except ValueError:
        made = received
    if not received - LATE_WINDOW_S <= made <= received + protocol.CLOCK_WINDOW_S:
        made = received
    return datetime.fromtimestamp(made, UTC).date().isoformat()


def _whole(value: object, name: str) -> int:
    """A whole number as JSON writes one: 1.9, "7" and true are not."""
    if type(value) is not int:
        raise TypeError(f"{name} must be a whole number, not {value!r}")
    return value


def _id(value: object, limit: int, name: str, clean: bool) -> str:
    """An id kept whole: one longer than its column is refused, never cut (two would merge)."""
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"{name} must be text of 1 to {limit} characters")
    return _checked(value, clean)


def _actor(value: object, clean: bool) -> str:
    """The cashier's name; one no database can keep (a NUL) is dropped, and the event kept."""
    try:
        return _text(value, 128, clean) or ""
    except ValueError:
        return ""


def _text(value: object, limit: int, clean: bool) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(f"a text field is not text of at most {limit} characters")
    return _checked(value, clean)


def _checked(text: str, clean: bool) -> str:
    """`text` refused if no database can keep it; not looked at when the payload is `clean`."""
    return text if clean else plain_text(text)


# -- the chain --------------------------------------------------------------------------------


def _check_chain(conn: Connection, state: Push) -> None:
    """Advance the verified part of the device's chain; name gaps and breaks, store regardless."""
    device = state.device
    had_gap = device.max_seq > device.chain_seq
    pending = [(i.event["seq"], i.event["prev_hash"], i.hash) for i in state.incoming]
    if had_gap:  # events stored beyond a gap: walk them too, the gap may just have closed
        for r in conn.execute(
            select(events).where(events.c.device_id == device.id, events.c.seq > device.chain_seq)
        ):
            signed = {**dict(r._mapping), "payload": json.loads(r.payload)}
            pending.append((int(r.seq), r.prev_hash, chain.event_hash(signed)))
        pending.sort()
    for seq, prev_hash, event_hash in pending:
        if seq > device.chain_seq + 1:
            break
        if prev_hash != device.chain_hash:
            device.chain_ok = False
            state.alerts.append(
                (
                    "chain_break",
                    f"{device.name}: event {seq} does not follow event {seq - 1}: changed or removed on the device",
                )
            )
        device.chain_seq, device.chain_hash = seq, event_hash
    top = max([device.max_seq, *(s for s, _, _ in pending)])
    if top > device.chain_seq and not had_gap:
        device.chain_ok = False
        state.alerts.append(
            (
                "chain_gap",
                f"{device.name}: events {device.chain_seq + 1} to {top} arrived with some missing before them",
            )
        )
    device.max_seq = top
    for item in state.incoming:
        if item.reason.startswith("altered"):
            device.chain_ok = False
            state.alerts.append(
                (
                    "chain_altered",
                    f"{device.name}: event {item.event['seq']} was altered after it was signed",
                )
            )


# -- redemptions ----------------------------------------------------------------------------


def _recheck_codes(rechecker: Rechecker, items: list[Incoming]) -> None:
    """The cipher's second look at every redeemed code (see recheck.py)."""
    redeems = [i for i in items if i.event["kind"] == "redeem" and i.verdict == "accepted"]
    reasons = rechecker.check(
        [
            Claimed(i.row["campaign"], i.event["payload"]["code"], i.row["serial"], i.row["tier"])
            for i in redeems
        ]
    )
    for item, reason in zip(redeems, reasons, strict=True):
        row = item.row
        reason = reason or rechecker.too_late(
            row["campaign"], row["received"], item.event["local_time"]
        )
        if reason is not None:
            item.verdict, item.reason = "rejected", reason
        else:
            row["value"] = rechecker.value(row["campaign"], row["tier"])


def _judge_redemptions(conn: Connection, state: Push, rechecker: Rechecker) -> None:
    claiming = [
        i for i in state.incoming if i.event["kind"] == "redeem" and i.verdict == "accepted"
    ]
    if not claiming:
        return
    owners = claim_codes(
        conn, state.device.id, state.device.store_id, state.now,
        [(i.row["campaign"], i.row["serial"], i.event["event_id"]) for i in claiming],
    )  # fmt: skip
    others = {o.device_id for o in owners.values() if o.device_id != state.device.id}
    names = _device_names(conn, others) if others else {}
    voided = {  # redemptions this push undoes: target event id -> seq of the void
        i.row["target"]: i.event["seq"]
        for i in state.incoming if i.event["kind"] == "void" and i.verdict == "accepted"
    }  # fmt: skip
    for item in claiming:
        key = (item.row["campaign"], item.row["serial"])
        owner = owners[key]
        void_seq = voided.get(owner.event_id)
        if (
            owner.device_id == state.device.id
            and void_seq is not None
            and void_seq < item.event["seq"]
        ):
            # voided, then redeemed again in this push: the claim passes to the new redemption
            # (the void then finds no claim of its own to release)
            owner = owners[key] = _move_claim(conn, owner, item.event["event_id"])
        if owner.event_id == item.event["event_id"]:
            item.claim_new = owner.claimed_at == state.now
            continue
        if owner.device_id == state.device.id and item.event["event_id"] in voided:
            continue  # undone by its till in this push, which holds the code under a later event
        item.verdict = "conflict"
        item.reason = (
            f"double_redemption: already redeemed by {names.get(owner.device_id, owner.device_id)}"
            f" at store {owner.store_id}"
            f" ({datetime.fromtimestamp(owner.claimed_at, UTC):%Y-%m-%d %H:%M} UTC)"
        )
        campaign = rechecker.campaign(item.row["campaign"])
        tier = campaign.tier_named(item.row["tier"]) if campaign and item.row["tier"] else None
        _conflict(
            state, item, "double_redemption", winner_event=owner.event_id,
            winner_device=owner.device_id, campaign=item.row["campaign"], serial=item.row["serial"],
            code=item.event["payload"]["code"], reward=(tier.description or tier.name) if tier else "",
            value=item.row["value"],
        )  # fmt: skip


def _move_claim(conn: Connection, owner: Any, event_id: str) -> Owner:
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
) -> dict[tuple[str, int], Any]:  # fmt: skip
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
    owners: dict[tuple[str, int], Any] = {}
    for campaign in sorted({c for c, _ in keys}):  # per campaign: the primary key's index
        serials = [s for c, s in keys if c == campaign]
        for r in bulk.rows_where_in(conn, claims, {"campaign": campaign}, "serial", serials):
            owners[(r.campaign, r.serial)] = r
    _take_over_unsaved(conn, device_id, first, owners, {e for _, _, e in wanted})
    return owners


def _take_over_unsaved(
    conn: Connection, device_id: str, first: dict[tuple[str, int], str],
    owners: dict[tuple[str, int], Any], asking: set[str],
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
        owners[(campaign, serial)] = _move_claim(conn, owner, first[(campaign, serial)])


def _device_names(conn: Connection, ids: set[str]) -> dict[str, str]:
    """'Till 2 (dev-...)' for each device id: how a conflict names the other side."""
    rows = conn.execute(select(devices.c.id, devices.c.name).where(devices.c.id.in_(ids)))
    return {r.id: f"{r.name} ({r.id})" for r in rows}


def _conflict(state: Push, item: Incoming, kind: str, **fields: Any) -> None:
    """Note a conflict; `_record_conflicts` stores them all at once and numbers them."""
    state.conflicts.append((item, {
        "kind": kind, "loser_event": item.event["event_id"], "loser_device": state.device.id,
        "member": item.row["member"], "created": state.now, "campaign": None, "serial": None,
        "code": None, "winner_event": None, "winner_device": None, "reward": "", "value": 0.0,
        "points": 0, **fields,
    }))  # fmt: skip


def _record_conflicts(conn: Connection, state: Push) -> None:
    if not state.conflicts:
        return
    ids = conn.execute(
        conflicts.insert().returning(conflicts.c.id, sort_by_parameter_order=True),
        [row for _, row in state.conflicts],
    ).scalars().all()  # fmt: skip
    for (item, _), conflict_id in zip(state.conflicts, ids, strict=True):
        item.conflict_id = int(conflict_id)
    feed.notices(
        conn, state.device.id,
        [(i.event["event_id"], "conflict", i.reason, i.conflict_id) for i, _ in state.conflicts],
    )  # fmt: skip


# -- points ---------------------------------------------------------------------------------


def _recount(conn: Connection, state: Push, items: list[Incoming]) -> None:
    """Points earned are the server's count, by the earn rules the device names (when it may
    still count with them, see earn_rules) or else the store's rules now; never the device's
    figure. A device whose figure differs is named in an alert."""
    earning = [i for i in items if i.event["kind"] in ("accrue", "checkin")]
    if not earning:
        return
    store = state.device.store_id
    config = admin.device_config(conn, store)
    in_force = earn_rules.stamped(conn, store, config.loyalty)
    by_version: dict[object, LoyaltyConfig] = {}
    for item in earning:
        p = item.event["payload"]
        version = p.get("rules")
        if version not in by_version:
            by_version[version] = earn_rules.named(
                conn, store, version, state.now, config.max_offline_seconds
            ) or in_force  # fmt: skip
        rules = by_version[version]
        counted = (
            rules.points_for(p["amount"])
            if item.event["kind"] == "accrue"
            else rules.checkin_points
        )
        if counted != item.row["points"]:
            state.alerts.append((
                "points_mismatch",
                f"{state.device.name}: {item.event['kind']} {item.event['seq']} for"
                f" {item.row['member']} claimed {item.row['points']} points; the rules"
                f" (version {rules.version}) give {counted}",
            ))  # fmt: skip
            item.row["points"] = counted


def _judge_points(conn: Connection, state: Push) -> None:
    """Duplicate receipts and check-ins, voids, and balances with overdrafts as conflicts."""
    items = [i for i in state.incoming if i.verdict == "accepted"]
    _duplicates(conn, state, [i for i in items if i.event["kind"] in ("accrue", "checkin")])
    targets = _void_targets(conn, state, [i for i in items if i.event["kind"] == "void"])
    _recount(conn, state, [i for i in items if i.verdict == "accepted"])
    deltas: list[tuple[Incoming, str, int]] = []
    for item in items:
        if item.verdict != "accepted":
            continue
        if item.event["kind"] in POINT_KINDS:
            deltas.append((item, item.row["member"], int(item.row["points"])))
        elif item.event["kind"] == "void":
            target = targets.get(item.row["target"])
            if target is None:
                item.verdict = "rejected"
                item.reason = f"unknown_target: no event {item.row['target']} of this device"
                continue
            _undo(conn, state, item, target, deltas)
    if not deltas:
        return
    members = sorted({m for _, m, _ in deltas})
    conn.execute(
        insert_ignore(conn, balances),
        [{"member": m, "balance": 0, "updated": state.now} for m in members],
    )
    query = select(balances.c.member, balances.c.balance).where(balances.c.member.in_(members))
    if not is_sqlite(conn):
        query = query.order_by(balances.c.member).with_for_update()
    running = {r.member: int(r.balance) for r in conn.execute(query)}
    for item, member, delta in deltas:
        running[member] += delta
        if item.event["kind"] == "spend" and running[member] < 0:
            item.verdict = "conflict"
            item.reason = (
                f"overdraft: {member} spent {-delta} points with {running[member] - delta} left"
            )
            _conflict(state, item, "overdraft", points=-delta)
    for member in members:
        conn.execute(
            update(balances).where(balances.c.member == member)
            .values(balance=running[member], updated=state.now)
        )  # fmt: skip
    conn.execute(
        insert_ignore(conn, member_stores),
        [{"member": m, "store_id": state.device.store_id} for m in members],
    )
    feed.balances(conn, state.device.id, {m: running[m] for m in members}, state.now)


def _duplicates(conn: Connection, state: Push, items: list[Incoming]) -> None:
    """A receipt earns once per store, a member checks in once a day per store."""
    if not items:
        return

    def key(
        kind: str, receipt: str | None, member: str | None
    ) -> tuple[str, str | None, str | None]:
        return kind, receipt, member if kind == "checkin" else None  # a receipt is anyone's

    taken = {
        key(r.kind, r.receipt, r.member)
        for r in conn.execute(
            select(events.c.kind, events.c.receipt, events.c.member).where(
                events.c.store_id == state.device.store_id,
                events.c.receipt.in_({i.row["receipt"] for i in items}),
                events.c.kind.in_(("accrue", "checkin")),
                events.c.verdict == "accepted",
            )
        )
    }
    for item in items:
        kind, receipt, member = item.event["kind"], item.row["receipt"], item.row["member"]
        if key(kind, receipt, member) not in taken:
            taken.add(key(kind, receipt, member))
            continue
        item.verdict = "duplicate"
        item.reason = (
            f"duplicate_receipt: receipt {receipt} already earned points at this store"
            if kind == "accrue" else f"already_checked_in: {member} on {receipt}"
        )  # fmt: skip


def _void_targets(
    conn: Connection, state: Push, voids: list[Incoming]
) -> dict[str, dict[str, Any]]:
    wanted = {i.row["target"] for i in voids}
    if not wanted:
        return {}
    found: dict[str, dict[str, Any]] = {
        r.event_id: dict(r._mapping)
        for r in conn.execute(
            select(events.c.event_id, events.c.kind, events.c.verdict, events.c.campaign,
                   events.c.serial, events.c.member, events.c.points, events.c.conflict_id)
            .where(events.c.event_id.in_(wanted), events.c.device_id == state.device.id)
        )
    }  # fmt: skip
    for i in state.incoming:  # the target may be in this very batch
        if i.event["event_id"] in wanted:
            found[i.event["event_id"]] = {
                **i.row,
                "verdict": i.verdict,
                "conflict_id": i.conflict_id,
            }
    return found


def _undo(
    conn: Connection, state: Push, item: Incoming, target: dict[str, Any],
    deltas: list[tuple[Incoming, str, int]],
) -> None:  # fmt: skip
    if target["verdict"] not in ("accepted", "conflict"):
        return  # nothing took effect, nothing to undo
    if target["kind"] == "redeem":
        released = conn.execute(
            delete(claims).where(
                claims.c.campaign == target["campaign"], claims.c.serial == target["serial"],
                claims.c.event_id == target["event_id"],
            )
        ).rowcount  # fmt: skip
        if released:
            feed.released(
                conn, state.device.id, [(target["campaign"], int(target["serial"]))], state.now
            )
        if target["verdict"] == "conflict" and target["conflict_id"] is not None:
            conn.execute(
                update(conflicts).where(conflicts.c.id == target["conflict_id"], conflicts.c.state == "open")
                .values(state="resolved", action="voided", resolved_by=state.device.name,
                        note="the losing redemption was voided on its device", resolved_at=state.now)
            )  # fmt: skip
    elif target["kind"] in POINT_KINDS and target["member"]:
        item.row["member"] = target["member"]
        item.row["points"] = -int(target["points"])
        deltas.append((item, target["member"], -int(target["points"])))


# -- storing ----------------------------------------------------------------------------------


def _store(conn: Connection, state: Push) -> None:
    device = state.device
    if state.incoming:
        names = [*state.incoming[0].row, "verdict", "reason", "conflict_id"]
        values = [(*i.row.values(), i.verdict, i.reason, i.conflict_id) for i in state.incoming]
        bulk.insert_rows(conn, events, names, values)
        # once each: a code voided and redeemed again in this push was won twice
        won = list(
            dict.fromkeys(
                (i.row["campaign"], i.row["serial"]) for i in state.incoming if i.claim_new
            )
        )
        feed.redeemed(conn, device.id, won, state.now)
    forged = sum(kind == FORGED for kind, _ in state.alerts)
    if forged:
        conn.execute(
            update(devices)
            .where(devices.c.id == device.id)
            .values(forged=devices.c.forged + forged)
        )
    if state.alerts:
        conn.execute(
            alerts.insert(),
            [
                {"device_id": device.id, "kind": k, "message": m, "created": state.now}
                for k, m in state.alerts
            ],
        )
    conn.execute(
        _DEVICE_UPDATE,
        {"device_id": device.id, "max_seq": device.max_seq, "chain_seq": device.chain_seq,
         "chain_hash": device.chain_hash, "chain_ok": device.chain_ok, "last_seen": state.now},
    )  # fmt: skip
