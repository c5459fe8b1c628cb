"""Points in a push: the server's own count of what was earned, receipts and check-ins that
count once, voids that undo, and balances, with a spend that overdraws them kept as a conflict."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, delete, select, update

from server_stub.catalog import device_config, earn_rules
from server_stub.database.connection import insert_ignore, is_sqlite
from server_stub.database.schema import balances, claims, conflicts, events, member_stores
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
            deltas.append((item, item.member, item.row["points"]))
        elif item.event["kind"] == "void":
            target = targets.get(item.row["target"] or "")
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
            state.conflict(item, "overdraft", points=-delta)
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


def _recount(conn: Connection, state: Push, items: list[Incoming]) -> None:
    """Points earned are the server's count, by the earn rules the device names (when it may
    still count with them, see earn_rules) or else the store's rules now; never the device's
    figure. A device whose figure differs is named in an alert."""
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
        counted = (
            rules.points_for_accrual(p)  # with the basket's categories and day, if sent
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


def _undo(
    conn: Connection, state: Push, item: Incoming, target: Target,
    deltas: list[tuple[Incoming, str, int]],
) -> None:  # fmt: skip
    if target.verdict not in ("accepted", "conflict"):
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
    elif target.kind in POINT_KINDS and target.member:
        item.row["member"] = target.member
        item.row["points"] = -target.points
        deltas.append((item, target.member, -target.points))


def _uncount(conn: Connection, state: Push, event_id: str) -> None:
    """A redemption undone on its till counts no more (event_counts): as it stands, whether in
    this push (not stored yet, counted with it) or stored before."""
    held = next((i for i in state.incoming if i.event["event_id"] == event_id), None)
    if held is None:
        counted = event_counts.of_stored(conn, [event_id])
    else:
        counted = event_counts.of_event(held.row, held.verdict, held.event["payload"])
    event_counts.add(conn, counted, sign=-1)
