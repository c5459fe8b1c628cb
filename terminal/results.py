"""What every operation answers: a status word for machines and a sentence for people."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    # redeem and hold
    ACCEPTED_ONLINE = "accepted_online"
    ACCEPTED_OFFLINE = "accepted_offline"
    ALREADY_REDEEMED_HERE = "already_redeemed_here"
    REDEEMED_ELSEWHERE = "redeemed_elsewhere"
    HELD = "held"  # held for this basket (with its hold id)
    IN_ANOTHER_BASKET = "in_another_basket"  # held for another basket: refused here
    MISTYPED = "mistyped"
    INVALID = "invalid"
    UNKNOWN_CAMPAIGN = "unknown_campaign"
    NOT_ISSUED = "not_issued"
    EXPIRED = "expired"
    NOT_STARTED = "not_started"
    LIMIT = "limit"
    OFFLINE_BUDGET = "offline_budget"
    LIMIT_BLOCKED = "limit_blocked"  # a limit on points (terminal/point_limits.py)
    NEEDS_ONLINE = "needs_online"
    # check
    VALID = "valid"
    # holds, voids, points
    RELEASED = "released"
    VOIDED = "voided"
    NOT_FOUND = "not_found"
    ALREADY_VOIDED = "already_voided"
    INSUFFICIENT_POINTS = "insufficient_points"
    ALREADY_CHECKED_IN = "already_checked_in"
    DUPLICATE_RECEIPT = "duplicate_receipt"
    # the bonus wheel (terminal/wheel.py)
    SPUN = "spun"  # the outcome is this device's next one from the server's draw
    ALREADY_SPUN = "already_spun"  # the member's spins for today are used
    NOT_QUALIFIED = "not_qualified"  # no check-in or purchase here today yet
    NO_SPINS = "no_spins"  # this device's slice is used up until it syncs
    NO_WHEEL = "no_wheel"
    WHEEL_ENDED = "wheel_ended"  # its seed is revealed: no spins after it
    # a member's one-time password (terminal/member_codes.py): a spend above the program's
    # otp_above, and a new member's registration
    NEEDS_CODE = "needs_code"  # a code was texted to the member: ask for it, then again with it
    WRONG_CODE = "wrong_code"  # wrong, expired or used up: the server's words say which
    CODE_WAIT = "code_wait"  # a code was sent a moment ago: another one after `again_in` s
    CODE_NOT_SENT = "code_not_sent"  # no code could be sent (no phone, blocked, too many, SMS down)
    REGISTERED = "registered"  # a new member, registered at the server
    MEMBER_FOUND = "member_found"  # the phone is a member already
    BAD_INPUT = "bad_input"
    # the ledger could not be written: nothing was confirmed
    NOT_SAVED = "not_saved"


# statuses that mean "done, and durably recorded"
DONE = frozenset(
    {Status.ACCEPTED_ONLINE, Status.ACCEPTED_OFFLINE, Status.HELD, Status.RELEASED, Status.VOIDED,
     Status.SPUN}
)  # fmt: skip


@dataclass(frozen=True)
class Expiry:
    """Points of a member that expire: the last day (ISO date, UTC) they can be spent."""

    on: str
    points: int


@dataclass(frozen=True)
class SpendableFrom:
    """Pending points of a member: the first day (ISO date, UTC) they can be spent."""

    on: str
    points: int


@dataclass(frozen=True)
class Result:
    status: Status
    message: str
    code: str | None = None
    event_id: str | None = None
    campaign: str | None = None
    serial: int | None = None
    tier: str | None = None
    hold_id: str | None = None
    member: str | None = None
    points: int | None = None
    balance: int | None = None
    # of the balance: points still in the returns window (not spendable yet), and what expires
    # when, soonest first ("120 points expire on 31 December")
    pending: int | None = None
    expiring: tuple[Expiry, ...] = field(default=())
    # the pending points by the day they become spendable, soonest first
    spendable_from: tuple[SpendableFrom, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())
    # accepted offline for a prize shipped after verification: not a win until the server agrees
    provisional: bool | None = None
    # an instant prize that comes as a voucher: the one handed out with this redemption, or, when
    # the device held none, `voucher_later` (it comes by SMS once the server has the redemption)
    voucher: str | None = None
    voucher_later: bool | None = None
    # a prize to be claimed: the link the shopper's QR carries (codes/common/claim_link.py)
    claim_url: str | None = None
    # and the last day (ISO date, UTC) it may be claimed: the tier's claim_days after today
    claim_by: str | None = None
    # a code redeemed before: where ("device": this one, "store": another device of this store,
    # named in `redeemed_by`, "other_store"; None when the server did not say)
    redeemed_where: str | None = None
    redeemed_by: str | None = None
    # a code texted to the member: the phone's last four digits, and when another may be asked for
    sent_to: str | None = None
    again_in: int | None = None
    # a spin of the bonus wheel: its outcome's label and kind (points, prize or nothing), and
    # the short reference a prize is handed over (or voided) by at the counter (wheel.reference)
    outcome: str | None = None
    outcome_kind: str | None = None
    reference: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in DONE

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if v is not None and v != ()}
        data["status"] = self.status.value
        return data


def exit_status(status: str) -> int:
    """0 all is well, 2 the input was wrong (nothing was tried), 1 the operation was refused."""
    if status in DONE or status in (Status.VALID, Status.REGISTERED, Status.MEMBER_FOUND):
        return 0
    return 2 if status == Status.BAD_INPUT else 1
