"""The helpdesk's "what happened to my code?": a code as the shopper reads it off the pack
(normalised as the terminals do), a phone number or a member id, answered with where, when, by
which device and cashier, its state and its conflict. Narrowed to what the viewer may see.

The code checker is asked first, as `instore codes check` would be: text shaped like a code that
fails its check symbol "looks mistyped", and one that passes it but no campaign made is "not a
valid code", instead of being looked up as a member nobody has. A phone number, or a member the
server knows, is still a member whatever the checker thinks of it."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, or_, select

from codes.campaign_cipher import CampaignCipher
from codes.checker import CheckResult, CheckStatus, CodeChecker
from server_stub.accounts.users import Viewer
from server_stub.catalog import campaign_setup
from server_stub.dashboard.pages import device_time_text, when_text
from server_stub.database.schema import (
    balances,
    claims,
    conflicts,
    devices,
    events,
    member_stores,
    stores,
)

# A member as the terminals write one (terminal/members.py; the server may not import the
# terminal, and a test holds the two equal): a phone number keeps its digits and a leading +.
_PHONE = re.compile(r"^\+?[\d\s().\-/]{6,}$")
MAX_QUERY = 200


def normalise_member(text: str) -> str:
    text = text.strip()
    if len(text) > 128:
        return ""
    if _PHONE.match(text):
        return ("+" if text.startswith("+") else "") + re.sub(r"\D", "", text)
    return text


def lookup(engine: Engine, viewer: Viewer, query: str) -> dict[str, Any]:
    query = query.strip()[:MAX_QUERY]
    answer: dict[str, Any] = {"query": query, "code": None, "member": None, "events": []}
    if not query:
        return answer
    with engine.connect() as conn:
        checker = CodeChecker(
            [CampaignCipher(c, key, seed) for (c, key), seed in _with_seeds(conn)]
        )
        checked = checker.check(query)
        if checked.campaign is not None and checked.serial is not None:
            if not viewer.may_see_campaign(checked.campaign):
                return answer
            where: ColumnElement[bool] = and_(  # the words of the events_code index
                events.c.kind == "redeem", events.c.campaign == checked.campaign,
                events.c.serial == checked.serial,
            )  # fmt: skip
            owner = conn.execute(
                select(claims, devices.c.name.label("device_name"))
                .join(devices, devices.c.id == claims.c.device_id, isouter=True)
                .where(claims.c.campaign == checked.campaign, claims.c.serial == checked.serial)
            ).first()  # fmt: skip
            answer["code"] = {
                "code": checked.code, "campaign": checked.campaign, "serial": checked.serial,
                "tier": checked.tier, "check": checked.status.value, "message": checked.message,
                "redeemed_at_store": owner.store_id if owner else None,
                "redeemed_by_device": owner.device_name if owner else None,
                "redeemed": when_text(owner.claimed_at) if owner else None,
            }  # fmt: skip
            if owner is not None and not viewer.may_see_store(owner.store_id):
                answer["code"].update(redeemed_at_store="another store", redeemed_by_device=None)
        else:
            member = normalise_member(query)
            known = conn.execute(select(balances).where(balances.c.member == member)).first()
            if known is None and _looks_like_a_code(query, checked) and not _seen(conn, member):
                answer["code"] = {
                    "code": checked.code or query, "campaign": None, "serial": None,
                    "tier": None, "check": checked.status.value, "message": checked.message,
                    "redeemed": None,
                }  # fmt: skip
                return answer
            where = events.c.member == member
            shown = known is not None and _may_see_balance(conn, viewer, member)
            balance = known.balance if known is not None and shown else None
            answer["member"] = {"member": member, "balance": balance}
        if not viewer.sees_every_store:  # narrowed in the query, before its limit
            where = and_(where, events.c.store_id.in_(viewer.stores))
        if not viewer.sees_every_campaign:  # points belong to no campaign: not theirs either
            where = and_(where, events.c.campaign.in_(viewer.campaigns))
        rows = conn.execute(
            select(events, devices.c.name.label("device_name"), stores.c.name.label("store_name"))
            .join(devices, devices.c.id == events.c.device_id, isouter=True)
            .join(stores, stores.c.id == events.c.store_id, isouter=True)
            .where(where).order_by(events.c.received.desc()).limit(100)
        ).all()  # fmt: skip
        ids = [r.event_id for r in rows]
        conflict_of: dict[str, int] = {}
        if ids:
            for c in conn.execute(
                select(conflicts.c.id, conflicts.c.loser_event, conflicts.c.winner_event).where(
                    or_(conflicts.c.loser_event.in_(ids), conflicts.c.winner_event.in_(ids))
                )
            ):
                conflict_of[c.loser_event] = conflict_of[c.winner_event or ""] = c.id
    for r in rows:
        answer["events"].append({
            "kind": r.kind, "verdict": r.verdict, "reason": r.reason,
            "store": r.store_name or r.store_id, "device": r.device_name or r.device_id,
            "cashier": r.actor, "device_time": device_time_text(r.local_time), "server_time": when_text(r.received),
            "points": r.points, "tier": r.tier, "conflict": conflict_of.get(r.event_id),
            "code": json.loads(r.payload).get("code") if r.kind == "redeem" else None,
        })  # fmt: skip
    return answer


def _looks_like_a_code(query: str, checked: CheckResult) -> bool:
    """A code gone wrong: a known campaign's prefix with the wrong length or check symbol, or
    the shape of a code (its printed form) that is not one. Never a phone number."""
    if _PHONE.match(query):
        return False
    if checked.status is CheckStatus.MISTYPED:
        return True
    return checked.code is not None and checked.status in (
        CheckStatus.INVALID, CheckStatus.UNKNOWN_CAMPAIGN,
    )  # fmt: skip


def _may_see_balance(conn: Any, viewer: Viewer, member: str) -> bool:
    """A member's balance is the chain's loyalty: a store manager sees it where the member was
    seen in one of their stores, a campaign manager never (points belong to no campaign)."""
    if not viewer.sees_every_campaign:
        return False
    if viewer.sees_every_store:
        return True
    query = select(member_stores.c.member).where(
        member_stores.c.member == member, member_stores.c.store_id.in_(viewer.stores)
    )
    return conn.execute(query.limit(1)).first() is not None


def _seen(conn: Any, member: str) -> bool:
    """Whether any event names this member (its index holds only events that name one)."""
    query = select(events.c.event_id).where(events.c.member == member).limit(1)
    return member != "" and conn.execute(query).first() is not None


def _with_seeds(conn: Any) -> list[tuple[Any, bytes | None]]:
    seeds = campaign_setup.load_plan_seeds(conn)
    return [((c, key), seeds.get(c.id)) for c, key in campaign_setup.load_campaigns(conn)]
