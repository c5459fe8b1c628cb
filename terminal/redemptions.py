"""Codes at a device: check, redeem (online claim first, offline rules otherwise), hold for a
basket and commit at payment, release, and void. Every result that says "done" was committed to
disk before it was returned."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from typing import Any

from codes.checker import CheckResult, CheckStatus
from codes.common.cli import counted
from terminal import chain, delivery
from terminal.device_setup import DeviceSetup
from terminal.ledger import Device, Ledger, LedgerError
from terminal.members import normalise_member
from terminal.offline_rules import OfflineRules
from terminal.online_claims import ClaimRefused, ClaimRequest, OnlineClaims, Taken
from terminal.results import Result, Status
from terminal.wheel import reference_tail

# what a shopper or cashier is told when a valid code still cannot be redeemed
_REFUSED = {
    Status.ALREADY_REDEEMED_HERE: "This code was already redeemed here.",
    Status.REDEEMED_ELSEWHERE: "This code was already redeemed at another till or store.",
    Status.IN_ANOTHER_BASKET: "This code is being used in another basket.",
}

_NEEDS_ONLINE = "Connect to the server to redeem this reward."
_NO_HOLD = "No such hold: it was released, committed or never made."

# a code that fails its check is refused with the checker's own word
_CHECK_TO_STATUS: dict[CheckStatus, Status] = {
    c: Status(c.value) for c in CheckStatus if c is not CheckStatus.VALID
}


def _result(status: Status, message: str, checked: CheckResult, **extra: Any) -> Result:
    return Result(
        status, message, code=checked.code, campaign=checked.campaign, serial=checked.serial,
        tier=checked.tier, **extra,
    )  # fmt: skip


def _refused(status: Status, checked: CheckResult) -> Result:
    if status is Status.ALREADY_REDEEMED_HERE:
        return _result(status, _REFUSED[status], checked, redeemed_where="device")
    return _result(status, _REFUSED[status], checked)


def _taken(checked: CheckResult, device: Device, where: tuple[str, str] | None) -> Result:
    """Redeemed elsewhere, saying where as far as the server told: another device of this
    store, by its name, or another store."""
    name, store = where or ("", "")
    if store and store == device.store_id:
        words = f"This code was already redeemed at {name or 'another device'} in this store."
        return _result(Status.REDEEMED_ELSEWHERE, words, checked, redeemed_where="store",
                       redeemed_by=name or None)  # fmt: skip
    if store:
        words = "This code was already redeemed at another store."
        return _result(Status.REDEEMED_ELSEWHERE, words, checked, redeemed_where="other_store")
    return _refused(Status.REDEEMED_ELSEWHERE, checked)


class Redemptions:
    def __init__(
        self, ledger: Ledger, device: Device, setup: DeviceSetup, online: OnlineClaims
    ) -> None:
        self.ledger, self.device, self.setup, self.online = ledger, device, setup, online
        self.rules = OfflineRules(ledger, setup.config, setup.rules)

    # -- check -----------------------------------------------------------------------------

    def check(self, code: str) -> Result:
        """What the code is and whether it can be redeemed here; changes nothing."""
        checked = self.setup.checker.check(code)
        refusal = self._refusal(checked)
        if refusal is not None:
            return refusal
        return _result(Status.VALID, checked.message, checked)

    def _refusal(self, checked: CheckResult, basket: str | None = None) -> Result | None:
        """Why this code cannot be redeemed here now, or None."""
        if not checked.valid:
            return _result(_CHECK_TO_STATUS[checked.status], checked.message, checked)
        key = self.setup.key(checked)
        if self.ledger.claimed_here(*key):
            return _refused(Status.ALREADY_REDEEMED_HERE, checked)
        where = self.ledger.redeemed_at(*key)
        if where is not None:
            return _taken(checked, self.device, where)
        holder = self.ledger.holding_basket(*key)
        if holder is not None and holder != basket:
            return _refused(Status.IN_ANOTHER_BASKET, checked)
        return None

    # -- redeem ----------------------------------------------------------------------------

    def redeem(self, code: str, actor: str = "", context: dict[str, Any] | None = None) -> Result:
        """Redeem a code now: online claim when possible, offline rules otherwise."""
        return self._redeem(self.setup.checker.check(code), actor, context or {}, basket=None)

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
        limited, warnings = self.rules.limits(actor, member)
        if limited is not None:
            return _result(Status.LIMIT, limited, checked)
        event_id = chain.uuid7()
        request = ClaimRequest(
            event_id, self.device.device_id, checked.campaign, checked.serial, checked.code or ""
        )
        timeout = self.setup.config.claim_timeout
        try:
            online = self.online.claim(request, timeout)
        except ClaimRefused:
            return _result(Status.INVALID, "This is not a valid code.", checked)
        if online is False or isinstance(online, Taken):
            taken = online if isinstance(online, Taken) else Taken()
            # only a cache of the server's answer; the refusal stands either way
            with contextlib.suppress(LedgerError):
                self.ledger.mark_redeemed_elsewhere(
                    *self.setup.key(checked), taken.device, taken.store
                )
            return _taken(checked, self.device, (taken.device, taken.store))
        if online is None:
            if self.rules.needs_online(checked.tier):
                return _result(Status.NEEDS_ONLINE, _NEEDS_ONLINE, checked)
            over = self.rules.over_budget(checked.tier, checked.tier_value or 0.0)
            if over:
                return _result(Status.OFFLINE_BUDGET, over, checked)
        payload = {
            "code": checked.code, "campaign": checked.campaign, "serial": checked.serial,
            "tier": checked.tier, "value": checked.tier_value, "online": bool(online),
            "context": context,
        }  # fmt: skip
        try:
            with self.ledger.write() as conn:
                # taken with the event that carries it: both are saved, or neither
                voucher = self.ledger.take_voucher(conn, checked.campaign, checked.tier, event_id)
                if voucher is not None:
                    payload["voucher"] = voucher
                # none held of a pool this device knows: the server gives one at sync
                later = voucher is None and self.ledger.voucher_pool(
                    conn, checked.campaign, checked.tier
                )
                self.ledger.append(
                    conn, self.device, "redeem", payload, event_id=event_id, actor=actor,
                    member=member, offline=0 if online else 1, tier=checked.tier,
                    value=checked.tier_value or 0.0, receipt=context.get("receipt"),
                )  # fmt: skip
                self.ledger.add_claim(conn, *self.setup.key(checked), event_id, basket)
                for message in warnings:
                    self.ledger.add_alert(conn, "soft_limit", message)
        except LedgerError as exc:
            if online:  # never leave a code claimed at the server that this device did not save
                self.online.release(request, timeout)
            if exc.code == "duplicate":  # another process redeemed it a moment ago
                return _refused(Status.ALREADY_REDEEMED_HERE, checked)
            return _result(Status.NOT_SAVED, f"Not redeemed: {exc.message}.", checked)
        return self._won(checked, bool(online), event_id, voucher, later, tuple(warnings))

    def _won(
        self, checked: CheckResult, online: bool, event_id: str, voucher: str | None,
        later: bool, warnings: tuple[str, ...],
    ) -> Result:  # fmt: skip
        """An accepted redemption, with how its prize reaches the shopper."""
        assert checked.campaign is not None and checked.tier is not None
        reward = self.setup.campaigns[checked.campaign].tier_named(checked.tier)
        claim = reward.kind == "claim"
        code = checked.code or ""
        link = (
            delivery.claim_link(self.device, self.setup.config, code, event_id) if claim else None
        )
        provisional = claim and not online
        return _result(
            Status.ACCEPTED_ONLINE if online else Status.ACCEPTED_OFFLINE,
            delivery.won_words(reward, voucher, later, link, provisional, online), checked,
            event_id=event_id, warnings=warnings, provisional=provisional or None,
            voucher=voucher, voucher_later=later or None, claim_url=link,
            claim_by=delivery.claim_by(time.time(), reward) if claim else None,
        )  # fmt: skip

    # -- two-phase: hold at scan, commit at payment ---------------------------------------

    def hold(self, code: str, basket: str, actor: str = "") -> Result:
        """Reserve a code for a basket; other baskets are refused until commit, release or expiry."""
        checked = self.setup.checker.check(code)
        refusal = self._refusal(checked, basket)
        if refusal is not None:
            return refusal
        # what would refuse it at payment is said now, while the cashier can still tell the shopper
        later = self._refused_at_commit(checked, actor)
        if later is not None:
            return later
        seconds = self.setup.config.hold_seconds
        try:
            with self.ledger.write() as conn:
                hold_id = self.ledger.put_hold(
                    conn, *self.setup.key(checked), checked.code or "", basket, actor,
                    time.time() + seconds,
                )  # fmt: skip
        except LedgerError as exc:
            if exc.code == "duplicate":
                return _refused(Status.IN_ANOTHER_BASKET, checked)
            return _result(Status.NOT_SAVED, f"Not held: {exc.message}.", checked)
        reward = self.setup.reward(checked.campaign, checked.tier)
        prize = f"{reward.description or reward.name}: " if reward else ""
        return _result(
            Status.HELD, f"{prize}held for this basket for {counted(seconds // 60, 'minute')}.",
            checked, hold_id=hold_id,
        )  # fmt: skip

    def _refused_at_commit(self, checked: CheckResult, actor: str) -> Result | None:
        """A hard limit, or, on a device with no server, a tier that needs one or is over its
        offline budget. Payment checks again: the server may still say no then."""
        limited, _ = self.rules.limits(actor, None)
        if limited is not None:
            return _result(Status.LIMIT, limited, checked)
        if self.online.claimer is not None or checked.tier is None:
            return None
        if self.rules.needs_online(checked.tier):
            return _result(Status.NEEDS_ONLINE, _NEEDS_ONLINE, checked)
        over = self.rules.over_budget(checked.tier, checked.tier_value or 0.0)
        return _result(Status.OFFLINE_BUDGET, over, checked) if over else None

    def commit(
        self, hold_id: str, receipt: str = "", context: dict[str, Any] | None = None
    ) -> Result:
        """Redeem a held code when the basket is paid."""
        row = self.ledger.hold(hold_id)
        if row is None:
            return Result(Status.NOT_FOUND, _NO_HOLD)
        checked = self.setup.checker.check(row["code"])
        if row["expires"] <= time.time():
            self.release(hold_id)
            # an expired hold is no promise: redeem afresh, unless someone else has it now
        ctx = {**(context or {}), "receipt": receipt, "basket": row["basket"]}
        return self._redeem(checked, row["actor"], ctx, basket=row["basket"])

    def release(self, hold_id: str) -> Result:
        try:
            gone = self.ledger.delete_hold(hold_id)
        except LedgerError as exc:
            return Result(Status.NOT_SAVED, f"Not released: {exc.message}.")
        if not gone:
            return Result(Status.NOT_FOUND, _NO_HOLD)
        return Result(Status.RELEASED, "Released: the code is free again.", hold_id=hold_id)

    # -- void ------------------------------------------------------------------------------

    def void(self, event_id: str, reason: str, actor: str = "") -> Result:
        """Undo a redemption, a points event (a refund) or a spin of the bonus wheel (a prize
        not handed over); the undo is itself an event.

        `event_id` may also be a code as printed: its redemption on this device is undone; or a
        spin's reference as the kiosk shows it ("W-1A2B-3C4D"): its outcome goes back among the
        ones this device holds, and the member's spin of the day with it.
        """
        if not reason.strip():
            return Result(Status.BAD_INPUT, "Say why: a void needs a reason.")
        target = self.ledger.event(event_id.strip())
        if target is None:
            found = self._spin_of(event_id) or self._redemption_of(event_id)
            if isinstance(found, Result):
                return found
            target = found
        event_id = target["event_id"]
        if target["kind"] not in ("redeem", "accrue", "spend", "checkin", "spin"):
            return Result(Status.BAD_INPUT, f"A {target['kind']} event cannot be voided.")
        payload = {"target": event_id, "kind": target["kind"], "reason": reason}
        try:
            with self.ledger.write() as conn:
                event = self.ledger.append(
                    conn, self.device, "void", payload, actor=actor, target=event_id,
                    member=target["member"], points=-int(target["points"]),
                )  # fmt: skip
                self.ledger.drop_claim(conn, event_id)
                if target["kind"] == "spin":
                    self.ledger.release_spin(conn, event_id)
        except LedgerError as exc:
            if exc.code == "duplicate":
                return Result(Status.ALREADY_VOIDED, "This was already voided.")
            return Result(Status.NOT_SAVED, f"Not voided: {exc.message}.")
        code = json.loads(target["payload"]).get("code") if target["kind"] == "redeem" else None
        return Result(
            Status.VOIDED, f"Voided: {reason}.", event_id=event["event_id"], code=code,
            member=target["member"], points=-int(target["points"]) if target["points"] else None,
        )  # fmt: skip

    def _spin_of(self, text: str) -> sqlite3.Row | Result | None:
        """The spin a reference names ("W-1A2B-3C4D"), why not, or None: no spin reference."""
        tail = reference_tail(text)
        if tail is None:
            return None
        found = self.ledger.spin_by_reference(tail)
        if len(found) == 1:
            return found[0]
        if not found:
            return Result(
                Status.NOT_FOUND, f"No spin of the bonus wheel on this device is {text.strip()}."
            )
        return Result(
            Status.BAD_INPUT,
            f"{text.strip()} names more than one spin here: give its event id (terminal spin --json).",
        )

    def _redemption_of(self, code: str) -> sqlite3.Row | Result:
        """The redemption event of a code on this device, or why there is none."""
        checked = self.setup.checker.check(code)
        if checked.campaign is None or checked.serial is None:
            return Result(
                Status.NOT_FOUND, f"{code.strip()!r} is neither an event of this device nor a code."
            )
        row = self.ledger.redemption_of(*self.setup.key(checked))
        if row is None:
            return _result(
                Status.NOT_FOUND, "This code has no redemption on this device to void.", checked
            )
        return row
