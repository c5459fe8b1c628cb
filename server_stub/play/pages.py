"""Each page of the shopper's web as data: what the template lays out, and what `?format=json`
answers. No HTTP here: the routes (`web.py`) read the request, call these, and render.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import phonenumbers
from sqlalchemy import Engine, bindparam, select

from server_stub.database.connection import OneConnection
from server_stub.database.schema import events, prize_claims, vouchers
from server_stub.play import i18n
from server_stub.play.prize_names import PrizeNames
from server_stub.play.web_redeem import Entry, Outcome

SHOWN_CODES = 50  # the newest a page lists; a shopper with more sees these


def masked(phone: str) -> str:
    """+91 ••• 3210 (its country's calling code, its last four digits): enough for the shopper
    to know the number, not for a passer-by. Non-breaking spaces keep it on one line."""
    try:
        country = f"+{phonenumbers.parse(phone).country_code}"
    except phonenumbers.NumberParseException:
        return phone
    return f"{country}\u00a0•••\u00a0{phone[-4:]}" if len(phone) > len(country) + 4 else phone


def entry_data(entry: Entry, names: PrizeNames, lang: str, today: date) -> dict[str, Any]:
    """What one typed code came to, for a page in `lang`: the words' key and what fills them,
    the prize by its name and a claim's deadline as people read a date."""
    key = {
        Outcome.WON: "entry.won", Outcome.YOURS: "entry.yours", Outcome.TAKEN: "entry.taken",
        Outcome.MISTYPED: "entry.typo_group" if entry.group else "entry.mistyped",
        Outcome.INVALID: "entry.invalid", Outcome.NOT_ISSUED: "entry.not_issued",
        Outcome.EXPIRED: "entry.expired", Outcome.NOT_STARTED: "entry.not_started",
    }[entry.outcome]  # fmt: skip
    return {
        "outcome": entry.outcome.value, "won": entry.won, "key": key, "code": entry.code,
        "group": entry.group, "reward": names.of(entry.campaign, entry.tier, lang),
        "tier": entry.tier, "kind": entry.kind, "voucher": entry.voucher,
        "claim_by": day_words(i18n.translator(lang), entry.claim_by, today) if entry.claim_by else "",
        "claim_link": f"/play/claim?event={entry.event_id}" if entry.won and entry.kind == "claim" else "",
    }  # fmt: skip


# Built once: every code entry lists the codes so far, and building these statements each time
# cost it about as much as running them.
_NEWEST = (
    select(events.c.event_id, events.c.campaign, events.c.serial, events.c.tier,
           events.c.payload, events.c.received, events.c.verdict, events.c.store_id)
    .where(events.c.member == bindparam("phone"), events.c.kind == "redeem")
    .order_by(events.c.received.desc()).limit(SHOWN_CODES).subquery()
)  # fmt: skip
# the shown events' vouchers and this phone's prize claims joined in (an event is given at most
# one voucher, a code at most one claim), after the limit so a phone's thousandth code costs no
# more: each second statement cost every code entry most of a millisecond
_CLAIM_OF = (prize_claims.c.campaign == _NEWEST.c.campaign) & (
    prize_claims.c.serial == _NEWEST.c.serial
) & (prize_claims.c.phone == bindparam("phone"))  # fmt: skip
_SHOWN = (
    select(_NEWEST, vouchers.c.voucher, prize_claims.c.number, prize_claims.c.status)
    .select_from(
        _NEWEST.outerjoin(vouchers, vouchers.c.event_id == _NEWEST.c.event_id).outerjoin(
            prize_claims, _CLAIM_OF
        )
    )
    .order_by(_NEWEST.c.received.desc())
)


def codes_so_far(
    db: Engine | OneConnection, names: PrizeNames, phone: str, lang: str
) -> list[dict[str, Any]]:
    """The phone's redemptions, newest first, on the web or at a kiosk that took the number,
    each with its reward (named in `lang`), its voucher and where its prize claim stands.
    `db`: a request's one connection, or the engine."""
    with OneConnection.of(db) as one:
        rows = one.reading().execute(_SHOWN, {"phone": phone}).all()
    listed = []
    for r in rows:
        campaign = names.rechecker.campaign(r.campaign or "")
        tier = campaign.tier_named(r.tier) if campaign and r.tier else None
        kind = tier.kind if tier else "instant"
        number, status = r.number or "", r.status or ""
        listed.append({
            "code": json.loads(r.payload).get("code", ""), "reward": names.of(r.campaign, r.tier, lang) if tier else "",
            "kind": kind, "voucher": r.voucher, "when": r.received,
            "accepted": r.verdict == "accepted", "claim": number, "claim_status": status,
            "claim_link": f"/play/claim?event={r.event_id}" if kind == "claim" and not number
            and r.verdict == "accepted" else "",
        })  # fmt: skip
    return listed


CLAIM_PATH = ("received", "in_verification", "approved", "dispatched", "delivered")
REJECTED_PATH = ("received", "in_verification", "rejected")


def claim_steps(claim: dict[str, Any]) -> list[dict[str, Any]]:
    """The claim's way as steps for the status page: each done (with its date), the current
    one, or still to come."""
    path = REJECTED_PATH if claim["status"] == "rejected" else CLAIM_PATH
    when: dict[str, float] = {}
    before = ""
    for step in claim.get("timeline", []):
        # a line that repeats the status before it is a note (documents deleted after the
        # retention period, details erased), not a step: the step keeps its own date
        if step["status"] != before:
            when[step["status"]] = step["at"]
        before = step["status"]
    at = path.index(claim["status"]) if claim["status"] in path else 0
    return [
        {
            "status": status,
            "state": "done" if i < at else "current" if i == at else "todo",
            "at": _day(when[status]) if status in when and i <= at else "",
        }
        for i, status in enumerate(path)
    ]


def _day(at: float) -> str:
    return unbroken(datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d"))


def unbroken(iso: str) -> str:
    """An ISO date that a narrow line never breaks at its dashes (non-breaking hyphens)."""
    return iso.replace("-", "\u2011")


def day_words(say: Callable[..., str], on: str, today: date) -> str:
    """An ISO day in the reader's words ("31 December", "31 декабря"; with its year when it is
    not this year's: "5 January 2027"), kept on one line (non-breaking spaces). `say`: the
    page's translator (i18n.translator)."""
    day = date.fromisoformat(on)
    key = "member.date" if day.year == today.year else "member.date_year"
    words = say(key, day=day.day, month=say(f"member.month.{day.month}"), year=day.year)
    return str(words).replace(" ", "\u00a0")
