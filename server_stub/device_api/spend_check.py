"""A spend above the program's `otp_above` must carry the member's confirmation: the token the
device got from `/v1/otp/confirm` (member_codes.py) for this member, these points and this
device, used by no other event. Checked again here, after the server has judged the spend's
lots (points.py), so a device that skipped the code, or replays another spend's token, is seen.

A spend that fails is a conflict, `unconfirmed_spend`, never a rejection: the till already
handed over what the points bought, so the points stand (consumed) and staff decide on the
Conflicts page, as with `limit_exceeded`. A spend made before the threshold last changed is not
judged against it (its device had not heard of it). Any spend that carries a token uses it up,
whatever its points, so a token is good for one event.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import Connection, select, update

from server_stub.catalog import device_config
from server_stub.database.loyalty_tables import program
from server_stub.database.loyalty_tables import spend_confirmations as asked
from server_stub.device_api import point_lots
from server_stub.device_api.member_codes import token_hash
from server_stub.device_api.push_state import Incoming, Push

UNCONFIRMED = "unconfirmed_spend"


def check_spend_confirmations(conn: Connection, state: Push) -> None:
    spends = [
        i for i in state.incoming
        if i.event["kind"] == "spend" and i.verdict in ("accepted", "conflict")
    ]  # fmt: skip
    if not spends:
        return
    rules = conn.execute(
        select(program.c.otp_above, program.c.updated).where(program.c.id == 1)
    ).first()
    above, changed = (0, 0.0) if rules is None else (int(rules.otp_above), float(rules.updated))
    # a device writes its clock to the millisecond, cut (not rounded): a spend in the very
    # millisecond of the change reads as before it unless the change is cut the same way
    changed = math.floor(changed * 1000) / 1000
    # a device's clock is believed back to its offline limit, no further (as a lot's date is):
    # a spend dated years ago would otherwise pass as made before the threshold existed
    oldest = state.now - device_config.device_config(
        conn, state.device.store_id
    ).max_offline_seconds if above > 0 else 0.0  # fmt: skip
    for item in spends:
        token = item.event["payload"].get("confirmation")
        needed = (
            above > 0 and abs(int(item.row["points"])) > above
            and max(_made(item), oldest) >= changed
        )  # fmt: skip
        if not isinstance(token, str) or not token:
            if needed:
                _flag(
                    state, item, f"no one-time password confirmed this spend above {above} points"
                )
            continue
        wrong = _use(conn, state, item, token)
        if wrong and needed:
            _flag(state, item, wrong)


def _use(conn: Connection, state: Push, item: Incoming, token: str) -> str:
    """Use the token up for this event; what is wrong with it, or "" when it was good."""
    hashed = token_hash(token[:200])
    row = conn.execute(select(asked).where(asked.c.token_hash == hashed)).first()
    if row is None:
        return "its confirmation is not one this server gave"
    if row.device_id != state.device.id:
        return "its confirmation was given to another device"
    member = point_lots.find(conn, item.member)
    if member is None or member.id != row.member_id:
        return "its confirmation was given for another member"
    points = abs(int(item.row["points"]))
    if int(row.points) != points:
        return f"its confirmation was given for {row.points} points, not {points}"
    event_id = item.event["event_id"]
    taken = conn.execute(
        update(asked)
        .where(asked.c.id == row.id, asked.c.used_event.is_(None))
        .values(used_event=event_id)
    ).rowcount  # fmt: skip
    if not taken and row.used_event != event_id:
        return f"its confirmation was used already, by event {row.used_event}"
    return ""


def _flag(state: Push, item: Incoming, why: str) -> None:
    if item.verdict == "accepted":  # an overdraft is a conflict already, with its own reason
        item.verdict = "conflict"
        item.reason = f"{UNCONFIRMED}: {why}"
        state.conflict(item, UNCONFIRMED, points=abs(int(item.row["points"])))
        actor = item.row["actor"] or ""
        state.alert(
            UNCONFIRMED,
            f"{state.device.name}, cashier {actor or '-'}: spend {item.event['seq']} of"
            f" {abs(int(item.row['points']))} points for {item.member}: {why}",
            actor,
        )  # fmt: skip


def _made(item: Incoming) -> float:
    """When the spend was made, by its device's clock (never later than it arrived)."""
    received = float(item.row["received"])
    try:
        return min(datetime.fromisoformat(item.event["local_time"]).timestamp(), received)
    except ValueError:
        return received
