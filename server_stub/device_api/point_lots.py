"""Points events of a push as lots (loyalty.lots): the member a till named, found or registered;
an accrual or check-in becomes a lot of the store's partner, a spend consumes lots (or is an
overdraft, consuming nothing), a void of an accrual takes its lot back, a void of a spend gives
its points back to the lots it used. Then the balances every store where the member was seen
hears of, and the `balances` table kept as a cache of the lots' sum for the pages that read it.

A store of no partner earns and redeems as the built-in partner `house` (HOUSE): a program of
one chain is a coalition of one. A member is named by phone or card as the till took it; an
unknown phone is registered (via "sync"), an unknown card number becomes a member with that card
and no phone (older tills' member numbers too, e.g. "M-1"). A blocked member earns and spends
nothing: the event is rejected with `member_blocked`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from server_stub.catalog import device_config
from server_stub.database.connection import insert_ignore
from server_stub.database.loyalty_tables import lots as lot_table
from server_stub.database.loyalty_tables import members as member_table
from server_stub.database.schema import balances, member_stores
from server_stub.device_api.push_state import Incoming, Push
from server_stub.errors import ApiError
from server_stub.loyalty import lots, members, partners
from server_stub.loyalty.program import program
from server_stub.phones.numbers import normalise_phone
from server_stub.records import feed

HOUSE = "house"  # the partner of a store that belongs to none
_SPACING = re.compile(r"[\s\-]+")
_CARD = re.compile(r"[A-Z0-9]{1,32}")


@dataclass
class Book:
    """One push's points: its store's partner, the program, members by the key a till used."""

    conn: Connection
    state: Push
    partner: str = HOUSE
    issues: bool = True
    redeems: bool = True
    oldest: float = 0.0  # an event's own time is believed back to here (the offline limit)
    found: dict[str, members.Member | None] = field(default_factory=dict)
    touched: dict[str, int] = field(default_factory=dict)  # member key -> member id

    def __post_init__(self) -> None:
        store = self.state.device.store_id
        own = partners.of_store(self.conn, store)
        if own is not None:
            self.partner, self.issues, self.redeems = own.id, own.issues, own.redeems
        offline = device_config.device_config(self.conn, store).max_offline_seconds
        self.oldest = self.state.now - offline
        self.terms = program(self.conn)

    def at(self, item: Incoming) -> float:
        """When the event happened, by its till's clock, held between the offline limit and now:
        a lot earned offline is dated as the till dated it (so both agree on its pending end),
        and no clock makes points spendable sooner than the server's."""
        return believed(item.event["local_time"], self.oldest, self.state.now)

    def member(self, key: str, register: bool = True) -> members.Member | None:
        if key not in self.found or (self.found[key] is None and register):
            self.found[key] = find(self.conn, key) or (
                _register(self.conn, key, self.state.now) if register else None
            )  # fmt: skip
        return self.found[key]

    def apply(self, item: Incoming) -> None:
        """An accepted accrual, check-in or spend: a lot, or lots consumed, or a refusal."""
        kind, key, points = item.event["kind"], item.member, int(item.row["points"])
        member = self.member(key)
        if member is None:
            item.refuse(f"bad_member: {key[:64]!r} is neither a phone number nor a card number")
            return
        if member.blocked is not None:
            item.refuse(f"member_blocked: member {key[:64]} is blocked")
            return
        earning = kind in ("accrue", "checkin", "spin")
        if earning and not self.issues:
            item.refuse(f"partner_no_accrual: partner {self.partner} does not issue points")
            return
        if not earning and not self.redeems:
            item.refuse(f"partner_no_redemption: partner {self.partner} takes no points")
            return
        self.touched[key] = member.id
        if earning:
            if points > 0:
                lots.earn(self.conn, member.id, points, partner_id=self.partner,
                          store_id=self.state.device.store_id, event_id=item.row["event_id"],
                          at=self.at(item), program=self.terms)  # fmt: skip
            return
        wanted = -points
        short = lots.spend(self.conn, member.id, wanted, event_id=item.row["event_id"],
                           redeemer=self.partner, store_id=self.state.device.store_id,
                           at=self.at(item))  # fmt: skip
        if short:
            item.verdict = "conflict"
            item.reason = f"overdraft: {key} spent {wanted} points with {wanted - short} left"
            self.state.conflict(item, "overdraft", points=wanted)

    def undo(self, item: Incoming, target_kind: str, target_event: str, key: str) -> None:
        """A void of an accepted (or overdrawn) points event: the void's row says what it moved."""
        item.row["member"] = key
        member = self.member(key, register=False)
        if member is None:
            item.row["points"] = 0
            return
        self.touched[key] = member.id
        if target_kind == "spend":
            item.row["points"] = lots.give_back(self.conn, target_event, at=self.at(item))
            return
        lot = self.conn.execute(
            select(lot_table.c.points).where(lot_table.c.event_id == target_event)
        ).scalar()  # fmt: skip
        if not lot:
            item.row["points"] = 0
            return
        short = lots.take_back(
            self.conn, member.id, int(lot), event_id=item.row["event_id"], at=self.at(item),
            store_id=self.state.device.store_id, lot_event_id=target_event, kind="void",
        )  # fmt: skip
        if short:
            actor = item.row["actor"] or ""
            self.state.alert(
                "points_spent_before_void",
                f"{self.state.device.name}, cashier {actor or '-'}: void {item.event['seq']} of"
                f" {target_event} for {key} took back {int(lot) - short} of {int(lot)} points;"
                " the rest was spent",
                actor,
            )  # fmt: skip
        item.row["points"] = -(int(lot) - short)

    def tell(self) -> None:
        """Each member's balance to the stores where they were seen, and into the cache."""
        if not self.touched:
            return
        now, store = self.state.now, self.state.device.store_id
        held = open_lots(self.conn, set(self.touched.values()), now)
        keys = sorted(self.touched)
        totals = {k: sum(x["remaining"] for x in held[self.touched[k]]) for k in keys}
        conn = self.conn
        conn.execute(insert_ignore(conn, balances),
                     [{"member": k, "balance": 0, "updated": now} for k in keys])  # fmt: skip
        for k in keys:
            conn.execute(
                update(balances).where(balances.c.member == k)
                .values(balance=totals[k], updated=now)
            )  # fmt: skip
        conn.execute(insert_ignore(conn, member_stores),
                     [{"member": k, "store_id": store} for k in keys])  # fmt: skip
        feed.balances(
            conn, self.state.device.id,
            {k: available(held[self.touched[k]], now) for k in keys}, now,
            lots={k: held[self.touched[k]] for k in keys},
        )  # fmt: skip


def believed(local_time: object, oldest: float, now: float) -> float:
    """When an event happened: its till's clock (`local_time`, ISO), held between `oldest` (the
    store's offline limit back from now) and `now`; `now` when it cannot be read."""
    try:
        made = datetime.fromisoformat(local_time).timestamp()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return now
    return min(max(made, oldest), now)


def open_lots(
    conn: Connection, member_ids: set[int], now: float
) -> dict[int, list[dict[str, Any]]]:
    """Each member's open lots not expired at `now`, oldest first, as the wire's WireLot."""
    found: dict[int, list[dict[str, Any]]] = {m: [] for m in member_ids}
    if not member_ids:
        return found
    for r in conn.execute(
        select(lot_table.c.id, lot_table.c.member_id, lot_table.c.partner_id,
               lot_table.c.earned_at, lot_table.c.pending_until, lot_table.c.expires_at,
               lot_table.c.remaining)
        .where(lot_table.c.member_id.in_(sorted(member_ids)), lot_table.c.remaining > 0,
               lot_table.c.expires_at > now)
        .order_by(lot_table.c.earned_at, lot_table.c.id)
    ):  # fmt: skip
        found[int(r.member_id)].append({
            "id": int(r.id), "partner": r.partner_id, "earned": float(r.earned_at),
            "pending_until": float(r.pending_until), "expires_at": float(r.expires_at),
            "remaining": int(r.remaining),
        })  # fmt: skip
    return found


def available(held: list[dict[str, Any]], now: float) -> int:
    """What of these lots can be spent now: the balance a till is told."""
    return sum(x["remaining"] for x in held if x["pending_until"] <= now)


def find(conn: Connection, key: str) -> members.Member | None:
    """The member a till's key names: a phone or card (members.find), or an older till's short
    member number kept as a card."""
    found = members.find(conn, key)
    if found is not None:
        return found
    card = _card_of(key)
    if card is None:
        return None
    row = conn.execute(select(member_table.c.id).where(member_table.c.card == card)).first()
    return None if row is None else members.by_id(conn, int(row.id))


def _card_of(key: str) -> str | None:
    """The card number a till's key is kept under when it is no phone: an older till's member
    number, or a phone-shaped number no country issues (mistyped, or a reserved range). The till
    confirmed those points to the shopper, so they are kept, never refused; a leading + goes."""
    card = _SPACING.sub("", key).upper()
    if card.startswith("+") and card[1:].isdigit():
        card = card[1:]
    return card if _CARD.fullmatch(card) else None


def _register(conn: Connection, key: str, now: float) -> members.Member | None:
    """A member for a key no member has: by phone when it is one, else by card number."""
    try:
        normalise_phone(key, members.reading_region(conn, key))
    except ApiError:
        pass
    else:
        return members.register(conn, key, via="sync", now=now)[0]
    card = _card_of(key)
    if card is None:
        return None
    for _ in range(3):
        row = conn.execute(select(member_table.c.id).where(member_table.c.card == card)).first()
        if row is not None:
            return members.by_id(conn, int(row.id))
        try:
            with conn.begin_nested():  # another push registering the same card may win
                conn.execute(member_table.insert().values(
                    phone=None, card=card, registered_via="sync", created=now
                ))  # fmt: skip
        except IntegrityError:
            continue
    row = conn.execute(select(member_table.c.id).where(member_table.c.card == card)).first()
    return None if row is None else members.by_id(conn, int(row.id))
