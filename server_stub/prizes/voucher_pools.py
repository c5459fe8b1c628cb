"""Which (campaign, tier) pairs have a voucher pool, and how each stands: ok, low or empty.

Each pool's bookkeeping is one `meta` row (how many were loaded, which alert it last raised),
read at most every POOLS_FRESH_S seconds per process, and at once after a load in the same
process: a push with no pool tier costs no query. A pool loaded by another process is noticed
within that time.

A pool falling below LOW_SHARE of what was loaded (or below LOW_FLOOR) raises
`voucher_pool_low` once, and running out raises `voucher_pool_empty` once; a load starts again.
Counting a big pool's free vouchers at every redemption would cost too much, so each process
counts at most 2 x the threshold, and counts again after taking an eighth of the margin it saw
(other processes take too) or after POOLS_FRESH_S, whichever comes first: far above the
threshold that is seldom, near it at every take.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
import weakref
from collections import defaultdict
from dataclasses import dataclass, field, replace

from sqlalchemy import Connection, Engine, func, select, update

from server_stub.database.connection import insert_ignore
from server_stub.database.schema import alerts, meta, vouchers

FREE = "free"
LOW_SHARE, LOW_FLOOR = 0.10, 20  # a pool is low below 10% of what was loaded, or below 20
POOLS_FRESH_S = 2.0
LOW, EMPTY = "voucher_pool_low", "voucher_pool_empty"
OK_STATE, LOW_STATE, EMPTY_STATE = "ok", "low", "empty"
_KEY_PREFIX = "voucher_pool:"


@dataclass(frozen=True)
class Pool:
    """A pool's bookkeeping: how many vouchers it was loaded with, and its state."""

    campaign: str
    tier: str
    loaded: int
    state: str = OK_STATE

    @property
    def key(self) -> str:  # a campaign id alone may fill meta.key's 64 characters: a hash
        name = f"{self.campaign}\n{self.tier}".encode()
        return _KEY_PREFIX + hashlib.sha256(name).hexdigest()[:40]

    @property
    def low_below(self) -> int:
        return max(LOW_FLOOR, math.ceil(LOW_SHARE * self.loaded))

    def state_at(self, free: int) -> str:
        return EMPTY_STATE if free == 0 else LOW_STATE if free < self.low_below else OK_STATE

    def text(self) -> str:
        return json.dumps(
            {"campaign": self.campaign, "tier": self.tier, "loaded": self.loaded,
             "state": self.state}, sort_keys=True,
        )  # fmt: skip

    @classmethod
    def of(cls, text: str) -> Pool:
        data = json.loads(text)
        return cls(data["campaign"], data["tier"], int(data["loaded"]), data["state"])


@dataclass
class _Watch:
    """When this process counts a pool's free vouchers again: after it took `due_after` more,
    or once `due_at` (monotonic) has passed."""

    due_after: int = 0
    due_at: float = 0.0


@dataclass
class _Cache:
    read_at: float = -math.inf
    pools: dict[tuple[str, str], Pool] = field(default_factory=dict)
    watches: dict[tuple[str, str], _Watch] = field(default_factory=lambda: defaultdict(_Watch))


# per engine: tests (and a process with two databases) must never see another database's pools
_caches: weakref.WeakKeyDictionary[Engine, _Cache] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_POOLS = select(meta.c.value).where(meta.c.key.startswith(_KEY_PREFIX, autoescape=True))


def pools(conn: Connection) -> dict[tuple[str, str], Pool]:
    """Every pool by (campaign, tier); cached, so most calls cost no query."""
    return _cache(conn).pools


def _cache(conn: Connection) -> _Cache:
    with _lock:
        cache = _caches.setdefault(conn.engine, _Cache())
    if time.monotonic() - cache.read_at >= POOLS_FRESH_S:
        found = [Pool.of(text) for text in conn.execute(_POOLS).scalars()]
        with _lock:
            cache.pools = {(p.campaign, p.tier): p for p in found}
            cache.read_at = time.monotonic()
    return cache


def forget() -> None:
    """Pools changed: every engine of this process reads them again."""
    with _lock:
        for cache in _caches.values():
            cache.read_at = -math.inf


def loaded(conn: Connection, campaign: str, tier: str, total: int, free: int) -> Pool:
    """A load brought the pool to `total` vouchers, `free` of them free: its state starts
    again from there (a pool still low after a load raises no new alert until it is empty)."""
    pool = Pool(campaign, tier, total)
    pool = replace(pool, state=pool.state_at(free))
    conn.execute(insert_ignore(conn, meta).values(key=pool.key, value=pool.text()))
    conn.execute(update(meta).where(meta.c.key == pool.key).values(value=pool.text()))
    return pool


def taken(conn: Connection, pool: Pool, count: int, short: bool, now: float) -> None:
    """`count` vouchers left the pool (`short`: fewer than were asked for, so none is free):
    count what is free when due, and raise the pool's alert when it crossed a threshold."""
    cache = _cache(conn)
    watch = cache.watches[(pool.campaign, pool.tier)]
    watch.due_after -= count
    if short:
        free = 0
    elif watch.due_after > 0 and time.monotonic() < watch.due_at:
        return
    else:
        threshold = pool.low_below
        free = int(
            conn.execute(
                select(func.count()).select_from(
                    select(vouchers.c.id)
                    .where(vouchers.c.campaign == pool.campaign, vouchers.c.tier == pool.tier,
                           vouchers.c.state == FREE)
                    .limit(2 * threshold)
                    .subquery()
                )
            ).scalar_one()
        )  # fmt: skip
        watch.due_after = max(0, free - threshold + 1) // 8
        watch.due_at = time.monotonic() + POOLS_FRESH_S
    state = pool.state_at(free)
    if state != OK_STATE and pool.state not in (state, EMPTY_STATE):
        _change_state(conn, pool, state, free, now)


def _change_state(conn: Connection, cached: Pool, state: str, free: int, now: float) -> None:
    """Move the pool to `low` or `empty` and raise its alert, unless another transaction did
    (or a load started it again) first: the update names the value read, so only one wins."""
    text = conn.execute(select(meta.c.value).where(meta.c.key == cached.key)).scalar()
    if text is None:
        return
    pool = Pool.of(text)
    if pool.state in (state, EMPTY_STATE):
        _remember(conn, pool)
        return
    moved = replace(pool, state=state)
    changed = update(meta).where(meta.c.key == pool.key, meta.c.value == text)
    if not conn.execute(changed.values(value=moved.text())).rowcount:
        return
    _remember(conn, moved)
    where = f"voucher pool {pool.tier} of campaign {pool.campaign}"
    load_more = f"instore admin rewards load --campaign {pool.campaign} --tier {pool.tier}"
    if state == EMPTY_STATE:
        message = (
            f"{where} is empty: 0 of {pool.loaded:,} vouchers free; redemptions of {pool.tier}"
            f" get none until more are loaded ({load_more})"
        )
    else:
        message = (
            f"{where} is running low: {free:,} of {pool.loaded:,} vouchers free; load more"
            f" ({load_more})"
        )
    alert(conn, None, EMPTY if state == EMPTY_STATE else LOW, now, message)


def _remember(conn: Connection, pool: Pool) -> None:
    cache = _cache(conn)
    with _lock:
        cache.pools = {**cache.pools, (pool.campaign, pool.tier): pool}


def alert(conn: Connection, device_id: str | None, kind: str, now: float, message: str) -> None:
    conn.execute(
        alerts.insert().values(device_id=device_id, kind=kind, message=message, created=now)
    )
