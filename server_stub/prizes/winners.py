"""The public winners list of a campaign that asks for one (`winners_list` in its file): its
major winners as first name, the initial of the last name and city, newest first.

Major winners are those of the campaign's `claim` tiers (a prize that ships) whose claim was
approved or has gone further. Never a winner who opted out (`listed` False, on the claim form or
the status page), never one whose details were erased, and never more of a person than that: no
phone, no address, no code, no claim number. A claim is listed only where its form offered the
choice (the campaign had its list when the claim was filed); `set_listed` changes it later.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update

from codes.campaign import Campaign
from server_stub.database.connection import reader, writing
from server_stub.database.schema import prize_claims
from server_stub.errors import ApiError

SHOWN = 100  # the newest this many: a list, not an archive
PUBLIC_STATUSES = ("approved", "dispatched", "delivered")


def winners(engine: Engine, campaign: Campaign, limit: int = SHOWN) -> list[dict[str, Any]]:
    """The campaign's listed major winners, newest first: name ("Asha R."), city ("" when not
    given), prize (the tier's words in the campaign file), its tier and month ("2026-05", when the claim was filed). [] for a
    campaign without a list, or without a claim tier."""
    prizes = {t.name: t.description or t.name for t in campaign.tiers if t.kind == "claim"}
    if not campaign.winners_list or not prizes:
        return []
    c = prize_claims.c
    query = (
        select(c.name, c.city, c.tier, c.created)
        .where(
            c.campaign == campaign.id, c.tier.in_(sorted(prizes)),
            c.status.in_(PUBLIC_STATUSES), c.listed.is_(True), c.erased.is_(None),
        )
        .order_by(c.created.desc(), c.number)
        .limit(limit)
    )  # fmt: skip
    with reader(engine).connect() as conn:
        rows = conn.execute(query).all()
    listed = []
    for row in rows:
        name = public_name(row.name)
        if not name:  # nothing left to show of a person (an erased name slipped past)
            continue
        listed.append({
            "name": name, "city": (row.city or "").strip(), "prize": prizes[row.tier],
            "tier": row.tier,
            "month": datetime.fromtimestamp(row.created, UTC).strftime("%Y-%m"),
        })  # fmt: skip
    return listed


def public_name(full: str) -> str:
    """The first word and the initial of the last: "Asha R." for "Asha Kumari Rao"; one word
    alone as it is. The initial keeps the marks that belong to its letter (a Devanagari vowel
    sign), so it is a letter a reader knows."""
    words = full.split()
    if not words:
        return ""
    last = next((w for w in reversed(words[1:]) if any(ch.isalpha() for ch in w)), "")
    return f"{words[0]} {_initial(last)}." if last else words[0]


def _initial(word: str) -> str:
    start = next(i for i, ch in enumerate(word) if ch.isalpha())
    end = start + 1
    while end < len(word) and unicodedata.category(word[end]).startswith("M"):
        end += 1
    return word[start:end].upper()


def listing(engine: Engine, number: str, phone: str) -> bool | None:
    """Whether the claim `number` of `phone` is on its campaign's list (when the campaign has
    one); None when no claim has that number for that phone, or its details were erased."""
    c = prize_claims.c
    query = select(c.listed).where(c.number == number, c.phone == phone, c.erased.is_(None))
    with reader(engine).connect() as conn:
        found = conn.execute(query).first()
    return None if found is None else bool(found.listed)


def set_listed(engine: Engine, number: str, phone: str, listed: bool) -> None:
    """The winner's choice, from the status page: on the list (True) or off it. A number and
    phone that do not match answer 404 as a number never made does (nothing is told of other
    claims); so does an erased claim."""
    c = prize_claims.c
    with writing(engine) as conn:
        done = conn.execute(
            update(prize_claims)
            .where(c.number == number, c.phone == phone, c.erased.is_(None))
            .values(listed=listed)
        )
    if done.rowcount != 1:
        raise ApiError(404, "not_found", "There is no such claim for this phone number.")
