"""Storing a device's push: one short transaction that judges each new event and keeps it.

A push comes in two steps. `push_reading.prepare` does the work that needs no database
(validation, the signature of every event, the cipher re-check) before any lock is taken, so
several server processes do it side by side; `push` here is then one short transaction, and
changes the prepared events' verdicts (a push redone must be prepared again). In order: retries,
the chain (chain_check), redemptions and their claims (code_claims), their vouchers
(prizes.vouchers), points (points), then conflicts, events, alerts and the device's row are
stored.

A retry of an event returns the verdict it got the first time, so a response lost on the way back
costs nothing. Claim keys and member rows are touched in sorted order, so concurrent pushes on
PostgreSQL wait for each other instead of deadlocking.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, select, update

from server_stub import metrics
from server_stub.database import bulk
from server_stub.database.connection import is_sqlite
from server_stub.database.schema import alerts, conflicts, devices, events, stores
from server_stub.device_api.chain_check import check_chain
from server_stub.device_api.claim_guard import FORGED
from server_stub.device_api.code_claims import claim_codes, move_claim
from server_stub.device_api.point_limit_check import check_point_limits
from server_stub.device_api.points import judge_points
from server_stub.device_api.push_reading import Prepared
from server_stub.device_api.push_state import DeviceState, Incoming, Push
from server_stub.device_api.recheck import Rechecker
from server_stub.device_api.spend_check import check_spend_confirmations
from server_stub.device_api.wheel_spins import judge_spins
from server_stub.prizes import claim_flags, outbox, vouchers
from server_stub.records import event_counts, feed
from sync.protocol import EventVerdict, WireEventData

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
                state.alert(
                    "equivocation",
                    f"{device.name}: event {item.event['seq']} pushed again with other content"
                    " and a valid signature",
                    item.row["actor"] or "",
                )  # fmt: skip
        else:
            fresh.append((position, item))
    state.incoming = [item for _, item in fresh]
    for item in state.incoming:
        if item.verdict == "rejected" and item.reason.startswith("forged"):
            code, actor = item.event["payload"].get("code"), item.row.get("actor") or ""
            state.alert(
                FORGED,
                f"{device.name}, cashier {actor or '-'}: code {code} refused: {item.reason}",
                actor,
            )

    check_chain(conn, state)
    _judge_redemptions(conn, state, prepared.rechecker)
    _give_vouchers(conn, state, prepared.rechecker)
    judge_spins(conn, state)  # the wheel's draw, before a spin's points become a lot
    judge_points(conn, state)
    check_point_limits(conn, state)  # after the server's own count of each event's points
    check_spend_confirmations(conn, state)  # a spend above otp_above carries the member's code
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
    metrics.ingested(
        [*(v.verdict for v in prepared.verdicts.values()), *(i.verdict for _, i in fresh),
         *["repeat"] * (len(prepared.fresh) - len(fresh))],
        [i.reason for _, i in fresh if i.verdict == "conflict"],
    )  # fmt: skip
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


def _judge_redemptions(conn: Connection, state: Push, rechecker: Rechecker) -> None:
    claiming = [
        i for i in state.incoming if i.event["kind"] == "redeem" and i.verdict == "accepted"
    ]
    if not claiming:
        return
    owners = claim_codes(
        conn, state.device.id, state.device.store_id, state.now,
        [(*i.code_key, i.event["event_id"]) for i in claiming],
    )  # fmt: skip
    others = {o.device_id for o in owners.values() if o.device_id != state.device.id}
    names = _device_names(conn, others) if others else {}
    store_names = _store_names(conn, {o.store_id for o in owners.values()}) if others else {}
    voided = {  # redemptions this push undoes: target event id -> seq of the void
        i.row["target"]: i.event["seq"]
        for i in state.incoming if i.event["kind"] == "void" and i.verdict == "accepted"
    }  # fmt: skip
    for item in claiming:
        key = item.code_key
        owner = owners[key]
        void_seq = voided.get(owner.event_id)
        if (
            owner.device_id == state.device.id
            and void_seq is not None
            and void_seq < item.event["seq"]
        ):
            # voided, then redeemed again in this push: the claim passes to the new redemption
            # (the void then finds no claim of its own to release)
            owner = owners[key] = move_claim(conn, owner, item.event["event_id"])
        if owner.event_id == item.event["event_id"]:
            item.claim_new = owner.claimed_at == state.now
            continue
        if owner.device_id == state.device.id and item.event["event_id"] in voided:
            continue  # undone by its till in this push, which holds the code under a later event
        item.verdict = "conflict"
        item.reason = (
            f"double_redemption: already redeemed by {names.get(owner.device_id, owner.device_id)}"
            f" at store {owner.store_id}{store_names.get(owner.store_id, '')}"
            f" ({datetime.fromtimestamp(owner.claimed_at, UTC):%Y-%m-%d %H:%M} UTC)"
        )
        campaign = rechecker.campaign(key[0])
        tier = campaign.tier_named(item.row["tier"]) if campaign and item.row["tier"] else None
        state.conflict(
            item, "double_redemption", winner_event=owner.event_id,
            winner_device=owner.device_id, campaign=item.row["campaign"], serial=item.row["serial"],
            code=item.event["payload"]["code"], reward=(tier.description or tier.name) if tier else "",
            value=item.row["value"],
        )  # fmt: skip


# a refused event whose signature did not hold (or was never read): its payload says nothing
_UNSIGNED = ("altered", "unknown_kind")
_PHONE = re.compile(r"\+[1-9][0-9]{7,14}")  # a member given as a phone number (E.164)


def _give_vouchers(conn: Connection, state: Push, rechecker: Rechecker) -> None:
    """Each accepted redemption of a tier with a voucher pool gets one: the one its device
    showed (payload `voucher`) when the device holds it, else a free one. A voucher the device
    showed for a redemption that became a conflict, or was refused, is spent all the same: a
    shopper saw it, so it is never given to anyone else. Retries never get here (their first
    verdict stands), and `give_many` answers an event that has a voucher with that one."""
    if not vouchers.any_pools(conn):  # most pushes: cached, no query
        return
    asks = []
    for item in state.incoming:
        campaign, tier = item.row["campaign"], item.row["tier"]
        if item.event["kind"] != "redeem" or campaign is None or tier is None:
            continue
        shown = item.event["payload"].get("voucher")
        offered = shown if isinstance(shown, str) and 0 < len(shown) <= 128 else None
        if item.verdict == "accepted":
            asks.append(vouchers.Ask(campaign, tier, item.event["event_id"], offered))
        elif offered is not None and not item.reason.startswith(_UNSIGNED):
            asks.append(vouchers.Ask(campaign, tier, item.event["event_id"], offered, False))
    if asks:
        given = vouchers.give_many(conn, state.device.id, asks, state.now)
        _text_vouchers(conn, state, rechecker, asks, given)


def _text_vouchers(
    conn: Connection, state: Push, rechecker: Rechecker, asks: list[vouchers.Ask],
    given: dict[str, str],
) -> None:  # fmt: skip
    """A voucher the device could not show (it held none of the pool: `voucher_later`) goes to
    the shopper by SMS, through the outbox in this transaction, when the redemption names their
    phone (a member given as +country number at the till or kiosk); in the kiosk's language
    when the event says it, else English. Without a phone it waits on the dashboard's lookup."""
    items = {item.event["event_id"]: item for item in state.incoming}
    for ask in asks:
        voucher, item = given.get(ask.event_id), items[ask.event_id]
        member = item.row["member"] or ""
        if (
            ask.offered is not None
            or not ask.take_free
            or not voucher
            or not _PHONE.fullmatch(member)
        ):
            continue
        campaign = rechecker.campaign(ask.campaign)
        tier = campaign.tier_named(ask.tier) if campaign else None
        reward = (tier.description or tier.name) if tier else ask.tier
        context = item.event["payload"].get("context")
        lang = context.get("lang") if isinstance(context, dict) else None
        outbox.voucher_won(
            conn, member, ask.event_id, reward, voucher, lang if isinstance(lang, str) else "en",
            state.now,
        )  # fmt: skip


def _device_names(conn: Connection, ids: set[str]) -> dict[str, str]:
    """'Till 2 (dev-...)' for each device id: how a conflict names the other side."""
    rows = conn.execute(select(devices.c.id, devices.c.name).where(devices.c.id.in_(ids)))
    return {r.id: f"{r.name} ({r.id})" for r in rows}


def _store_names(conn: Connection, ids: set[str]) -> dict[str, str]:
    """' "North Street"' for each store id: the name a conflict's words give after the id, so a
    device can name the other store as its manager knows it (terminal/conflict_words.py)."""
    rows = conn.execute(select(stores.c.id, stores.c.name).where(stores.c.id.in_(ids)))
    return {r.id: f' "{r.name.replace(chr(34), chr(39))}"' for r in rows if r.name}


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
    redeemed = [i.event["event_id"] for i, _ in state.conflicts if i.event["kind"] == "redeem"]
    claim_flags.after_conflict(conn, redeemed)  # a claim filed from its QR before it synced


# -- points ---------------------------------------------------------------------------------


def _store(conn: Connection, state: Push) -> None:
    device = state.device
    if state.incoming:
        names = [*state.incoming[0].row, "verdict", "reason", "conflict_id"]
        values = [(*i.row.values(), i.verdict, i.reason, i.conflict_id) for i in state.incoming]
        bulk.insert_rows(conn, events, names, values)
        event_counts.add(conn, (
            c for i in state.incoming
            for c in event_counts.of_event(i.row, i.verdict, i.event["payload"], i.reason)
        ))  # fmt: skip
        # once each: a code voided and redeemed again in this push was won twice
        won = list(dict.fromkeys(i.code_key for i in state.incoming if i.claim_new))
        feed.redeemed(conn, device.id, won, state.now)
    forged = sum(a.kind == FORGED for a in state.alerts)
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
                {
                    "device_id": device.id,
                    "kind": a.kind,
                    "message": a.message,
                    "actor": a.actor,
                    "created": state.now,
                }
                for a in state.alerts
            ],
        )
    conn.execute(
        _DEVICE_UPDATE,
        {"device_id": device.id, "max_seq": device.max_seq, "chain_seq": device.chain_seq,
         "chain_hash": device.chain_hash, "chain_ok": device.chain_ok, "last_seen": state.now},
    )  # fmt: skip
