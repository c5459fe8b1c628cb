"""Points in a push: the server's own count of what was earned, receipts and check-ins that
count once, voids that undo, and points as lots (point_lots), with a spend that overdraws them
kept as a conflict that consumes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import Connection, delete, select, update

from server_stub.catalog import device_config, earn_rules
from server_stub.database.schema import claims, conflicts, events
from server_stub.device_api.point_lots import Book, believed
from server_stub.device_api.push_reading import POINT_KINDS
from server_stub.device_api.push_state import Incoming, Push
from server_stub.records import event_counts, feed
from sync.protocol import LoyaltyConfig


class Target(NamedTuple):
    """The event a void undoes."""

    event_id: str
    kind: str
    verdict: str
    campaign: str | None
    serial: int | None
    member: str | None
    points: int
    conflict_id: int | None


def judge_points(conn: Connection, state: Push) -> None:
    """Duplicate receipts and check-ins, voids, and points as lots (point_lots) with
    overdrafts as conflicts."""
    items = [i for i in state.incoming if i.verdict == "accepted"]
    _duplicates(conn, state, [i for i in items if i.event["kind"] in ("accrue", "checkin")])
    targets = _void_targets(conn, state, [i for i in items if i.event["kind"] == "void"])
    _recount(conn, state, [i for i in items if i.verdict == "accepted"])
    if not any(
        i.verdict == "accepted" and i.event["kind"] in (*POINT_KINDS, "void") for i in items
    ) and not any(i.event["kind"] == "spin" and i.row["points"] for i in state.incoming):
        return
    book = Book(conn, state)
    _spun(state, book)
    undone = _voided_before(conn, state, targets)
    for item in items:
        if item.verdict != "accepted":
            continue
        if item.event["kind"] in POINT_KINDS:
            book.apply(item)
        elif item.event["kind"] == "void":
            target = targets.get(item.row["target"] or "")
            if target is None:
                item.verdict = "rejected"
                item.reason = f"unknown_target: no event {item.row['target']} of this device"
                continue
            if target.event_id in undone:
                # a till's own ledger voids an event once; a second void (a tampered ledger)
                # would take the points back again from the member's other lots, or uncount a
                # redemption twice
                item.verdict = "rejected"
                item.reason = f"already_voided: event {target.event_id} was voided before"
                continue
            undone.add(target.event_id)
            _undo(conn, state, item, target, book)
    book.tell()


def _spun(state: Push, book: Book) -> None:
    """The bonus points of the wheel's spins (judged by wheel_spins): a lot each, a double
    spin's too (a shopper saw them; the helpdesk settles the conflict)."""
    for item in state.incoming:
        spun = item.event["kind"] == "spin" and item.verdict in ("accepted", "conflict")
        if spun and item.row["points"] > 0:
            book.apply(item)


def _recount(conn: Connection, state: Push, items: list[Incoming]) -> None:
    """Points earned are the server's count, by the earn rules the device names (when it may
    still count with them, see earn_rules) or else the store's rules now; never the device's
    figure. A bonus period counts by the day of the moment the server believes (believed_day),
    not the day the device wrote. A device whose figure differs is named in an alert."""
    earning = [i for i in items if i.event["kind"] in ("accrue", "checkin")]
    if not earning:
        return
    store = state.device.store_id
    config = device_config.device_config(conn, store)
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
        day = p.get("day")
        if item.event["kind"] == "accrue":
            at = believed(item.event["local_time"], state.now - config.max_offline_seconds,
                          state.now)  # fmt: skip
            day = believed_day(day, at)
            counted = rules.points_for_accrual({**p, "day": day})  # with the basket's categories
        else:
            counted = rules.checkin_points
        if counted != item.row["points"]:
            on = f" on {day}" if day != p.get("day") else ""
            actor = item.row["actor"] or ""
            state.alert(
                "points_mismatch",
                f"{state.device.name}, cashier {actor or '-'}: {item.event['kind']}"
                f" {item.event['seq']} for {item.row['member']} claimed {item.row['points']}"
                f" points; the rules (version {rules.version}) give {counted}{on}",
                actor,
            )  # fmt: skip
            item.row["points"] = counted


def believed_day(sent: object, at: float) -> str:
    """The purchase's day for bonus periods: the day the device sent when the believed moment
    `at` is that day somewhere (UTC-12 to UTC+14: the server knows no store's time zone, and a
    till counts by its own calendar), else the day of `at` in UTC. A forged day gains at most
    the day next to the one believed, and the believed moment is held to the offline window."""
    days = {
        datetime.fromtimestamp(at + hours * 3600, UTC).date().isoformat() for hours in (-12, 0, 14)
    }  # every day from at-12h to at+14h (a span of 26 hours holds no day these three miss)
    if isinstance(sent, str) and sent in days:
        return sent
    return datetime.fromtimestamp(at, UTC).date().isoformat()


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


def _void_targets(conn: Connection, state: Push, voids: list[Incoming]) -> dict[str, Target]:
    wanted = {i.row["target"] for i in voids}
    if not wanted:
        return {}
    found = {
        r.event_id: Target(*r)
        for r in conn.execute(
            select(events.c.event_id, events.c.kind, events.c.verdict, events.c.campaign,
                   events.c.serial, events.c.member, events.c.points, events.c.conflict_id)
            .where(events.c.event_id.in_(wanted), events.c.device_id == state.device.id)
        )
    }  # fmt: skip
    for i in state.incoming:  # the target may be in this very batch
        if i.event["event_id"] in wanted:
            found[i.event["event_id"]] = Target(
                i.row["event_id"], i.row["kind"], i.verdict, i.row["campaign"], i.row["serial"],
                i.row["member"], i.row["points"], i.conflict_id,
            )  # fmt: skip
    return found


def _voided_before(conn: Connection, state: Push, targets: dict[str, Target]) -> set[str]:
    """The events among `targets` that an accepted void of this device undid in an earlier
    push (found by the voids' own index on their target)."""
    if not targets:
        return set()
    return {
        r.target
        for r in conn.execute(
            select(events.c.target).where(
                events.c.kind == "void", events.c.target.in_(list(targets)),
                events.c.verdict == "accepted", events.c.device_id == state.device.id,
            )
        )
    }  # fmt: skip


def _undo(conn: Connection, state: Push, item: Incoming, target: Target, book: Book) -> None:
    held = next((i for i in state.incoming if i.event["event_id"] == target.event_id), None)
    verdict = target.verdict if held is None else held.verdict  # as this push left it so far
    if verdict not in ("accepted", "conflict"):
        return  # nothing took effect, nothing to undo
    if target.kind == "redeem":
        _uncount(conn, state, target.event_id)
        released = conn.execute(
            delete(claims).where(
                claims.c.campaign == target.campaign, claims.c.serial == target.serial,
                claims.c.event_id == target.event_id,
            )
        ).rowcount  # fmt: skip
        if released and target.campaign is not None and target.serial is not None:
            feed.released(conn, state.device.id, [(target.campaign, target.serial)], state.now)
        if target.verdict == "conflict" and target.conflict_id is not None:
            conn.execute(
                update(conflicts).where(conflicts.c.id == target.conflict_id, conflicts.c.state == "open")
                .values(state="resolved", action="voided", resolved_by=state.device.name,
                        note="the losing redemption was voided on its device", resolved_at=state.now)
            )  # fmt: skip
    elif target.kind == "spin" and target.member:
        # its record went with the void already (wheel_spins); its points go with their lot
        book.undo(item, target.kind, target.event_id, target.member)
        if verdict == "conflict" and target.conflict_id is not None:
            conn.execute(
                update(conflicts).where(conflicts.c.id == target.conflict_id, conflicts.c.state == "open")
                .values(state="resolved", action="voided", resolved_by=state.device.name,
                        note="the second spin of the day was voided on its device", resolved_at=state.now)
            )  # fmt: skip
    elif target.kind in POINT_KINDS and target.member:
        book.undo(item, target.kind, target.event_id, target.member)
        if target.kind == "spend" and verdict == "conflict" and target.conflict_id is not None:
            conn.execute(
                update(conflicts).where(conflicts.c.id == target.conflict_id, conflicts.c.state == "open")
                .values(state="resolved", action="voided", resolved_by=state.device.name,
                        note="the overdrawing spend was voided on its device", resolved_at=state.now)
            )  # fmt: skip


def _uncount(conn: Connection, state: Push, event_id: str) -> None:
    """A redemption undone on its till counts no more (event_counts): as it stands, whether in
    this push (not stored yet, counted with it) or stored before."""
    held = next((i for i in state.incoming if i.event["event_id"] == event_id), None)
    if held is None:
        counted = event_counts.of_stored(conn, [event_id])
    else:
        counted = event_counts.of_event(held.row, held.verdict, held.event["payload"])
    event_counts.add(conn, counted, sign=-1)
