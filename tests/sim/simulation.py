"""A deterministic simulation of a store chain: terminals, a server, and a network that misbehaves.

One seed decides everything: which terminal does what, which code a shopper brings (some codes are
shown at several stores on purpose), when the network drops a request or an answer, duplicates
or delays one, when a store is cut off, how far a terminal's clock is off, and when a terminal is
killed in the middle of a sync. After the network heals and everyone syncs, `check` asserts what
the product promises.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from server_stub.catalog import campaign_setup, enrollment, store_setup
from server_stub.database.connection import migrate, open_engine
from server_stub.database.loyalty_tables import program
from server_stub.database.schema import balances, claims, conflicts, devices, events
from server_stub.device_api.service import SyncService
from sync.claimer import ServerClaimer
from sync.client import SyncClient
from sync.cycle import client_for, run_cycle
from sync.enroll import enroll
from sync.transport import Reply, Transport, Unreachable
from terminal.engine import Terminal
from terminal.ledger import Ledger
from tests.world import InProcess

STORES = ("north", "south")
TERMINALS_PER_STORE = 3
MEMBERS = ("M-1", "M-2", "M-3", "M-4")
ISSUED = 400


class Killed(Exception):
    """The terminal's process died here (power cut, crash); it restarts from its files."""


@dataclass
class Faults:
    drop_request: float = 0.0
    drop_answer: float = 0.0  # the server did the work, the answer never arrived
    duplicate: float = 0.0
    delay: float = 0.0  # held back and delivered later, after newer requests
    kill: float = 0.0  # the terminal dies right after the server answered


class FaultyNetwork:
    """One terminal's way to the server, with the faults the seed chose."""

    def __init__(self, server: Transport, rng: random.Random, faults: Faults) -> None:
        self.server, self.rng, self.faults = server, rng, faults
        self.cut_off = False
        self.held: list[tuple[str, str, dict[str, str], bytes]] = []

    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> Reply:
        self._deliver_held()
        f = self.faults
        if self.cut_off or self.rng.random() < f.drop_request:
            raise Unreachable("no route to the server")
        if self.rng.random() < f.delay:
            self.held.append((method, path, headers, body))
            raise Unreachable("timed out (the request is still on its way)")
        reply = self.server.send(method, path, headers, body, timeout)
        if self.rng.random() < f.duplicate:
            self.server.send(method, path, headers, body, timeout)  # the copy gets `replay`
        if self.rng.random() < f.kill:
            raise Killed(path)
        if self.rng.random() < f.drop_answer:
            raise Unreachable("connection reset after the server answered")
        return reply

    def deliver_all_held(self) -> None:
        while self.held:
            method, path, headers, body = self.held.pop(0)
            self.server.send(method, path, headers, body, 5.0)

    def _deliver_held(self) -> None:
        while self.held and self.rng.random() < 0.5:
            method, path, headers, body = self.held.pop(0)
            self.server.send(method, path, headers, body, 5.0)


@dataclass
class Till:
    name: str
    path: Path
    network: FaultyNetwork
    online_first: bool
    skew_s: float
    terminal: Terminal = field(init=False)
    ledger: Ledger = field(init=False)
    client: SyncClient = field(init=False)

    def open(self) -> None:
        self.ledger = Ledger(self.path)
        self.client = client_for(self.ledger, self.network)
        self.client.backoff = 0.0
        skew = self.skew_s
        self.client.now = lambda: time.time() + skew
        claimer = ServerClaimer(self.client, self.ledger) if self.online_first else None
        self.terminal = Terminal(self.ledger, claimer=claimer)

    def restart(self) -> None:
        self.terminal.close()  # closes the ledger too
        self.open()

    def sync(self) -> None:
        try:
            run_cycle(self.ledger, self.client)
        except Killed:
            self.restart()


@dataclass
class Confirmed:
    """What a person was told was done."""

    event_id: str
    till: str
    kind: str
    code: str | None = None
    member: str | None = None


def build_template(folder: Path) -> tuple[Path, list[tuple[str, str, Path]], list[str]]:
    """A server database with a campaign and enrolled tills; copied for every seed."""
    from codes import campaign as campaign_file
    from codes.campaign import parse_tiers

    folder.mkdir(parents=True, exist_ok=True)
    made = campaign_file.create(folder / "campaign.toml", "sim", "SM",
                                parse_tiers("gold:5,silver:40,music:*"), capacity=10_000)  # fmt: skip
    engine = open_engine(f"sqlite:///{folder / 'server.db'}")
    migrate(engine)
    with engine.begin() as conn:  # no returns window: what a till earns can be spent at once
        conn.execute(update(program).values(pending_days=0))
    for store in STORES:
        store_setup.create_store(engine, store, store.title())
    campaign_setup.add_campaign(engine, made.campaign, made.key, plan_seed=made.plan_seed)
    campaign_setup.mint_codes(engine, "sim", ISSUED, folder / "codes.csv")
    transport = InProcess(SyncService(engine))
    tills = []
    for store in STORES:
        for n in range(TERMINALS_PER_STORE):
            name = f"{store}-{n + 1}"
            token = enrollment.enroll_device(engine, store, name)["token"]
            path = folder / f"{name}.db"
            enroll(path, "http://sim", token, transport)
            tills.append((name, store, path))
    engine.dispose()
    codes = [line.split(",")[0] for line in (folder / "codes.csv").read_text().splitlines()[1:]]
    return folder / "server.db", tills, codes


class Simulation:
    def __init__(self, seed: int, template: Path, work: Path, steps: int = 50) -> None:
        self.seed, self.rng, self.steps = seed, random.Random(seed), steps
        server_db, till_files, self.codes = build_template_cached(template)
        work.mkdir(parents=True, exist_ok=True)
        shutil.copy(server_db, work / "server.db")
        self.engine: Engine = open_engine(f"sqlite:///{work / 'server.db'}")
        self.server = InProcess(SyncService(self.engine))
        rng = self.rng
        faults = Faults(
            drop_request=rng.uniform(0, 0.2), drop_answer=rng.uniform(0, 0.2),
            duplicate=rng.uniform(0, 0.15), delay=rng.uniform(0, 0.1), kill=rng.uniform(0, 0.08),
        )  # fmt: skip
        self.tills: list[Till] = []
        for name, _store, path in till_files:
            copy = work / path.name
            shutil.copy(path, copy)
            till = Till(
                name, copy, FaultyNetwork(self.server, random.Random(rng.random()), faults),
                online_first=rng.random() < 0.5, skew_s=rng.uniform(-86_400, 86_400),
            )  # fmt: skip
            till.open()
            self.tills.append(till)
        self.confirmed: list[Confirmed] = []
        self.fresh = list(self.codes)
        rng.shuffle(self.fresh)
        self.shown: list[str] = []
        self.receipts = 0
        self.rescanned = 0  # codes voided and redeemed again at the same till

    # -- the workload -----------------------------------------------------------------------

    def run(self) -> None:
        for _ in range(self.steps):
            self.step()
        for till in self.tills:  # the network heals
            till.network.faults = Faults()
            till.network.cut_off = False
        for _ in range(2):  # everyone pushes, then everyone hears of everyone else
            for till in self.tills:
                till.network.deliver_all_held()
                till.sync()

    def step(self) -> None:
        rng, till = self.rng, self.rng.choice(self.tills)
        roll = rng.random()
        if roll < 0.40:
            self.redeem(till)
        elif roll < 0.52:
            self.points(till, "accrue")
        elif roll < 0.57:
            self.points(till, "spend")
        elif roll < 0.60:
            self.shared_card()
        elif roll < 0.64:
            self.void(till)
        elif roll < 0.68:
            store = rng.choice(STORES)  # a store's line goes down, or comes back
            for t in self.tills:
                if t.name.startswith(store):
                    t.network.cut_off = not t.network.cut_off
        else:
            till.sync()

    def redeem(self, till: Till) -> None:
        if self.shown and self.rng.random() < 0.25:
            code = self.rng.choice(self.shown)  # the same pack shown at another counter
        else:
            code = self.fresh.pop()
            self.shown.append(code)
        result = till.terminal.redeem(code, actor=f"cashier-{till.name}")
        if result.ok:
            assert result.event_id is not None
            self.confirmed.append(Confirmed(result.event_id, till.name, "redeem", code=code))

    def points(
        self, till: Till, kind: str, member: str | None = None, everything: bool = False
    ) -> None:
        member = member or self.rng.choice(MEMBERS)
        if kind == "accrue":
            self.receipts += 1
            result = till.terminal.accrue(member, self.rng.randint(0, 1000), f"R-{self.receipts}")
        else:
            known = till.terminal.balance(member).balance or 0  # spend what this till believes
            if known <= 0:
                return
            amount = known if everything else min(known, self.rng.randint(10, 80))
            result = till.terminal.spend(member, amount, "prize")
        if result.ok:
            assert result.event_id is not None
            self.confirmed.append(Confirmed(result.event_id, till.name, kind, member=member))

    def shared_card(self) -> None:
        """A family shares a card: points are earned and both counters of a store hear of them;
        the store's line drops; each counter spends everything it shows (an overdraft)."""
        store = self.rng.choice(STORES)
        first, second = self.rng.sample([t for t in self.tills if t.name.startswith(store)], 2)
        member = self.rng.choice(MEMBERS)
        self.points(first, "accrue", member)
        first.sync()
        second.sync()
        for till in self.tills:
            if till.name.startswith(store):
                till.network.cut_off = True
        self.points(first, "spend", member, everything=True)
        self.points(second, "spend", member, everything=True)

    def void(self, till: Till) -> None:
        mine = [c for c in self.confirmed if c.till == till.name and c.kind != "void"]
        if not mine:
            return
        target = self.rng.choice(mine)
        result = till.terminal.void(target.event_id, "refund")
        if result.ok:
            assert result.event_id is not None
            self.confirmed.append(Confirmed(result.event_id, till.name, "void"))
            if target.code is not None and self.rng.random() < 0.5:
                self.rescanned += 1  # scanned for the wrong shopper, voided, scanned again
                again = till.terminal.redeem(target.code, actor=f"cashier-{till.name}")
                if again.ok:
                    assert again.event_id is not None
                    self.confirmed.append(
                        Confirmed(again.event_id, till.name, "redeem", code=target.code)
                    )

    # -- the promises -----------------------------------------------------------------------

    def check(self) -> None:
        with self.engine.connect() as conn:
            stored = {r.event_id: r for r in conn.execute(select(events))}
            claim_rows = list(conn.execute(select(claims)))
            conflict_rows = list(conn.execute(select(conflicts)))
            server_balances = {r.member: int(r.balance) for r in conn.execute(select(balances))}
            chains = {r.name: bool(r.chain_ok) for r in conn.execute(select(devices))}
        # everything confirmed to a person reached the server, once
        missing = [c for c in self.confirmed if c.event_id not in stored]
        assert not missing, f"confirmed but never stored: {missing[:3]}"
        local_events = 0
        for till in self.tills:
            assert till.ledger.verify_chain() is None, f"{till.name}: chain broken"
            rows = till.ledger.read("SELECT event_id, state FROM events")
            local_events += len(rows)
            for row in rows:
                assert row["state"] != "pending", f"{till.name}: event still pending after healing"
                assert row["state"] == stored[row["event_id"]].verdict, (
                    f"{till.name}: event {row['event_id']} is {row['state']} here, "
                    f"{stored[row['event_id']].verdict} at the server"
                )
        assert local_events == len(stored), "the server holds events no till made, or lost some"
        assert all(chains.values()), f"the server flagged a chain: {chains}"
        # one winner per code; each other redemption is a conflict; no conflict from nowhere
        redeems: dict[str, list[Any]] = {}
        for e in stored.values():
            if e.kind == "redeem":
                redeems.setdefault(json.loads(e.payload)["code"], []).append(e)
        winners = {(r.campaign, r.serial): r.event_id for r in claim_rows}
        for code, found in redeems.items():
            accepted = [e for e in found if e.verdict == "accepted"]
            live = [e for e in accepted if not self._voided(stored, e.event_id)]
            assert len(live) <= 1, f"{code}: {len(live)} standing winners"
            for e in found:
                if e.verdict == "conflict":
                    assert len(found) >= 2, f"{code}: a conflict with a single redemption"
            if live:
                assert winners.get((live[0].campaign, live[0].serial)) == live[0].event_id
        for c in conflict_rows:
            if c.kind == "double_redemption":
                assert stored[c.loser_event].verdict in ("conflict", "rejected", "accepted")
                assert c.winner_event != c.loser_event
                # no till here loses what it wrote, so none may be set against itself
                assert c.winner_device != c.loser_device, f"{c.code}: a till against itself"
        # balances: the sum of what was accepted, the same at the server and at every till
        expected: dict[str, int] = {}
        for e in stored.values():
            if (
                e.member
                and e.kind in ("accrue", "checkin", "spend", "void")
                and e.verdict == "accepted"  # an overdraft (conflict) consumed no lot
            ):
                expected[e.member] = expected.get(e.member, 0) + int(e.points)
        for member, total in expected.items():
            assert server_balances.get(member, 0) == total, f"{member}: server balance off"
        for till in self.tills:
            for member in MEMBERS:
                if member in expected:
                    local = till.terminal.ledger.local_balance(member)
                    seen = till.ledger.one("SELECT 1 FROM events WHERE member = ?", (member,))
                    if seen:
                        assert local == expected[member], (
                            f"{till.name}: {member} has {local}, server {expected[member]}"
                        )

    @staticmethod
    def _voided(stored: dict[str, Any], event_id: str) -> bool:
        return any(
            e.kind == "void" and e.target == event_id and e.verdict == "accepted"
            for e in stored.values()
        )

    def close(self) -> None:
        for till in self.tills:
            till.terminal.close()
        self.engine.dispose()


_TEMPLATES: dict[Path, tuple[Path, list[tuple[str, str, Path]], list[str]]] = {}


def build_template_cached(folder: Path) -> tuple[Path, list[tuple[str, str, Path]], list[str]]:
    if folder not in _TEMPLATES:
        _TEMPLATES[folder] = build_template(folder)
    return _TEMPLATES[folder]
