"""What a device pulls: the feed's rows after its cursor, meant for it, its store or every device,
folded to each code's last state and each member's newest balance; new rules and keys when the
config version moved; and, where voucher pools exist, every voucher the device holds, its slice
topped up first (prizes.vouchers).
"""

from __future__ import annotations

import json
import time

from sqlalchemy import Connection, and_, or_, select

from server_stub.catalog.campaign_setup import campaign_grants
from server_stub.catalog.device_config import config_for_device, config_version
from server_stub.catalog.program_content import program_content_for_devices
from server_stub.database.schema import devices, feed
from server_stub.loyalty import wheel
from server_stub.prizes import vouchers
from sync.protocol import MemberBalance, Notice, PullRequest, PullResponse, RedeemedAt, WireLot


def changes_for(
    conn: Connection, device_id: str, store_id: str, request: PullRequest, play_url: str = ""
) -> PullResponse:
    """`play_url`: the server's address for shoppers, sent with the rules (see config_for_device)."""
    rows = conn.execute(
        select(feed.c.id, feed.c.kind, feed.c.data, feed.c.origin_device)
        .where(
            feed.c.id > request.cursor,
            or_(
                feed.c.target_device == device_id,
                feed.c.target_store == store_id,
                and_(
                    feed.c.target_device.is_(None),
                    feed.c.target_store.is_(None),
                    feed.c.origin_device != device_id,
                ),
            ),
        )
        .order_by(feed.c.id)
        .limit(request.limit + 1)
    ).all()
    more = len(rows) > request.limit
    rows = rows[: request.limit]
    answer = PullResponse(
        cursor=rows[-1].id if rows else request.cursor, more=more,
        config_version=config_version(conn), server_time=time.time(),
        device_seq=int(conn.execute(select(devices.c.max_seq).where(devices.c.id == device_id)).scalar_one()),
    )  # fmt: skip
    latest: dict[str, tuple[int, list[WireLot] | None]] = {}  # a member's newest balance only
    redeemed_now: dict[tuple[str, int], bool] = {}  # and only a code's last state
    taken_by: dict[tuple[str, int], str] = {}  # the device that took it, when the feed says
    for row in rows:
        data = json.loads(row.data)
        if row.kind in ("redeemed", "released"):
            for campaign, serial in data:
                redeemed_now[(campaign, serial)] = row.kind == "redeemed"
                if row.kind == "redeemed" and row.origin_device:
                    taken_by[(campaign, serial)] = row.origin_device
        elif row.kind == "notice":
            answer.notices.append(Notice.model_validate(data))
        elif row.kind == "balance":
            held = [WireLot.model_validate(x) for x in data[2]] if len(data) > 2 else None
            latest[data[0]] = (data[1], held)
    answer.redeemed = [key for key, taken in redeemed_now.items() if taken]
    answer.released = [key for key, taken in redeemed_now.items() if not taken]
    answer.redeemed_at = _where(conn, {k: d for k, d in taken_by.items() if redeemed_now[k]})
    answer.balances = [
        MemberBalance(member=m, balance=b, lots=held) for m, (b, held) in latest.items()
    ]
    if answer.config_version != request.config_version:
        answer.config = config_for_device(conn, store_id, play_url)
        answer.campaigns = campaign_grants(conn)
        answer.program_content = program_content_for_devices(conn)
    if vouchers.any_pools(conn):  # the whole list: a voucher missing from it is not shown
        answer.vouchers = vouchers.slice_for(conn, device_id, answer.server_time)
    wheels, spins = wheel.slices_for(conn, device_id, answer.server_time)
    if wheels:  # the whole list: an outcome missing from it is no longer this device's
        answer.wheels, answer.wheel_slices = wheels, spins
    return answer


def _where(conn: Connection, taken_by: dict[tuple[str, int], str]) -> list[RedeemedAt]:
    """Each code's device by name and store: a kiosk says where a code went. One query for the
    page's devices (a page of 500 codes comes from a handful of them)."""
    if not taken_by:
        return []
    found = conn.execute(
        select(devices.c.id, devices.c.name, devices.c.store_id).where(
            devices.c.id.in_(sorted(set(taken_by.values())))
        )
    ).all()
    named = {r.id: (r.name, r.store_id) for r in found}
    return [
        RedeemedAt(campaign=c, serial=s, device=named[d][0], store=named[d][1])
        for (c, s), d in taken_by.items()
        if d in named
    ]
