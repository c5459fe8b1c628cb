"""The offline engine: what a kiosk or a till asks, answered from the ledger and the cipher.

Plain Python, no network I/O: when sync can reach the server it hands in a `Claimer`, which is
tried first with a short timeout; a refusal refuses, and a failure or timeout falls back to the
offline rules. Every result that says "done" was committed to disk before it was returned.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from codes import campaign as campaign_file
from codes.campaign import Campaign, Tier
from codes.campaign_cipher import CampaignCipher
from codes.checker import CheckResult, CheckStatus, CodeChecker
from codes.cli_common import counted
from terminal import chain
from terminal.config import SCOPE_WORDS, Limit, TerminalConfig, TierRule, default_rule
from terminal.ledger import Device, Ledger, LedgerError, now_iso
from terminal.members import GIVE_MEMBER, normalise_member
from terminal.results import Result, Status


@dataclass(frozen=True)
class ClaimRequest:
    event_id: str
    device_id: str
    campaign: str
    serial: int
    code: str


class ClaimRefused(Exception):
    """The server looked at the code and refused it (forged, not issued): not an outage, so
    the offline rules must not accept it instead."""


class Claimer(Protocol):
    """The server, as sync reaches it. Raise on any failure; the engine then goes offline."""

    def claim(self, request: ClaimRequest, timeout: float) -> bool:
        """True: this device now owns the code. False: it was redeemed elsewhere."""
        ...

    def release(self, request: ClaimRequest, timeout: float) -> None:
        """Give back a claim this device won but could not save."""
        ...

    def balance(self, member: str, timeout: float) -> int:
        """The member's balance at the server."""
        ...


# what a shopper or cashier is told when a valid code still cannot be redeemed
_REFUSED = {
    Status.ALREADY_REDEEMED_HERE: "This code was already redeemed here.",
    Status.REDEEMED_ELSEWHERE: "This code was already redeemed at another store.",
    Status.HELD: "This code is being used in another basket.",
}

_NEEDS_ONLINE = "Connect to the server to redeem this reward."

# a code that fails its check is refused with the checker's own word
_CHECK_TO_STATUS: dict[CheckStatus, Status] = {
    c: Status(c.value) for c in CheckStatus if c is not CheckStatus.VALID
}


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


class Terminal:
    """One in-store device over its ledger file."""

    def __init__(
        self, ledger: Ledger | Path | str, claimer: Claimer | None = None, read_only: bool = False
    ) -> None:
        """`read_only`: only check and status will be asked (see Ledger)."""
        self.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger, read_only=read_only)
        self.device: Device = self.ledger.device()
        self.claimer = claimer
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.reload()

    def reload(self) -> None:
        """Read config and campaign keys again (after sync brought new ones)."""
        stored = self.ledger.setting("config")
        self.config = TerminalConfig.from_dict(stored) if stored else TerminalConfig()
        self._campaign_no: dict[str, int] = {}
        self._campaigns: dict[str, Campaign] = {}
        ciphers = []
        for row in self.ledger.read("SELECT no, id, data, key FROM campaigns"):
            campaign = campaign_file.from_dict(json.loads(row["data"]))
            self._campaign_no[campaign.id] = row["no"]
            self._campaigns[campaign.id] = campaign
            ciphers.append(CampaignCipher(campaign, bytes(row["key"])))
        self.checker = CodeChecker(ciphers)
        # each tier's offline rule: the server's, else the default for a prize (config.py)
        self._rules: dict[str, TierRule] = {}
        for campaign in self._campaigns.values():
            for tier in campaign.tiers:
                rule = self.config.tier_rule(tier.name) or default_rule(tier)
                if rule is not None:
                    self._rules.setdefault(tier.name, rule)
        for rule in self.config.tier_rules:
            self._rules.setdefault(rule.tier, rule)

    def campaigns(self) -> list[Campaign]:
        """The campaigns this device holds keys for."""
        return list(self._campaigns.values())

    def reward(self, campaign: str | None, tier: str | None) -> Tier | None:
        """The prize a code's tier stands for, as its campaign describes it."""
        known = self._campaigns.get(campaign or "")
        if known is None or tier is None:
            return None
        return next((t for t in known.tiers if t.name == tier), None)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self.ledger.close()

    # -- check -----------------------------------------------------------------------------

    def check(self, code: str) -> Result:
        """What the code is and whether it can be redeemed here; changes nothing."""
        checked = self.checker.check(code)
        refusal = self._refusal(checked)
        if refusal is not None:
            return refusal
        return self._result(Status.VALID, checked.message, checked)

    def _refusal(self, checked: CheckResult, basket: str | None = None) -> Result | None:
        """Why this code cannot be redeemed here now, or None."""
        if not checked.valid:
            return self._result(_CHECK_TO_STATUS[checked.status], checked.message, checked)
        assert checked.campaign is not None and checked.serial is not None
        key = (self._campaign_no[checked.campaign], checked.serial)
        if self.ledger.one("SELECT 1 FROM local_claims WHERE campaign_no = ? AND serial = ?", key):
            return self._refused(Status.ALREADY_REDEEMED_HERE, checked)
        if self.ledger.one("SELECT 1 FROM redeemed WHERE campaign_no = ? AND serial = ?", key):
            return self._refused(Status.REDEEMED_ELSEWHERE, checked)
        hold = self.ledger.one(
            "SELECT basket FROM holds WHERE campaign_no = ? AND serial = ? AND expires > ?",
            (*key, time.time()),
        )
        if hold is not None and hold["basket"] != basket:
            return self._refused(Status.HELD, checked)
        return None

    @classmethod
    def _refused(cls, status: Status, checked: CheckResult) -> Result:
        return cls._result(status, _REFUSED[status], checked)

    @staticmethod
    def _result(status: Status, message: str, checked: CheckResult, **extra: Any) -> Result:
        return Result(
            status, message, code=checked.code, campaign=checked.campaign, serial=checked.serial,
            tier=checked.tier, **extra,
        )  # fmt: skip

    # -- redeem ----------------------------------------------------------------------------

    def redeem(self, code: str, actor: str = "", context: dict[str, Any] | None = None) -> Result:
        """Redeem a code now: online claim when possible, offline rules otherwise."""
        return self._redeem(self.checker.check(code), actor, context or {}, basket=None)

    def _redeem(
        self, checked: CheckResult, actor: str, context: dict[str, Any], basket: str | None
    ) -> Result:
        refusal = self._refusal(checked, basket)
        if refusal is not None:
            return refusal
        assert (
            checked.campaign is not None and checked.serial is not None and checked.tier is not None
        )
        member = normalise_member(str(context.get("member") or "")) or None
        limited, warnings = self._limits(actor, member)
        if limited is not None:
            return self._result(Status.LIMIT, limited, checked)
        event_id = chain.uuid7()
        request = ClaimRequest(
            event_id, self.device.device_id, checked.campaign, checked.serial, checked.code or ""
        )
        try:
            online = self._claim(request)
        except ClaimRefused:
            return self._result(Status.INVALID, "This is not a valid code.", checked)
        rule = self._rules.get(checked.tier)
        if online is False:
            self._mark_redeemed_elsewhere(checked)
            return self._refused(Status.REDEEMED_ELSEWHERE, checked)
        if online is None:
            if rule is not None and rule.needs_online:
                return self._result(Status.NEEDS_ONLINE, _NEEDS_ONLINE, checked)
            over = self._over_budget(checked.tier, checked.tier_value or 0.0)
            if over:
                return self._result(Status.OFFLINE_BUDGET, over, checked)
        payload = {
            "code": checked.code, "campaign": checked.campaign, "serial": checked.serial,
            "tier": checked.tier, "value": checked.tier_value, "online": bool(online),
            "context": context,
        }  # fmt: skip
        try:
            with self.ledger.write() as conn:
                self.ledger.append(
                    conn, self.device, "redeem", payload, event_id=event_id, actor=actor,
                    member=member, offline=0 if online else 1, tier=checked.tier,
                    value=checked.tier_value or 0.0, receipt=context.get("receipt"),
                )  # fmt: skip
                conn.execute(
                    "INSERT INTO local_claims VALUES (?, ?, ?)",
                    (self._campaign_no[checked.campaign], checked.serial, event_id),
                )
                if basket is not None:
                    conn.execute("DELETE FROM holds WHERE campaign_no = ? AND serial = ?",
                                 (self._campaign_no[checked.campaign], checked.serial))  # fmt: skip
                self._record_warnings(conn, warnings)
        except LedgerError as exc:
            if online:  # never leave a code claimed at the server that this device did not save
                self._release(request)
            if exc.code == "duplicate":  # another process redeemed it a moment ago
                return self._refused(Status.ALREADY_REDEEMED_HERE, checked)
            return self._result(Status.NOT_SAVED, f"Not redeemed: {exc.message}.", checked)
        status = Status.ACCEPTED_ONLINE if online else Status.ACCEPTED_OFFLINE
        reward = self._campaigns[checked.campaign].tier_named(checked.tier)
        what = reward.description or reward.name
        if not online and reward.kind == "claim":
            return self._result(
                status, f"Recorded: {what}, provisional until the brand confirms it when this"
                " device syncs.", checked, event_id=event_id, warnings=tuple(warnings),
                provisional=True,
            )  # fmt: skip
        return self._result(
            status, f"Redeemed: {what}.", checked, event_id=event_id, warnings=tuple(warnings)
        )

    def _claim(self, request: ClaimRequest) -> bool | None:
        """True/False from the server, or None when it cannot answer in time."""
        if self.claimer is None:
            return None
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="claim")
        timeout = self.config.claim_timeout
        future = self._pool.submit(self.claimer.claim, request, timeout)
        try:
            return bool(future.result(timeout=timeout))
        except ClaimRefused:
            raise
        except Exception:  # any other failure of the server means: offline rules
            if not future.done():
                # a stuck call must not queue the next one behind it
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            return None

    def _release(self, request: ClaimRequest) -> None:
        assert self.claimer is not None
        # unanswered, the claim stays at the server with no event behind it: revoking the device
        # frees it
        with contextlib.suppress(Exception):
            self.claimer.release(request, self.config.claim_timeout)

    def _mark_redeemed_elsewhere(self, checked: CheckResult) -> None:
        assert checked.campaign is not None
        try:
            with self.ledger.write() as conn:
                conn.execute(
                    "INSERT OR IGNORE INTO redeemed VALUES (?, ?)",
                    (self._campaign_no[checked.campaign], checked.serial),
                )
        except LedgerError:
            pass  # only a cache of the server's answer; the refusal stands either way

    # -- limits ----------------------------------------------------------------------------

    def _limits(self, actor: str, member: str | None) -> tuple[str | None, list[str]]:
        """(refusal naming a hard limit, warnings from soft limits)."""
        warnings: list[str] = []
        for limit in self.config.limits:
            used = self._used(limit, actor, member)
            if used is None or used < limit.max:
                continue
            words = (
                f"limit of {counted(limit.max, 'redemption')} {SCOPE_WORDS[limit.scope]} reached"
            )
            if limit.hard:
                return f"Refused: the {words}.", warnings
            warnings.append(f"The {words} (soft limit: let through, manager alerted).")
        return None, warnings

    def _used(self, limit: Limit, actor: str, member: str | None) -> int | None:
        """Redemptions in the limit's window, counted no further than the limit itself."""
        day_start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        params: tuple[str | float, ...]
        if limit.scope == "cashier_day":
            if not actor:
                return None
            where, params = "actor = ? AND created >= ?", (actor, day_start)
        elif limit.scope == "member_day":
            if not member:
                return None
            where, params = "member = ? AND created >= ?", (member, day_start)
        else:
            where, params = "created >= ?", (time.time() - 3600,)
        row = self.ledger.one(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM events WHERE kind = 'redeem'"
            f" AND state <> 'rejected' AND {where} LIMIT ?)",
            (*params, limit.max),
        )
        return int(row["n"]) if row else 0

    def _over_budget(self, tier: str, value: float) -> str | None:
        rule = self._rules.get(tier)
        if rule is None or (rule.offline_count is None and rule.offline_value is None):
            return None
        count, total = self._offline_used(tier)
        if rule.offline_count is not None and count + 1 > rule.offline_count:
            return f"Offline limit reached: {rule.offline_count} {tier} rewards until this device syncs."
        if rule.offline_value is not None and total + value > rule.offline_value:
            return f"Offline limit reached: {rule.offline_value:g} worth of {tier} rewards until this device syncs."
        return None

    def _offline_used(self, tier: str) -> tuple[int, float]:
        """Count and value of this tier's offline redemptions not yet synced (the risk budget)."""
        row = self.ledger.one(
            "SELECT COUNT(*) AS n, COALESCE(SUM(value), 0) AS v FROM events"
            " WHERE offline = 1 AND state = 'pending' AND tier = ?",
            (tier,),
        )
        return (int(row["n"]), float(row["v"])) if row else (0, 0.0)

    def _record_warnings(self, conn: sqlite3.Connection, warnings: list[str]) -> None:
        for message in warnings:
            conn.execute(
                "INSERT INTO alerts (kind, message, created) VALUES ('soft_limit', ?, ?)",
                (message, now_iso()),
            )

    # -- two-phase: hold at scan, commit at payment ---------------------------------------

    def hold(self, code: str, basket: str, actor: str = "") -> Result:
        """Reserve a code for a basket; other baskets are refused until commit, release or expiry."""
        checked = self.checker.check(code)
        refusal = self._refusal(checked, basket)
        if refusal is not None:
            return refusal
        assert checked.campaign is not None and checked.serial is not None
        # what would refuse it at payment is said now, while the cashier can still tell the shopper
        later = self._refused_at_commit(checked, actor)
        if later is not None:
            return later
        expires = time.time() + self.config.hold_seconds
        key = (self._campaign_no[checked.campaign], checked.serial)
        try:
            with self.ledger.write() as conn:
                conn.execute(
                    "DELETE FROM holds WHERE campaign_no = ? AND serial = ? AND expires <= ?",
                    (*key, time.time()),
                )
                mine = conn.execute(
                    "SELECT hold_id FROM holds WHERE campaign_no = ? AND serial = ? AND basket = ?",
                    (*key, basket),
                ).fetchone()
                if mine is not None:  # the same basket scanned it again: same hold, fresh time
                    hold_id = mine["hold_id"]
                    conn.execute(
                        "UPDATE holds SET expires = ? WHERE hold_id = ?", (expires, hold_id)
                    )
                else:
                    hold_id = chain.uuid7()
                    conn.execute(
                        "INSERT INTO holds VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (hold_id, *key, checked.code, basket, actor, expires),
                    )
        except LedgerError as exc:
            if exc.code == "duplicate":
                return self._refused(Status.HELD, checked)
            return self._result(Status.NOT_SAVED, f"Not held: {exc.message}.", checked)
        minutes = self.config.hold_seconds // 60
        reward = self.reward(checked.campaign, checked.tier)
        prize = f"{reward.description or reward.name}: " if reward else ""
        return self._result(
            Status.HELD, f"{prize}held for this basket for {counted(minutes, 'minute')}.", checked,
            hold_id=hold_id,
        )  # fmt: skip

    def _refused_at_commit(self, checked: CheckResult, actor: str) -> Result | None:
        """A hard limit, or, on a device with no server, a tier that needs one or is over its
        offline budget. Payment checks again: the server may still say no then."""
        limited, _ = self._limits(actor, None)
        if limited is not None:
            return self._result(Status.LIMIT, limited, checked)
        if self.claimer is not None or checked.tier is None:
            return None
        rule = self._rules.get(checked.tier)
        if rule is not None and rule.needs_online:
            return self._result(Status.NEEDS_ONLINE, _NEEDS_ONLINE, checked)
        over = self._over_budget(checked.tier, checked.tier_value or 0.0)
        return self._result(Status.OFFLINE_BUDGET, over, checked) if over else None

    def commit(
        self, hold_id: str, receipt: str = "", context: dict[str, Any] | None = None
    ) -> Result:
        """Redeem a held code when the basket is paid."""
        row = self.ledger.one("SELECT * FROM holds WHERE hold_id = ?", (hold_id,))
        if row is None:
            return Result(
                Status.NOT_FOUND, "No such hold: it was released, committed or never made."
            )
        checked = self.checker.check(row["code"])
        if row["expires"] <= time.time():
            self.release(hold_id)
            # an expired hold is no promise: redeem afresh, unless someone else has it now
        ctx = {**(context or {}), "receipt": receipt, "basket": row["basket"]}
        return self._redeem(checked, row["actor"], ctx, basket=row["basket"])

    def holds(self, basket: str) -> list[tuple[str, str]]:
        """(hold id, code) of each code held for this basket, in the order they were held."""
        rows = self.ledger.read(
            "SELECT hold_id, code FROM holds WHERE basket = ? ORDER BY hold_id", (basket,)
        )
        return [(r["hold_id"], r["code"]) for r in rows]

    def release(self, hold_id: str) -> Result:
        try:
            with self.ledger.write() as conn:
                gone = conn.execute("DELETE FROM holds WHERE hold_id = ?", (hold_id,)).rowcount
        except LedgerError as exc:
            return Result(Status.NOT_SAVED, f"Not released: {exc.message}.")
        if not gone:
            return Result(
                Status.NOT_FOUND, "No such hold: it was released, committed or never made."
            )
        return Result(Status.RELEASED, "Released: the code is free again.", hold_id=hold_id)

    # -- void ------------------------------------------------------------------------------

    def void(self, event_id: str, reason: str, actor: str = "") -> Result:
        """Undo a redemption or a points event (a refund); the undo is itself an event.

        `event_id` may also be a code as printed: its redemption on this device is undone.
        """
        if not reason.strip():
            return Result(Status.BAD_INPUT, "Say why: a void needs a reason.")
        target = self.ledger.one("SELECT * FROM events WHERE event_id = ?", (event_id.strip(),))
        if target is None:
            found = self._redemption_of(event_id)
            if isinstance(found, Result):
                return found
            target = found
        event_id = target["event_id"]
        if target["kind"] not in ("redeem", "accrue", "spend", "checkin"):
            return Result(Status.BAD_INPUT, f"A {target['kind']} event cannot be voided.")
        payload = {"target": event_id, "kind": target["kind"], "reason": reason}
        try:
            with self.ledger.write() as conn:
                event = self.ledger.append(
                    conn, self.device, "void", payload, actor=actor, target=event_id,
                    member=target["member"], points=-int(target["points"]),
                )  # fmt: skip
                conn.execute("DELETE FROM local_claims WHERE event_id = ?", (event_id,))
        except LedgerError as exc:
            if exc.code == "duplicate":
                return Result(Status.ALREADY_VOIDED, "This was already voided.")
            return Result(Status.NOT_SAVED, f"Not voided: {exc.message}.")
        code = json.loads(target["payload"]).get("code") if target["kind"] == "redeem" else None
        return Result(
            Status.VOIDED, f"Voided: {reason}.", event_id=event["event_id"], code=code,
            member=target["member"], points=-int(target["points"]) if target["points"] else None,
        )  # fmt: skip

    def _redemption_of(self, code: str) -> sqlite3.Row | Result:
        """The redemption event of a code on this device, or why there is none."""
        checked = self.checker.check(code)
        if checked.campaign is None or checked.serial is None:
            return Result(
                Status.NOT_FOUND, f"{code.strip()!r} is neither an event of this device nor a code."
            )
        row = self.ledger.one(
            "SELECT e.* FROM local_claims c JOIN events e ON e.event_id = c.event_id"
            " WHERE c.campaign_no = ? AND c.serial = ?",
            (self._campaign_no[checked.campaign], checked.serial),
        )
        if row is None:
            return self._result(
                Status.NOT_FOUND, "This code has no redemption on this device to void.", checked
            )
        return row

    def receipt_events(self, receipt: str) -> list[str]:
        """The redemptions and points a receipt carried that are not voided yet, oldest first."""
        rows = self.ledger.read(
            "SELECT e.event_id FROM events e WHERE e.receipt = ? AND e.kind IN ('redeem', 'accrue')"
            " AND NOT EXISTS (SELECT 1 FROM events v WHERE v.kind = 'void' AND v.target = e.event_id)"
            " ORDER BY e.seq",
            (receipt,),
        )
        return [r["event_id"] for r in rows]

    # -- loyalty ---------------------------------------------------------------------------

    def accrue(self, member: str, amount: float, receipt: str, actor: str = "") -> Result:
        """Points for a purchase, by the campaign's rule; a receipt earns once."""
        member, receipt = normalise_member(member), receipt.strip()
        if not member or not receipt or not amount >= 0:
            return Result(
                Status.BAD_INPUT,
                f"{GIVE_MEMBER}, a receipt and an amount of 0 or more.",
            )
        points = self.config.loyalty.points_for(amount)
        payload = {"member": member, "amount": amount, "receipt": receipt, "points": points,
                   "rules": self.config.loyalty.version}  # fmt: skip
        return self._points_event("accrue", payload, member, points, actor, receipt=receipt)

    def checkin(self, member: str, actor: str = "") -> Result:
        """A visit bonus: once per member per store per day."""
        member = normalise_member(member)
        if not member:
            return Result(Status.BAD_INPUT, f"{GIVE_MEMBER}.")
        points = self.config.loyalty.checkin_points
        day = _today()
        payload = {"member": member, "day": day, "store": self.device.store_id, "points": points,
                   "rules": self.config.loyalty.version}  # fmt: skip
        return self._points_event("checkin", payload, member, points, actor, day=day)

    def spend(self, member: str, points: int, item: str, actor: str = "") -> Result:
        """Exchange points for an item, against the balance this device knows."""
        member = normalise_member(member)
        if not member or points <= 0:
            return Result(
                Status.BAD_INPUT,
                f"{GIVE_MEMBER} and a number of points above 0.",
            )
        if self.config.catalogue:
            prize = self.config.item(item)
            if prize is None:
                return Result(Status.BAD_INPUT, f"{item!r} is not in this store's catalogue.")
            if points != prize.points:
                return Result(
                    Status.BAD_INPUT,
                    f"{prize.name} costs {counted(prize.points, 'point')}, not {points}.",
                )
        balance, online = self.known_balance(member)
        if points > balance:
            return Result(
                Status.INSUFFICIENT_POINTS, f"Not enough points: {member} has {counted(balance, 'point')}, needs {points}.",
                member=member, balance=balance,
            )  # fmt: skip
        if not online:
            spent = self.ledger.one(
                "SELECT COALESCE(-SUM(points), 0) AS n FROM events"
                " WHERE kind = 'spend' AND member = ? AND state = 'pending'",
                (member,),
            )
            cap = self.config.loyalty.offline_spend_cap
            if spent is not None and int(spent["n"]) + points > cap:
                return Result(
                    Status.OFFLINE_BUDGET,
                    f"Offline limit reached: at most {counted(cap, 'point')} per member until this device syncs.",
                    member=member, balance=balance,
                )  # fmt: skip
        payload = {"member": member, "points": points, "item": item}
        return self._points_event("spend", payload, member, -points, actor, online=online)

    def balance(self, member: str) -> Result:
        member = normalise_member(member)
        if not member:
            return Result(Status.BAD_INPUT, f"{GIVE_MEMBER}.")
        balance, online = self.known_balance(member)
        where = "" if online else " (as last known here)"
        return Result(
            Status.VALID,
            f"{member} has {counted(balance, 'point')}{where}.",
            member=member,
            balance=balance,
        )

    def known_balance(self, member: str) -> tuple[int, bool]:
        """(balance, from the server just now?): the server's word when it answers, else the last
        balance it sent plus this device's events since."""
        if self.claimer is not None:
            try:
                return int(self.claimer.balance(member, self.config.claim_timeout)), True
            except Exception:  # offline: fall back to what we know
                pass
        return self._local_balance(member), False

    def _local_balance(self, member: str) -> int:
        row = self.ledger.one("SELECT balance, as_of_seq FROM balances WHERE member = ?", (member,))
        base, as_of = (int(row["balance"]), int(row["as_of_seq"])) if row else (0, 0)
        return base + self.ledger.points_after(member, as_of)

    def _points_event(
        self, kind: str, payload: dict[str, Any], member: str, points: int, actor: str,
        online: bool = False, **columns: Any,
    ) -> Result:  # fmt: skip
        try:
            with self.ledger.write() as conn:
                event = self.ledger.append(
                    conn,
                    self.device,
                    kind,
                    payload,
                    actor=actor,
                    member=member,
                    points=points,
                    **columns,
                )
        except LedgerError as exc:
            if exc.code == "duplicate" and kind == "accrue":
                return Result(
                    Status.DUPLICATE_RECEIPT,
                    "This receipt has already earned its points.",
                    member=member,
                )
            if exc.code == "duplicate" and kind == "checkin":
                return Result(
                    Status.ALREADY_CHECKED_IN,
                    f"{member} already checked in here today.",
                    member=member,
                )
            return Result(Status.NOT_SAVED, f"Not saved: {exc.message}.", member=member)
        words = {"accrue": "earned", "checkin": "earned for checking in", "spend": "spent"}[kind]
        balance = self._local_balance(member)
        return Result(
            Status.ACCEPTED_ONLINE if online else Status.ACCEPTED_OFFLINE,
            f"{counted(abs(points), 'point')} {words}; balance now {balance}.", event_id=event["event_id"],
            member=member, points=points, balance=balance,
        )  # fmt: skip

    # -- status ----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """What a store manager needs at a glance; quick even with a million events pending."""
        counts = {
            r["state"]: int(r["n"]) for r in self.ledger.read("SELECT state, n FROM state_counts")
        }
        oldest = self.ledger.one(
            "SELECT created FROM events WHERE state = 'pending' ORDER BY state, seq LIMIT 1"
        )
        oldest_s = round(time.time() - oldest["created"], 1) if oldest else 0.0
        conflicts = self._listed("conflict")
        rejected = self._listed("rejected")
        alerts = [
            dict(r) for r in self.ledger.read(
                "SELECT id, kind, message, created FROM alerts WHERE acknowledged = 0 ORDER BY id DESC LIMIT 50"
            )
        ]  # fmt: skip
        open_alerts = self.ledger.one("SELECT COUNT(*) AS n FROM alerts WHERE acknowledged = 0")
        budget = {}
        for rule in self._rules.values():
            used, value_used = self._offline_used(rule.tier)
            budget[rule.tier] = {
                "used": used, "max": rule.offline_count, "value_used": value_used,
                "max_value": rule.offline_value, "needs_online": rule.needs_online,
            }  # fmt: skip
        return {
            "device_id": self.device.device_id,
            "device_name": self.device.name,
            "store_id": self.device.store_id,
            "online": bool(self.ledger.setting("online", False)),
            "online_since": self.ledger.setting("online_since"),
            "offline_since": self.ledger.setting("offline_since"),
            "pending": counts.get("pending", 0),
            "oldest_pending_s": oldest_s,
            "max_offline_s": self.config.max_offline_seconds,
            "overdue": oldest_s > self.config.max_offline_seconds,
            "last_push": self.ledger.setting("last_push"),
            "last_pull": self.ledger.setting("last_pull"),
            "last_sync_error": self.ledger.setting("last_sync_error"),
            "events": counts,
            "conflicts": counts.get("conflict", 0),
            "conflict_list": conflicts,
            "rejected": counts.get("rejected", 0),
            "rejected_list": rejected,
            "alerts": int(open_alerts["n"]) if open_alerts else 0,
            "alert_list": alerts,
            "offline_budget": budget,
        }

    def recent_redemptions(self, limit: int = 20) -> list[dict[str, Any]]:
        """The last redemptions here, newest first: when, which code and tier, and its state."""
        rows = self.ledger.read(
            "SELECT local_time, payload, state, offline, actor FROM events WHERE kind = 'redeem'"
            " ORDER BY seq DESC LIMIT ?",
            (limit,),
        )
        out = []
        for r in rows:
            p = json.loads(r["payload"])
            out.append({
                "local_time": r["local_time"], "code": p.get("code"), "tier": p.get("tier"),
                "state": r["state"], "offline": bool(r["offline"]), "actor": r["actor"],
            })  # fmt: skip
        return out

    def _listed(self, state: str) -> list[dict[str, Any]]:
        rows = self.ledger.read(
            "SELECT event_id, seq, kind, payload, local_time, reason, actor FROM events"
            " WHERE state = ? ORDER BY state, seq DESC LIMIT 50",
            (state,),
        )
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in rows]
