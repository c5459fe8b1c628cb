"""Holding back whoever keeps presenting wrong tokens or passwords, without holding a thread.

Attempts are counted per address in the database (`limits.counters`), so every server process
counts the same ones. An address that reached its limit is answered 429 with Retry-After, at
once and before its credential is looked at; nothing ever sleeps in the thread pool, where one
waiting answer would keep a till's sync or online claim from a thread. Within one process an
address's attempts take turns (they wait on the event loop, holding no thread), so a burst from
one address is counted one by one, never all let through before the first count lands.

Why 429 and not a slower answer: the callers are scripts (admin token), tills (enrollment) and a
browser's sign-in form; each can say "try again in N minutes", and an answer that waits keeps
a connection open for the attacker's benefit and tells an honest client nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from server_stub.client_address import client_address
from server_stub.database.connection import reader, writing
from server_stub.errors import ApiError
from server_stub.limits import counters
from server_stub.limits.counters import Count, Limit
from server_stub.settings import Network

LOG = logging.getLogger("instore.server.security")

ADMIN_TOKEN = Limit("admin_token", 10, 600, 600, "wrong admin tokens")
ENROLLMENT_TOKEN = Limit("enrollment_token", 10, 600, 600, "wrong enrollment tokens")
# across every account: one address trying many names (an office shares one address, so more)
SIGN_IN_ADDRESS = Limit("sign_in_address", 50, 3600, 3600, "wrong passwords")
_BY_WORDS = {"admin token": ADMIN_TOKEN, "enrollment token": ENROLLMENT_TOKEN,
             "dashboard password": SIGN_IN_ADDRESS}  # fmt: skip


def _limit(what: str) -> Limit:
    """The limit on wrong `what` (admin token, metrics token, ...): 10 in 10 minutes unless
    named above."""
    return _BY_WORDS.get(what) or Limit(what.replace(" ", "_")[:32], 10, 600, 600, f"wrong {what}s")


def address_key(address: str) -> str:
    """Whom an address's attempts count against: itself, or for IPv6 its /64, which one
    client holds whole (counted one by one, a client would have 2^64 fresh starts)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # the IPv4 client a dual-stack socket saw
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def too_many(limit: Limit, count: Count, now: float | None = None) -> ApiError:
    wait = count.retry_after(now)
    minutes = max(1, round(wait / 60))
    return ApiError(
        429, "too_many_attempts",
        f"too many {limit.words} from this address; try again in {minutes} min",
        headers={"Retry-After": str(wait)},
    )  # fmt: skip


class Attempt:
    """One counted attempt; the caller says when it turned out right."""

    def __init__(self, count: Count) -> None:
        self.count = count
        self.ok = False

    def succeeded(self) -> None:
        self.ok = True


class _Turns:
    """One attempt at a time per key in this process; the others wait on the event loop."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Throttle:
    def __init__(self, engine: Engine, trusted_proxies: Collection[Network] = ()) -> None:
        self.engine = engine
        self.trusted = frozenset(trusted_proxies)
        self._turns = _Turns()
        # addresses this process saw held, and until when: answered without the database
        self._held: dict[tuple[str, str], Count] = {}

    def source(self, request: Request) -> str:
        """The address `request` came from, believing X-Forwarded-For only from a trusted proxy."""
        peer = request.client.host if request.client else ""
        return client_address(peer, request.headers.getlist("x-forwarded-for"), self.trusted)

    def count(self, limit: Limit, source: str) -> Count:
        """Count an attempt from `source` before its credential is checked (in a worker
        thread: it reads and writes the database, never waits); ApiError 429 when held."""
        key, now = (limit.what, address_key(source)), time.time()
        self._refuse_if_held(limit, key, now)
        count = counters.attempt(self.engine, limit, key[1], now=now)
        if not count.allowed:
            self._remember(key, count, now)
            raise too_many(limit, count, now)
        return count

    def forgive(self, limit: Limit, source: str) -> None:
        """The attempt was right: it no longer counts against its address."""
        counters.forgive(self.engine, limit, address_key(source))

    def wrong(self, limit: Limit, source: str, count: Count) -> None:
        """Say in the log that a counted attempt was wrong, and when its address is held."""
        LOG.warning(
            "%s from %s (%d of %d allowed in %d min)", limit.words.removesuffix("s"),
            source or "-", count.n, limit.most, limit.window_s // 60,
        )  # fmt: skip
        if count.reached:
            LOG.warning("%s held for %d min", source or "-", round(limit.hold_s / 60))

    @asynccontextmanager
    async def attempt(self, limit: Limit, source: str) -> AsyncIterator[Attempt]:
        """Around checking one credential from `source`: counted first (429 when held), given
        back if the block calls `succeeded()`, else logged as wrong. Attempts from one address
        take turns here; waiting for a turn holds no thread."""
        self._refuse_if_held(limit, (limit.what, address_key(source)), time.time())  # no turn
        async with self._turns.turn((limit.what, address_key(source))):
            count = await run_in_threadpool(self.count, limit, source)
            attempt = Attempt(count)
            try:
                yield attempt
            finally:
                if attempt.ok:
                    await run_in_threadpool(self.forgive, limit, source)
                else:
                    self.wrong(limit, source, count)

    def hold(self, source: str, what: str) -> None:
        """ApiError 429 if `source` is held for wrong `what` (a read at most, never a write):
        asked before a credential is compared, with `failed` after a wrong one. For secrets too
        long to guess, where a burst in flight checked before its count lands costs nothing."""
        limit, now = _limit(what), time.time()
        self._refuse_if_held(limit, (limit.what, address_key(source)), now)
        with reader(self.engine).connect() as conn:
            seen = counters.peek(conn, limit, address_key(source), now)
        if seen is not None and seen.reached:
            self._remember((limit.what, address_key(source)), seen, now)
            raise too_many(limit, seen, now)

    def failed(self, source: str, what: str) -> float:
        """A wrong `what` already compared: counted and logged; the seconds `source` is now
        held for, 0 while it is not (see `hold`). Never waits."""
        limit = _limit(what)
        key, now = (limit.what, address_key(source)), time.time()
        with writing(self.engine) as conn:
            count = counters.take(conn, limit, key[1], now)
        self.wrong(limit, source, count)
        if not count.reached:
            return 0.0
        self._remember(key, count, now)
        return count.ends - now

    def _refuse_if_held(self, limit: Limit, key: tuple[str, str], now: float) -> None:
        """ApiError 429 when this process already saw `key` held: no database needed."""
        known = self._held.get(key)
        if known is not None and known.ends > now:
            raise too_many(limit, known, now)

    def _remember(self, key: tuple[str, str], count: Count, now: float) -> None:
        if len(self._held) > 10_000:  # an attack from many addresses: forget the ended holds
            self._held = {k: c for k, c in self._held.items() if c.ends > now}
        self._held[key] = count
