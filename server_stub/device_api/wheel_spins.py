"""Spins of the bonus wheel in a push (loyalty/wheel.py): each is judged against the server's
own draw before its points become a lot (points.judge_points).

A spin is refused (`rejected`) when its campaign has no wheel (`no_wheel`), it was made after the
wheel ended (`wheel_ended`), its index is not in this device's slice (`not_in_slice`) or was used
by another spin (`index_used`), the outcome it showed is not the one its index draws
(`wrong_outcome`: a tampered device), or no check-in or purchase of the member on this device
came before it (`not_qualified`). A member past the wheel's spins a day (two offline devices the
same day) is a `double_spin` conflict naming the first spin: its points stand, as a double
redemption's reward does, for the helpdesk to settle. Every spin that used its index is recorded
(wheel_spins), so no outcome is ever given twice.

A void of a spin (a prize not handed over at the counter, `instore terminal void`) takes its
record away, as a void of a redemption releases the code's claim: the spin counts no more toward
the member's day, and its index is free for the device that held it, which has put the outcome
back among those it holds (its next spin gives it again; the sequence is the budget). Its points,
if any, are taken back with its lot (points.judge_points).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from server_stub.database.schema import events
from server_stub.database.wheel_tables import wheel_spins
from server_stub.device_api.point_lots import Book
from server_stub.device_api.push_state import Incoming, Push
from server_stub.loyalty import wheel as wheels
from server_stub.loyalty.wheel_draw import outcome_at

DOUBLE_SPIN = "double_spin"
_QUALIFYING = ("checkin", "accrue")


def judge_spins(conn: Connection, state: Push) -> None:
    spins = [i for i in state.incoming if i.event["kind"] == "spin" and i.verdict == "accepted"]
    voids = [i for i in state.incoming if i.event["kind"] == "void" and i.verdict == "accepted"]
    pushed = {i.event["event_id"] for i in spins}
    _release(conn, state, {v.row["target"] or "" for v in voids} - pushed)
    if not spins:
        return
    found = {w.campaign: w for w in wheels.all_wheels(conn, state.now)}
    book = Book(conn, state)
    first_of_day: dict[tuple[str, int, str], tuple[str, str]] = {}  # -> (event, device)
    counted: Counter[tuple[str, int, str]] = Counter()
    taken: set[tuple[str, int]] = set()
    rows: list[dict[str, Any]] = []
    recorded: dict[str, tuple[dict[str, Any], tuple[str, int, str]]] = {}

    def voided(target: str) -> None:
        """A spin of this push voided later in it: it counts no more, its index is free."""
        row, key = recorded.pop(target)
        rows.remove(row)
        taken.discard((row["campaign"], row["idx"]))
        counted[key] -= 1
        if first_of_day.get(key, ("",))[0] == target:
            rest = [r for r in rows if (r["campaign"], r["member_id"], r["day"]) == key]
            if rest:
                first_of_day[key] = (rest[0]["event_id"], state.device.id)
            else:
                first_of_day.pop(key)

    undoing = [v for v in voids if v.row["target"] in pushed]
    for item in sorted([*spins, *undoing], key=lambda i: int(i.event["seq"])):
        if item.event["kind"] == "void":
            if item.row["target"] in recorded:
                voided(item.row["target"] or "")
            continue
        campaign, index = item.row["campaign"] or "", int(item.row["serial"] or 0)
        wheel = found.get(campaign)
        if wheel is None:
            item.refuse(f"no_wheel: campaign {campaign} has no bonus wheel")
            continue
        if wheel.revealed is not None and _made(item, state) >= wheel.revealed:
            item.refuse(f"wheel_ended: the wheel of {campaign} had ended (its seed is revealed)")
            continue
        if wheels.holder(conn, campaign, index) != state.device.id:
            item.refuse(f"not_in_slice: spin {index} of {campaign} was not given to this device")
            continue
        if (campaign, index) in taken or _used(conn, campaign, index):
            item.refuse(f"index_used: spin {index} of {campaign} was used by another spin")
            continue
        drawn = outcome_at(wheel.seed, index, wheel.outcomes)
        if item.row["tier"] != drawn.label:
            item.refuse(
                f"wrong_outcome: spin {index} of {campaign} draws {drawn.label!r}, the device"
                f" showed {item.row['tier']!r}"
            )
            continue
        if not _qualified(conn, state, item):
            item.refuse("not_qualified: no check-in or purchase of the member came before it")
            continue
        member = book.member(item.member)
        if member is None:
            item.refuse(f"bad_member: {item.member[:64]!r} is neither a phone nor a card number")
            continue
        taken.add((campaign, index))
        item.row["points"] = drawn.points  # the server's count, never the device's figure
        day = item.row["receipt"] or ""
        key = (campaign, member.id, day)
        if key not in first_of_day:
            earlier = _spins_that_day(conn, campaign, member.id, day)
            counted[key] = len(earlier)
            if earlier:
                first_of_day[key] = earlier[0]
        if counted[key] >= wheel.per_day:
            event, device = first_of_day[key]
            item.verdict = "conflict"
            item.reason = (
                f"{DOUBLE_SPIN}: {item.member} spun the wheel of {campaign} {counted[key]} time(s)"
                f" on {day} already (at most {wheel.per_day} a day); first spin {event}"
            )
            state.conflict(
                item, DOUBLE_SPIN, winner_event=event, winner_device=device, campaign=campaign,
                reward=drawn.label, points=drawn.points,
            )  # fmt: skip
        counted[key] += 1
        first_of_day.setdefault(key, (item.event["event_id"], state.device.id))
        row = {
            "campaign": campaign, "idx": index, "event_id": item.event["event_id"],
            "device_id": state.device.id, "member_id": member.id, "day": day,
            "outcome": drawn.label, "points": drawn.points, "created": state.now,
        }  # fmt: skip
        rows.append(row)
        recorded[item.event["event_id"]] = (row, key)
    if rows:
        conn.execute(wheel_spins.insert(), rows)


def _release(conn: Connection, state: Push, targets: set[str]) -> None:
    """Spins of this device, recorded before, that a void in this push undoes (a prize not
    handed over): they count no more toward the member's day, and their indexes are free again,
    so the device that gave its outcome back among the ones it holds may spin it again."""
    if targets:
        conn.execute(
            delete(wheel_spins).where(
                wheel_spins.c.event_id.in_(sorted(targets)),
                wheel_spins.c.device_id == state.device.id,
            )
        )


def _made(item: Incoming, state: Push) -> float:
    """When the spin was made, by its device's clock, never later than its arrival."""
    try:
        return min(datetime.fromisoformat(item.event["local_time"]).timestamp(), state.now)
    except ValueError:
        return state.now


def _used(conn: Connection, campaign: str, index: int) -> bool:
    return conn.execute(
        select(wheel_spins.c.idx).where(wheel_spins.c.campaign == campaign,
                                        wheel_spins.c.idx == index)
    ).first() is not None  # fmt: skip


def _spins_that_day(
    conn: Connection, campaign: str, member_id: int, day: str
) -> list[tuple[str, str]]:
    """(event, device) of the member's recorded spins of the day, oldest first."""
    return [
        (r.event_id, r.device_id)
        for r in conn.execute(
            select(wheel_spins.c.event_id, wheel_spins.c.device_id).where(
                wheel_spins.c.campaign == campaign, wheel_spins.c.member_id == member_id,
                wheel_spins.c.day == day,
            ).order_by(wheel_spins.c.created, wheel_spins.c.idx)
        )
    ]  # fmt: skip


def _qualified(conn: Connection, state: Push, item: Incoming) -> bool:
    """The check-in or purchase the spin names (`after`) is this device's, of the same member,
    earlier in its chain and not refused."""
    after = item.event["payload"].get("after")
    if not isinstance(after, str) or not after:
        return False
    for other in state.incoming:
        if other.event["event_id"] == after:
            return (
                other.event["kind"] in _QUALIFYING and other.row["member"] == item.row["member"]
                and other.event["seq"] < item.event["seq"] and other.verdict != "rejected"
            )  # fmt: skip
    row = conn.execute(
        select(events.c.kind, events.c.member, events.c.seq, events.c.verdict).where(
            events.c.event_id == after, events.c.device_id == state.device.id
        )
    ).first()
    return (
        row is not None and row.kind in _QUALIFYING and row.member == item.row["member"]
        and row.seq < item.event["seq"] and row.verdict != "rejected"
    )  # fmt: skip
