"""A month of a three-partner loyalty program, simulated on a clock the test drives.

A mobile operator's shops give points (accrual), a gas station gives and takes them (both), an
electronics chain takes them (redemption), each at its own point price. Tills in five stores,
on networks that drop requests and answers, send requests twice and deliver them late (after
newer ones), sometimes cut off for the rest of a day. Members earn at one partner and spend at
another; tills refund purchases (a void of an accrual: a return); a shared card is spent out at
two cut-off tills (an overdraft the server finds at sync); a till's push is sent again after its
answer was lost. Time runs from 20 October to the first days of December, so the points earned
in October expire at the end of November, and the server's expiry sweep runs every night (it
consumes an expired lot once the tills' offline window after its expiry has passed).

One seed decides everything. `Clock` is the only time any part of the system sees: `time.time`
and the tills' `datetime.now` are replaced while the simulation runs.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import terminal.ledger_file
import terminal.offline_rules
import terminal.points
from server_stub.catalog import store_setup
from server_stub.loyalty import expiry, partners
from server_stub.loyalty.program import set_program
from sync import outbox
from sync.client import SyncError
from sync.transport import Reply, Transport, Unreachable
from tests.sim.simulation import Faults, FaultyNetwork
from tests.world import Device, World

# id, name, role, point price
PARTNERS = (
    ("mobi", "Mobi Telecom shops", "accrual", 0.05),
    ("fuel", "Fuel Co stations", "both", 0.08),
    ("volt", "Volt Electronics", "redemption", 0.12),
)
PRICES = {p[0]: p[3] for p in PARTNERS}
# store, partner, tills
STORES = (
    ("mobi-central", "mobi", 2), ("mobi-airport", "mobi", 1), ("fuel-ring-road", "fuel", 2),
    ("volt-mall", "volt", 2), ("volt-station", "volt", 1),
)  # fmt: skip
MEMBERS = tuple(f"+7701123450{n}" for n in range(8))  # as a till takes a phone number
SLEEPERS = MEMBERS[6:]  # earn in October, then never come back: their points expire
PENDING_DAYS = 3  # the returns window
MAX_OFFLINE = 72 * 3600.0  # the devices' offline limit (the default config)
START = datetime(2026, 10, 20, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)  # the last day runs to here; then the network heals
OPS_PER_DAY = 8
FAULTS = Faults(drop_request=0.08, drop_answer=0.08, duplicate=0.08, delay=0.05)


class Clock:
    """The one clock of the simulated world; it ticks a millisecond at every look, so no two
    pushes share a moment and their order is the order the server judged them in."""

    def __init__(self, start: datetime) -> None:
        self.now = start.timestamp()

    def time(self) -> float:
        self.now += 0.001
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = max(self.now, moment.timestamp())

    @contextmanager
    def installed(self) -> Iterator[Clock]:
        clock = self

        class Now(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return datetime.fromtimestamp(clock.now, tz)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(time, "time", self.time)
            for module in (terminal.ledger_file, terminal.points, terminal.offline_rules):
                patch.setattr(module, "datetime", Now)
            yield self


class Recorder:
    """Between the tills' networks and the server: which event ids each push carried."""

    def __init__(self, server: Transport) -> None:
        self.server = server
        self.pushed: dict[str, int] = {}  # event id -> push requests that carried it

    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Reply:
        reply = self.server.send(method, path, headers, body, timeout)
        if path == "/v1/push" and reply.status == 200:
            for event in json.loads(body).get("events", []):
                self.pushed[event["event_id"]] = self.pushed.get(event["event_id"], 0) + 1
        return reply


@dataclass
class Till:
    name: str
    store: str
    partner: str
    device: Device
    network: FaultyNetwork
    earned: list[str] = field(default_factory=list)  # accruals told done here, not yet voided
    spent: list[str] = field(default_factory=list)

    def sync(self) -> None:
        self.device.sync()


@dataclass
class Told:
    """What a person at a till was told was done."""

    event_id: str
    till: str
    kind: str
    member: str


class CoalitionMonth:
    def __init__(self, world: World, clock: Clock, seed: int) -> None:
        self.world, self.clock, self.rng = world, clock, random.Random(seed)
        self.recorder = Recorder(world.transport)
        self.tills: list[Till] = []
        self.told: list[Told] = []
        self.sweeps: list[float] = []  # when the expiry job ran (its `now`)
        self.receipts = 0
        self.wrong_role = 0  # operations a partner's role does not allow, tried at its tills

    def setup(self) -> None:
        engine = self.world.engine
        with engine.begin() as conn:
            set_program(conn, pending_days=PENDING_DAYS, expiry_months=1)
            for partner_id, name, role, price in PARTNERS:
                partners.create(conn, partner_id, name, role, price)
        for store, partner, count in STORES:
            store_setup.create_store(engine, store, store.title(), partner_id=partner)
            for n in range(count):
                network = FaultyNetwork(self.recorder, random.Random(self.rng.random()), Faults())
                device = self.world.device(
                    store, f"{store}-{n + 1}", transport=network, online=partner != "mobi"
                )
                device.client.backoff = 0.0
                network.faults = FAULTS
                self.tills.append(Till(f"{store}-{n + 1}", store, partner, device, network))

    # -- a month ------------------------------------------------------------------------------

    def run(self) -> None:
        day = START
        while day < END:
            self.clock.set(day + timedelta(minutes=5))
            self.expiry_job()
            for till in self.tills:  # the lines come back in the morning
                till.network.cut_off = False
            self.clock.set(day + timedelta(hours=8))
            for _ in range(OPS_PER_DAY):
                self.clock.now += self.rng.uniform(600, 5400)
                self.step(day)
            for till in self.tills:  # at closing time, a till with something to send sends it
                if outbox.outgoing(till.device.ledger, 1) or self.rng.random() < 0.3:
                    till.sync()
            day += timedelta(days=1)
        self.clock.set(END + timedelta(hours=6))  # the network heals; everyone syncs twice
        for till in self.tills:
            till.network.faults, till.network.cut_off = Faults(), False
        for _ in range(2):
            for till in self.tills:
                till.network.deliver_all_held()
                till.sync()
        self.clock.set(END + timedelta(hours=7))
        self.expiry_job()
        # and once the tills' offline window has passed: the lots that expired at the end of
        # November are consumed only now (a late spend made before midnight could need them)
        self.clock.set(END + timedelta(days=4))
        self.expiry_job()

    def expiry_job(self) -> None:
        """The server's expiry sweep, as `instore server` runs it (loyalty/expiry.py)."""
        moment = self.clock.time()
        expiry.sweep(self.world.engine, now=moment)
        self.sweeps.append(moment)

    def step(self, day: datetime) -> None:
        rng = self.rng
        members = MEMBERS if day.month == 10 else MEMBERS[: -len(SLEEPERS)]
        member, roll = rng.choice(members), rng.random()
        if roll < 0.40:
            self.earn(rng.choice(self._issuing()), member)
        elif roll < 0.44:
            self.checkin(rng.choice(self._issuing()), member)
        elif roll < 0.66:
            self.spend(rng.choice(self._redeeming()), member)
        elif roll < 0.72:
            self.give_back(rng.choice(self._issuing()))
        elif roll < 0.75:
            self.unspend(rng.choice(self._redeeming()))
        elif roll < 0.80:
            self.overdraft(member)
        elif roll < 0.85:
            self.retry(rng.choice(self.tills))
        elif roll < 0.88:
            store = rng.choice(STORES)[0]  # a store's line is down until the morning
            for till in self.tills:
                till.network.cut_off |= till.store == store
        elif roll < 0.90:
            self.against_role(member)
        else:
            rng.choice(self.tills).sync()

    def earn(self, till: Till, member: str) -> None:
        self.receipts += 1
        amount = self.rng.randint(20, 3000)
        done = till.device.terminal.accrue(member, amount, f"R-{self.receipts}", actor="kim")
        if done.ok and done.event_id:
            till.earned.append(done.event_id)
            self.told.append(Told(done.event_id, till.name, "accrue", member))

    def checkin(self, till: Till, member: str) -> None:
        done = till.device.terminal.checkin(member, actor="kim")
        if done.ok and done.event_id:
            self.told.append(Told(done.event_id, till.name, "checkin", member))

    def spend(self, till: Till, member: str, everything: bool = False) -> None:
        known, _online = till.device.terminal.known_points(member)
        if known.available <= 0:
            return
        wanted = known.available if everything else self.rng.randint(20, 400)
        done = till.device.terminal.spend(member, min(known.available, wanted, 400), "headphones")
        if done.ok and done.event_id:
            till.spent.append(done.event_id)
            self.told.append(Told(done.event_id, till.name, "spend", member))

    def give_back(self, till: Till) -> None:
        """A refund at the till: the purchase's points go back (most often a recent one's)."""
        if not till.earned:
            return
        target = till.earned.pop(max(0, len(till.earned) - 1 - self.rng.randint(0, 3)))
        done = till.device.terminal.void(target, "refund", actor="kim")
        if done.ok and done.event_id:
            self.told.append(Told(done.event_id, till.name, "void", ""))

    def unspend(self, till: Till) -> None:
        """A prize handed back: the spend is voided and its points return."""
        if not till.spent:
            return
        target = till.spent.pop(self.rng.randrange(len(till.spent)))
        done = till.device.terminal.void(target, "prize returned", actor="kim")
        if done.ok and done.event_id:
            self.told.append(Told(done.event_id, till.name, "void", ""))

    def overdraft(self, member: str) -> None:
        """A family shares a card: two tills of different stores hear of its points, both
        stores' lines drop, and each spends what it shows. The server finds one an overdraft."""
        first, second = self.rng.sample(
            [t for t in self._redeeming() if t.device.terminal.claimer is not None], 2
        )
        if first.store == second.store:
            return
        for till in (first, second):
            till.sync()
            till.device.terminal.known_points(member)  # online: the server's lots, remembered
        for till in self.tills:
            till.network.cut_off |= till.store in (first.store, second.store)
        self.spend(first, member, everything=True)
        self.spend(second, member, everything=True)

    def retry(self, till: Till) -> None:
        """The same push again, signed anew, as a till does when the answer to it was lost."""
        waiting = outbox.outgoing(till.device.ledger, 500)
        till.sync()
        if waiting and not till.network.cut_off:
            with suppress(SyncError, Unreachable):
                till.device.client.push(waiting)

    def against_role(self, member: str) -> None:
        """What a partner's role forbids, done at its till anyway (offline it cannot know):
        points given at the electronics chain, or taken at a phone shop. The server refuses."""
        self.wrong_role += 1
        if self.rng.random() < 0.5:
            self.earn(self.rng.choice([t for t in self.tills if t.partner == "volt"]), member)
        else:
            self.spend(self.rng.choice([t for t in self.tills if t.partner == "mobi"]), member)

    def _issuing(self) -> list[Till]:
        return [t for t in self.tills if t.partner in ("mobi", "fuel")]

    def _redeeming(self) -> list[Till]:
        return [t for t in self.tills if t.partner in ("fuel", "volt")]

    def close(self) -> None:
        self.world.close()
