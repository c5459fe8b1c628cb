"""Voucher pools for digital prizes: a partner's codes, each given to exactly one redemption.

A voucher is `free`, `held` by one device (its slice, shown at once for a win while offline),
`given` to one redemption (vouchers.event_id is unique: the same event always gets the same
voucher, and no voucher goes to two events) or `withdrawn` (a revoked device's slice: never given
to anyone). Free vouchers are taken with FOR UPDATE SKIP LOCKED on PostgreSQL, so concurrent
redemptions each take a different one without waiting; SQLite has one writer at a time.

Which tiers have a pool, and the alerts of a pool running low or empty: voucher_pools.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, update

from server_stub.catalog.campaign_setup import load_campaigns
from server_stub.database import bulk
from server_stub.database.connection import is_sqlite, writing
from server_stub.database.schema import vouchers
from server_stub.errors import ApiError, not_found
from server_stub.prizes import voucher_pools
from server_stub.prizes.voucher_file import read_vouchers
from server_stub.prizes.voucher_pools import EMPTY_STATE, FREE, OK_STATE
from sync.protocol import VoucherGrant

HELD, GIVEN, WITHDRAWN = "held", "given", "withdrawn"
SLICE = 5  # vouchers of each pool a device holds to hand out while offline
NOT_HELD = "voucher_not_held"
_LOAD_ROWS = 10_000  # a bounded statement, however long the file


@dataclass(frozen=True)
class Ask:
    """A redemption asking for its voucher. `offered`: the one its device showed from its slice.
    `take_free` False: only that one, never one from the pool (a redemption that lost its code
    to another, whose device showed a voucher all the same: that voucher is spent)."""

    campaign: str
    tier: str
    event_id: str
    offered: str | None = None
    take_free: bool = True


_MARK = (
    update(vouchers)
    .where(vouchers.c.id == bindparam("b_id"))
    .values(state=bindparam("b_state"), device_id=bindparam("b_device"),
            event_id=bindparam("b_event"), changed=bindparam("b_now"))
)  # fmt: skip


def any_pools(conn: Connection) -> bool:
    """Whether any tier has a voucher pool (cached: no query on most calls)."""
    return bool(voucher_pools.pools(conn))


# -- loading ---------------------------------------------------------------------------------


def load(engine: Engine, campaign_id: str, tier: str, path: Path) -> dict[str, Any]:
    """Add a partner's vouchers to the pool of a campaign's tier. Vouchers already in the pool
    are skipped, so loading the same file twice loads nothing new. The whole file is checked
    first: a bad line loads nothing."""
    texts = read_vouchers(path)
    fresh = list(dict.fromkeys(texts))
    now = time.time()
    with writing(engine) as conn:
        _known_tier(conn, campaign_id, tier)
        added = 0
        for start in range(0, len(fresh), _LOAD_ROWS):
            added += bulk.insert_missing(
                conn, vouchers, ["voucher"], [(v,) for v in fresh[start : start + _LOAD_ROWS]],
                {"campaign": campaign_id, "tier": tier, "state": FREE, "loaded": now,
                 "changed": now},
            )  # fmt: skip
        counts = _counts(conn, campaign_id, tier)
        total = sum(counts.values())
        pool = voucher_pools.loaded(conn, campaign_id, tier, total, counts.get(FREE, 0))
    voucher_pools.forget()
    return {
        "campaign": campaign_id, "tier": tier, "loaded": added, "skipped": len(texts) - added,
        "total": total, **{state: counts.get(state, 0) for state in (FREE, HELD, GIVEN, WITHDRAWN)},
        "low": pool.state != OK_STATE,
    }  # fmt: skip


def _known_tier(conn: Connection, campaign_id: str, tier: str) -> None:
    campaigns = {c.id: c for c, _ in load_campaigns(conn)}
    campaign = campaigns.get(campaign_id)
    if campaign is None:
        known = ", ".join(sorted(campaigns)) or "none yet"
        raise not_found(f"campaign {campaign_id} (the campaigns here: {known})")
    tiers = [t.name for t in campaign.tiers]
    if tier not in tiers:
        raise ApiError(
            404, "unknown_tier",
            f"campaign {campaign_id} has no tier {tier}; its tiers are {', '.join(tiers)}",
        )  # fmt: skip


def _counts(conn: Connection, campaign: str, tier: str) -> dict[str, int]:
    rows = conn.execute(
        select(vouchers.c.state, func.count())
        .where(vouchers.c.campaign == campaign, vouchers.c.tier == tier)
        .group_by(vouchers.c.state)
    )
    return {state: int(n) for state, n in rows}


def pool_counts(engine: Engine) -> list[dict[str, Any]]:
    """Each pool: how many vouchers are free, held by devices, given and withdrawn."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(vouchers.c.campaign, vouchers.c.tier, vouchers.c.state, func.count()).group_by(
                vouchers.c.campaign, vouchers.c.tier, vouchers.c.state
            )
        ).all()
    pools: dict[tuple[str, str], dict[str, Any]] = {}
    for campaign, tier, state, n in rows:
        pool = pools.setdefault(
            (campaign, tier),
            {"campaign": campaign, "tier": tier, FREE: 0, HELD: 0, GIVEN: 0, WITHDRAWN: 0},
        )
        pool[state] = int(n)
    return [pools[k] for k in sorted(pools)]


# -- giving ----------------------------------------------------------------------------------


def give(
    conn: Connection, campaign: str, tier: str, event_id: str, device_id: str,
    offered: str | None = None, now: float | None = None,
) -> str | None:  # fmt: skip
    """The voucher of one redemption, inside the caller's write transaction: the one it got
    before, else the one its device showed (when that device holds it), else a free one. None
    when the tier has no pool or the pool is empty."""
    return give_many(conn, device_id, [Ask(campaign, tier, event_id, offered)], now).get(event_id)


def give_many(
    conn: Connection, device_id: str, asks: Sequence[Ask], now: float | None = None
) -> dict[str, str]:
    """`give` for the redemptions of one push, in a few statements: event id -> voucher."""
    pools = voucher_pools.pools(conn)
    wanted = {a.event_id: a for a in asks if (a.campaign, a.tier) in pools}
    if not wanted:
        return {}
    now = time.time() if now is None else now
    given = {
        r.event_id: r.voucher
        for r in bulk.rows_where_in(
            conn, vouchers, {}, "event_id", list(wanted), ("event_id", "voucher")
        )
    }  # a retry: the first answer stands
    pending = [a for a in wanted.values() if a.event_id not in given]
    marks: list[tuple[int, str]] = []  # (voucher id, event id)
    held: dict[tuple[str, str, str], int] = {}
    if any(a.offered for a in pending):
        held = {(r.campaign, r.tier, r.voucher): r.id for r in _held_by(conn, device_id)}
    needing: dict[tuple[str, str], list[Ask]] = defaultdict(list)
    for ask in pending:
        if ask.offered:
            found = held.pop((ask.campaign, ask.tier, ask.offered), None)
            if found is not None:
                marks.append((found, ask.event_id))
                given[ask.event_id] = ask.offered
                continue
            _not_held(conn, device_id, ask, set(given.values()), now)
        if ask.take_free:
            needing[(ask.campaign, ask.tier)].append(ask)
    _mark(conn, marks, GIVEN, device_id, now)
    for (campaign, tier), group in needing.items():
        taken = _take(conn, campaign, tier, len(group))
        served = list(zip(taken, group[: len(taken)], strict=True))
        _mark(conn, [(i, a.event_id) for (i, _), a in served], GIVEN, device_id, now)
        given.update((a.event_id, text) for (_, text), a in served)
        voucher_pools.taken(conn, pools[(campaign, tier)], len(taken), len(taken) < len(group), now)
    return given


def _held_by(conn: Connection, device_id: str) -> list[Any]:
    return list(
        conn.execute(
            select(vouchers.c.id, vouchers.c.campaign, vouchers.c.tier, vouchers.c.voucher)
            .where(vouchers.c.device_id == device_id, vouchers.c.state == HELD)
            .order_by(vouchers.c.id)
        )
    )


def _take(conn: Connection, campaign: str, tier: str, count: int) -> list[tuple[int, str]]:
    """Up to `count` free vouchers, locked for this transaction: on PostgreSQL a row another
    transaction is taking is skipped, never waited for or taken twice."""
    query = (
        select(vouchers.c.id, vouchers.c.voucher)
        .where(vouchers.c.campaign == campaign, vouchers.c.tier == tier, vouchers.c.state == FREE)
        .limit(count)
    )
    if not is_sqlite(conn):
        query = query.with_for_update(skip_locked=True)
    return [(int(r.id), r.voucher) for r in conn.execute(query)]


def _mark(
    conn: Connection, marks: list[tuple[int, str]], state: str, device_id: str, now: float
) -> None:
    if marks:
        conn.execute(_MARK, [
            {"b_id": i, "b_event": event_id if state == GIVEN else None, "b_state": state,
             "b_device": device_id, "b_now": now}
            for i, event_id in marks
        ])  # fmt: skip


def _not_held(conn: Connection, device_id: str, ask: Ask, shown: set[str], now: float) -> None:
    """A device showed a voucher it does not hold: say where that voucher is."""
    row = conn.execute(
        select(vouchers.c.state).where(
            vouchers.c.campaign == ask.campaign, vouchers.c.tier == ask.tier,
            vouchers.c.voucher == ask.offered,
        )
    ).first()  # fmt: skip
    where = {
        None: "is not in the pool", FREE: "is still free", HELD: "is held by another device",
        GIVEN: "was given to another redemption", WITHDRAWN: "was withdrawn",
    }[row.state if row else None]  # fmt: skip
    if ask.offered in shown:
        where = "was shown for another redemption of the same push"
    then = "a free one was given instead" if ask.take_free else "none was given"
    message = (
        f"redemption {ask.event_id} showed voucher {_masked(ask.offered or '')} of {ask.tier}"
        f" in {ask.campaign}, which this device does not hold (it {where}); {then}"
    )
    voucher_pools.alert(conn, device_id, NOT_HELD, now, message)


def _masked(voucher: str) -> str:
    """Enough of a voucher to find it, not enough to spend it (alerts are read by many)."""
    return "..." + voucher[-4:] if len(voucher) > 6 else "..."


# -- slices and withdrawal -------------------------------------------------------------------


def slice_for(conn: Connection, device_id: str, now: float | None = None) -> list[VoucherGrant]:
    """Every voucher the device holds, its slice of each pool topped up to SLICE first."""
    pools = voucher_pools.pools(conn)
    now = time.time() if now is None else now
    rows = _held_by(conn, device_id)
    have = Counter((r.campaign, r.tier) for r in rows)
    grants = [VoucherGrant(campaign=r.campaign, tier=r.tier, voucher=r.voucher) for r in rows]
    for key in sorted(pools):
        pool = pools[key]
        short = SLICE - have[key]
        if short <= 0 or pool.state == EMPTY_STATE:
            continue
        taken = _take(conn, pool.campaign, pool.tier, short)
        _mark(conn, [(i, "") for i, _ in taken], HELD, device_id, now)
        grants += [
            VoucherGrant(campaign=pool.campaign, tier=pool.tier, voucher=t) for _, t in taken
        ]
        voucher_pools.taken(conn, pool, len(taken), len(taken) < short, now)
    return sorted(grants, key=lambda g: (g.campaign, g.tier))


def withdraw(conn: Connection, device_id: str, now: float | None = None) -> int:
    """A revoked device's slice: never given to anyone. How many vouchers it held."""
    return int(
        conn.execute(
            update(vouchers)
            .where(vouchers.c.device_id == device_id, vouchers.c.state == HELD)
            .values(state=WITHDRAWN, changed=time.time() if now is None else now)
        ).rowcount
    )
