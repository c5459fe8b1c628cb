"""A code a shopper types on the web, redeemed through the devices' own claim path.

The shopper's web is one built-in device (`WEB_DEVICE`) of one built-in store. A code is checked
by the same ciphers a push is re-checked with, claimed in the same `claims` table a till's online
claim uses (`code_claims.claim_codes`), and kept as an accepted redeem event of that device,
counted like any other. So the web and a store can never both win a code online, and a code a
store redeemed offline and syncs later is caught as a `double_redemption` conflict naming the
web's redemption as the first.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, update

from codes import crockford, layout
from codes.campaign import Tier
from codes.checker import CheckResult, CheckStatus, CodeChecker
from codes.common.event_form import GENESIS, canonical_payload
from codes.typo import suspect_group
from server_stub.database.connection import OneConnection, is_sqlite
from server_stub.database.schema import WEB_DEVICE, WEB_EVENT_SEQ, WEB_STORE, devices, events
from server_stub.device_api.code_claims import claim_codes
from server_stub.device_api.recheck import Rechecker
from server_stub.errors import ApiError
from server_stub.limits import counters
from server_stub.limits.counters import Limit
from server_stub.play import web_claim_pg
from server_stub.prizes import outbox, voucher_pools, vouchers
from server_stub.records import event_counts, feed

# Codes that are not ours, per phone: a shopper mistypes a few, a guesser thousands.
WRONG_CODES = Limit("play_wrong_code", 20, 3600, 3600, "codes that are not ours")

_NEXT_SEQ = (  # SQLite's web event number (PostgreSQL's comes from WEB_EVENT_SEQ)
    update(devices)
    .where(devices.c.id == bindparam("device_id"))
    .values(max_seq=devices.c.max_seq + 1, last_seen=bindparam("now"))
    .returning(devices.c.max_seq)
)


class Outcome(StrEnum):
    WON = "won"  # this entry won the code
    YOURS = "yours"  # this phone entered it before: the same win, shown again
    TAKEN = "taken"  # redeemed by someone else, in a store or on the web
    MISTYPED = "mistyped"
    INVALID = "invalid"
    NOT_ISSUED = "not_issued"
    EXPIRED = "expired"
    NOT_STARTED = "not_started"


@dataclass(frozen=True)
class Entry:
    """What one typed code came to, for the page to say."""

    outcome: Outcome
    code: str = ""  # as printed, when the text read as a code
    campaign: str = ""
    tier: str = ""
    reward: str = ""  # the tier's description in the campaign's words
    kind: str = ""  # instant | claim
    value: float = 0.0
    event_id: str = ""
    serial: int = -1
    voucher: str | None = None
    redeemed_at: float = 0.0
    claim_by: str = ""  # a claim prize's deadline, ISO date
    group: int | None = None  # the printed group to look at again (a typo)

    @property
    def won(self) -> bool:
        return self.outcome in (Outcome.WON, Outcome.YOURS)


_REFUSALS = {
    CheckStatus.MISTYPED: Outcome.MISTYPED, CheckStatus.INVALID: Outcome.INVALID,
    CheckStatus.UNKNOWN_CAMPAIGN: Outcome.INVALID, CheckStatus.NOT_ISSUED: Outcome.NOT_ISSUED,
    CheckStatus.EXPIRED: Outcome.EXPIRED, CheckStatus.NOT_STARTED: Outcome.NOT_STARTED,
}  # fmt: skip


class CheckerCache:
    """A code checker over the campaigns a rechecker holds, made once per rechecker."""

    def __init__(self) -> None:
        self._made: tuple[Rechecker, CodeChecker] | None = None

    def checker(self, rechecker: Rechecker) -> CodeChecker:
        made = self._made
        if made is None or made[0] is not rechecker:
            made = self._made = (rechecker, CodeChecker(rechecker.ciphers.values()))
        return made[1]


def redeem(
    db: Engine | OneConnection, rechecker: Rechecker, checker: CodeChecker, phone: str,
    text: str, source: str = "", lang: str = "en",
) -> Entry:  # fmt: skip
    """Redeem a typed code for a confirmed phone. A voucher won is also sent to the phone by
    SMS in `lang`, written to the outbox with the redemption. Raises ApiError 429 when the phone
    has typed too many codes that are not ours. `db`: a request's one connection, or the
    engine."""
    checked = checker.check(text[:200])
    if not checked.valid:
        if isinstance(db, OneConnection):  # the counters open connections of their own
            db.release()
        engine = db.engine if isinstance(db, OneConnection) else db
        return _refused(engine, checker, checked, phone, text, source)
    campaign_id, serial, tier_name = checked.campaign, checked.serial, checked.tier
    assert campaign_id is not None and serial is not None and tier_name is not None
    campaign = rechecker.campaign(campaign_id)
    assert campaign is not None
    now = time.time()
    if rechecker.too_late(campaign_id, now):
        return Entry(Outcome.EXPIRED, checked.code or "")
    tier = campaign.tier_named(tier_name)
    printed = checked.code or ""
    event_id = f"web-{secrets.token_hex(16)}"
    key = (campaign_id, serial)
    value = rechecker.value(campaign_id, tier_name)
    with OneConnection.of(db) as one:
        if _one_statement(one, event_id, key, tier_name, printed, phone, value, now):
            return _won(printed, campaign_id, tier, tier_name, value, event_id, serial, None, now)
        with one.writing() as conn:  # else the plain way; a code claimed before, found
            owner = claim_codes(conn, WEB_DEVICE, WEB_STORE, now, [(*key, event_id)])[key]
            if owner.event_id != event_id:
                return _earlier(conn, owner.event_id, owner.device_id, phone, printed, tier)
            feed.redeemed(conn, WEB_DEVICE, [key], now)
            voucher = vouchers.give(conn, campaign_id, tier_name, event_id, WEB_DEVICE, now=now)
            if voucher:  # its SMS leaves with the redemption or not at all
                reward = (tier.description or tier_name) if tier else tier_name
                outbox.voucher_won(conn, phone, event_id, reward, voucher, lang, now)
            payload = _payload(printed, key, tier_name, phone, voucher)
            _store_event(conn, _event_row(event_id, payload, now, phone, value), payload)
    return _won(printed, campaign_id, tier, tier_name, value, event_id, serial, voucher, now)


def _one_statement(
    one: OneConnection, event_id: str, key: tuple[str, int], tier: str, printed: str,
    phone: str, value: float, now: float,
) -> bool:  # fmt: skip
    """The entry's rows in one statement (web_claim_pg) where it may go that way: on PostgreSQL,
    for a prize without a voucher pool. Whether it won the code; False leaves the entry to the
    plain way (SQLite, a voucher prize, a code claimed before)."""
    if is_sqlite(one.engine) or (key[0], tier) in voucher_pools.pools(one.reading()):
        return False
    payload = _payload(printed, key, tier, phone, None)
    event = _event_row(event_id, payload, now, phone, value)
    counted, shared = event_counts.rows(event_counts.of_event(event, "accepted", payload))
    if len(counted) != 1 or shared:
        return False
    claim = {"campaign": key[0], "serial": key[1], "event_id": event_id, "device_id": WEB_DEVICE,
             "store_id": WEB_STORE, "claimed_at": now}  # fmt: skip
    fed = feed.codes_row("redeemed", WEB_DEVICE, [key], now)
    return web_claim_pg.redeem(one.reading(), claim, fed, counted[0], event)


def _payload(
    printed: str, key: tuple[str, int], tier: str, phone: str, voucher: str | None
) -> dict[str, Any]:
    return {
        "code": printed, "campaign": key[0], "serial": key[1], "tier": tier,
        "context": {"member": phone, "channel": "web"},
        **({"voucher": voucher} if voucher else {}),
    }  # fmt: skip


def _won(
    printed: str, campaign: str, tier: Tier | None, tier_name: str, value: float, event_id: str,
    serial: int, voucher: str | None, now: float,
) -> Entry:  # fmt: skip
    kind = tier.kind if tier else "instant"
    return Entry(
        Outcome.WON, printed, campaign, tier_name, (tier.description or tier_name) if tier else "",
        kind, value, event_id, serial, voucher, now,
        _claim_by(now, tier.claim_days) if tier and kind == "claim" else "",
    )  # fmt: skip


def _event_row(
    event_id: str, payload: dict[str, Any], now: float, phone: str, value: float
) -> dict[str, Any]:
    """The web's redemption as an accepted event's row (no seq yet)."""
    return {
        "event_id": event_id, "device_id": WEB_DEVICE, "kind": "redeem",
        "payload": canonical_payload(payload), "local_time": datetime.fromtimestamp(now, UTC).isoformat(),
        "prev_hash": GENESIS, "mac": "", "received": now, "verdict": "accepted", "reason": "",
        "store_id": WEB_STORE, "actor": "web", "campaign": payload["campaign"],
        "serial": payload["serial"], "tier": payload["tier"], "value": value, "member": phone,
        "points": 0, "receipt": None, "target": None, "conflict_id": None,
    }  # fmt: skip


def _store_event(conn: Connection, row: dict[str, Any], payload: dict[str, Any]) -> None:
    """The web's redemption as an accepted event, counted. On PostgreSQL its number comes from a
    sequence of its own, so concurrent entries never queue on one row; on SQLite, where one
    writer holds the database anyway, from the web device's row."""
    event_counts.add(conn, event_counts.of_event(row, "accepted", payload))
    if is_sqlite(conn):
        row["seq"] = int(
            conn.execute(_NEXT_SEQ, {"device_id": WEB_DEVICE, "now": row["received"]}).scalar_one()
        )
        conn.execute(events.insert(), row)
    else:
        conn.execute(events.insert().values(seq=func.nextval(WEB_EVENT_SEQ)), row)


def _earlier(
    conn: Connection, event_id: str, device_id: str, phone: str, printed: str, tier: Tier | None
) -> Entry:
    """The code was claimed before: by this phone on the web (the same win, shown again, with
    its prize's kind and a claim prize's deadline, as when it was won), or by anyone else."""
    if device_id == WEB_DEVICE:
        row = conn.execute(
            select(events.c.member, events.c.campaign, events.c.serial, events.c.tier,
                   events.c.value, events.c.received, events.c.payload)
            .where(events.c.event_id == event_id)
        ).first()  # fmt: skip
        if row is not None and row.member == phone:
            voucher = json.loads(row.payload).get("voucher")
            kind = tier.kind if tier else "instant"
            return Entry(
                Outcome.YOURS, printed, row.campaign, row.tier,
                (tier.description or row.tier) if tier else "", kind, float(row.value),
                event_id, int(row.serial), voucher, float(row.received),
                _claim_by(float(row.received), tier.claim_days) if tier and kind == "claim" else "",
            )  # fmt: skip
    return Entry(Outcome.TAKEN, printed)


def _refused(
    engine: Engine, checker: CodeChecker, checked: CheckResult, phone: str, text: str,
    source: str,
) -> Entry:  # fmt: skip
    outcome = _REFUSALS.get(checked.status, Outcome.INVALID)
    if outcome in (Outcome.MISTYPED, Outcome.INVALID):
        count = counters.attempt(engine, WRONG_CODES, phone, source or None)
        if not count.allowed:
            raise ApiError(
                429, "too_many_wrong_codes",
                "Too many codes that are not ours. Try again in an hour.",
                headers={"Retry-After": str(count.retry_after())},
            )  # fmt: skip
    group = None
    if outcome is Outcome.MISTYPED and checked.code:
        compact = checked.code.replace("-", "")
        prefix = next((p for p in checker.prefixes if compact.startswith(p)), "")
        if prefix and len(compact) == len(prefix) + layout.BODY_SYMBOLS + 1:
            group = suspect_group(checker, compact, prefix)
    return Entry(outcome, checked.code or _readable(text), group=group)


def _readable(text: str) -> str:
    """What the shopper typed, folded as a code is read, for the page to repeat."""
    try:
        return crockford.normalise(text)
    except crockford.NotACode:
        return text.strip()[:40]


def _claim_by(redeemed_at: float, days: int) -> str:
    return (datetime.fromtimestamp(redeemed_at, UTC) + timedelta(days=days)).date().isoformat()
