"""The member's page at /member/ as data: what the template lays out and what `?format=json`
answers. No HTTP here: the routes (`member_web.py`) read the request, call these and render.

A page is always of the phone its visit confirmed with a one-time password: nothing here takes
a member id, a card or another phone from a request, so no parameter shows another member.
A blocked member's page says so and whom to contact, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from server_stub.catalog import prize_catalogue
from server_stub.database.connection import reader, writing
from server_stub.database.loyalty_tables import lots, partners
from server_stub.database.schema import stores
from server_stub.loyalty import lots as lot_book
from server_stub.loyalty import members
from server_stub.loyalty.members import Member
from server_stub.loyalty.program import program
from server_stub.play import pages
from server_stub.play.pages import masked

PAGE_SIZE = 10  # history lines a page
MOST_PAGES = 50  # older history than 500 lines is the contact centre's to read out
KINDS = ("earn", "spend", "unspend", "return", "void", "expire")


@dataclass(frozen=True)
class Dated:
    """`points` that do something (become available, expire) at the end of day `on` (UTC)."""

    on: date
    points: int

    def as_dict(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "points": self.points}


def member_of(engine: Engine, phone: str) -> Member | None:
    """The member with this confirmed phone (E.164), or None."""
    with reader(engine).connect() as conn:
        return members.find(conn, phone, "ZZ")


def typed_region(engine: Engine, lang: str) -> str:
    """Where a number typed without its country code is from: the program's home region when
    it names one, else the reader's language's country (Russian Russia, Kazakh Kazakhstan, else
    India)."""
    with reader(engine).connect() as conn:
        return members.home_region(conn) or members.region_for(lang)


def join(engine: Engine, phone: str, lang: str, now: float) -> tuple[Member, bool]:
    """Register the confirmed phone as a member who reads in `lang` (registered via the web);
    (member, True) when made, (the first member, False) when the phone had joined before, by
    any channel, even a moment ago."""
    with writing(engine) as conn:
        return members.register(conn, phone, lang=lang, via="web", now=now)


def page_data(engine: Engine, phone: str, now: float, page: int = 1) -> dict[str, Any]:
    """The signed-in phone's page: `step` "join" (not a member: offered registration),
    "blocked" (blocked: say so and whom to call) or "member" (balance, pending and expiring
    points, a page of history and the prize catalogue)."""
    page = max(1, min(page, MOST_PAGES))
    with reader(engine).connect() as conn:
        member = members.find(conn, phone, "ZZ")
        name = program(conn).name
        shown = {"phone": masked(phone), "program": name}
        if member is None:
            return {"step": "join", **shown}
        shown["member_lang"] = member.lang  # the page speaks it unless the reader chose
        if member.blocked is not None:
            return {"step": "blocked", **shown}
        balance = lot_book.balance(conn, member.id, now)
        ripening = _pending_days(conn, member.id, now)
        # one line more than the page shows: whether an older page exists
        moves = lot_book.history(conn, member.id, page * PAGE_SIZE + 1)
        partner_names = {r.id: r.name for r in conn.execute(select(partners.c.id, partners.c.name))}
        on_page = moves[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        store_ids = {m.store_id for m in on_page if m.store_id}
        # a return names its store, not a partner: the store's partner is the one
        store_rows = conn.execute(
            select(stores.c.id, stores.c.name, stores.c.partner_id)
            .where(stores.c.id.in_(sorted(store_ids)))
        ).all() if store_ids else []  # fmt: skip
    store_names = {r.id: r.name for r in store_rows}
    store_partner = {r.id: r.partner_id for r in store_rows}
    catalogue = [
        {"id": i["id"], "name": i["name"], "points": int(i["points"]),
         "partner": i.get("partner", ""), "partner_name": i.get("partner_name", ""),
         "within_reach": int(i["points"]) <= balance.available}
        for i in prize_catalogue.list_items(engine)
    ]  # fmt: skip
    history = [
        {"on": _day(m.at).isoformat(), "kind": m.kind if m.kind in KINDS else "other",
         "points": m.points, "gained": m.points > 0,
         "partner": _name(partner_names, m.partner_id or store_partner.get(m.store_id or "")),
         "store": store_names.get(m.store_id or "", m.store_id or "")}
        for m in on_page
    ]  # fmt: skip
    return {
        "step": "member", **shown, "card": member.card or "",
        "available": balance.available, "pending": balance.pending,
        "pending_dates": [d.as_dict() for d in ripening],
        "expiring": [Dated(e.on, e.points).as_dict() for e in balance.expiring],
        "history": history, "page": page,
        "older": len(moves) > page * PAGE_SIZE and page < MOST_PAGES,
        "catalogue": catalogue,
    }  # fmt: skip


def _pending_days(conn: Any, member_id: int, now: float) -> list[Dated]:
    """When the pending points become available: per day (UTC) the returns window ends."""
    rows = conn.execute(
        select(lots.c.pending_until, func.sum(lots.c.remaining))
        .where(lots.c.member_id == member_id, lots.c.remaining > 0,
               lots.c.pending_until > now, lots.c.expires_at > now)
        .group_by(lots.c.pending_until)
    ).all()  # fmt: skip
    by_day: dict[date, int] = {}
    for until, points in rows:
        day = _day(float(until))
        by_day[day] = by_day.get(day, 0) + int(points)
    return [Dated(day, by_day[day]) for day in sorted(by_day)]


def _name(names: dict[str, str], partner_id: str | None) -> str:
    return names.get(partner_id, partner_id) if partner_id else ""


def _day(at: float) -> date:
    return datetime.fromtimestamp(at, UTC).date()


def day_words(say: Any, on: str, today: date) -> str:
    """An ISO day in the reader's words ("31 December", "31 декабря"; with its year when it is
    not this year's), kept on one line: said as /play/ says its dates (pages.day_words)."""
    return pages.day_words(say, on, today)
