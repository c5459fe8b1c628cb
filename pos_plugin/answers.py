"""What the till is told: a status word for the POS, a sentence for the cashier, a receipt line."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from codes.common.cli import counted
from terminal.results import Result, Status


class TillStatus(StrEnum):
    """The till's own status words, beside the terminal's (`terminal.results.Status`)."""

    PAID = "paid"
    CANCELLED = "cancelled"
    CLOSED = "closed"
    NO_CODE = "no_code"
    NOT_READABLE = "not_readable"


PAID, CANCELLED, CLOSED, NO_CODE, NOT_READABLE = TillStatus
# every word an answer's `status` may hold, for the bridge's schema
STATUS_WORDS = tuple(dict.fromkeys([*Status, *TillStatus]))

_STATUS_WORDS: dict[str, str] = {
    Status.ALREADY_REDEEMED_HERE: "already redeemed",
    Status.REDEEMED_ELSEWHERE: "already redeemed elsewhere",
    Status.IN_ANOTHER_BASKET: "in another basket",
    Status.MISTYPED: "mistyped",
    Status.INVALID: "not a valid code",
    Status.UNKNOWN_CAMPAIGN: "unknown campaign",
    Status.NOT_ISSUED: "not a valid code",
    Status.EXPIRED: "campaign over",
    Status.NOT_STARTED: "campaign not started",
    Status.LIMIT: "limit reached",
    Status.OFFLINE_BUDGET: "needs the server",
    Status.NEEDS_ONLINE: "needs the server",
    Status.NOT_SAVED: "not saved",
    Status.NEEDS_CODE: "needs the member's code",
    Status.WRONG_CODE: "wrong code",
}


@dataclass(frozen=True)
class Answer:
    """One answer to the POS. Fields that do not apply are None and left out of `to_dict()`."""

    status: str
    message: str  # for the cashier's screen
    receipt_line: str = ""  # for the printed receipt
    code: str | None = None
    reward: str | None = None
    tier: str | None = None
    value: float | None = None
    campaign: str | None = None
    serial: int | None = None
    hold_id: str | None = None
    event_id: str | None = None
    member: str | None = None
    points: int | None = None
    balance: int | None = None
    checkout_id: str | None = None
    receipt_id: str | None = None
    total: float | None = None
    warnings: tuple[str, ...] = ()
    items: tuple[Answer, ...] = ()  # each code and points line of a payment or a refund
    receipt: str | None = None  # the whole receipt block, after a payment
    # the receipt as a picture for the printer (PNG, base64), when it holds a QR or a voucher:
    # 576 dots wide, an 80 mm printer's line at 203 dpi
    receipt_png: str | None = None
    voucher: str | None = None  # the voucher an instant prize came with
    voucher_later: bool | None = None  # none was held here: it comes by SMS after a sync
    claim_url: str | None = None  # a claim prize: the link its QR carries to the claim form
    claim_by: str | None = None  # and the last day (ISO date) it may be claimed
    # a code texted to the member (a spend above the program's threshold, a registration): the
    # phone's last four digits, and the seconds before another may be asked for
    sent_to: str | None = None
    again_in: int | None = None

    def __post_init__(self) -> None:
        if not self.receipt_line:  # every answer has a line to print, made from what it says
            object.__setattr__(self, "receipt_line", receipt_line(self))

    @property
    def ok(self) -> bool:
        return self.status in (Status.VALID, PAID, CANCELLED, *_DONE, *_JOINED)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "items":
                value = [item.to_dict() for item in value]
            if value is not None and value != () and value != []:
                data[f.name] = list(value) if isinstance(value, tuple) else value
        return data


_DONE = (Status.HELD, Status.ACCEPTED_ONLINE, Status.ACCEPTED_OFFLINE, Status.VOIDED,
         Status.RELEASED)  # fmt: skip
_JOINED = (Status.REGISTERED, Status.MEMBER_FOUND)


@dataclass(frozen=True)
class Reward:
    name: str
    value: float


def from_result(result: Result, reward: Reward | None = None, **extra: Any) -> Answer:
    """The terminal's result in the till's words, with the line the receipt prints for it."""
    return Answer(
        status=result.status.value, message=result.message, code=result.code,
        reward=reward.name if reward else None, tier=result.tier,
        value=reward.value if reward else None, campaign=result.campaign, serial=result.serial,
        hold_id=result.hold_id, event_id=result.event_id, member=result.member,
        points=result.points, balance=result.balance, warnings=result.warnings,
        voucher=result.voucher, voucher_later=result.voucher_later, claim_url=result.claim_url,
        claim_by=result.claim_by,
        sent_to=result.sent_to, again_in=result.again_in, **extra,
    )  # fmt: skip


def receipt_line(answer: Answer) -> str:
    """One line of the printed receipt for this answer."""
    status = answer.status
    if answer.code is not None:
        what = f"Coupon {answer.code}"
        prize = f" {answer.reward}" if answer.reward else ""
        if status in (Status.ACCEPTED_ONLINE, Status.ACCEPTED_OFFLINE):
            return f"{what}{prize}: redeemed"
        if status == Status.HELD:
            return f"{what}{prize}: applied"
        if status == Status.VALID:
            return f"{what}{prize}"
        if status == Status.VOIDED:
            return f"{what}: refunded"
        return f"{what}: not accepted ({_STATUS_WORDS.get(status, status)})"
    if answer.points is not None and status == Status.VOIDED:
        return f"Points {answer.points:+d} (refund)"
    if answer.points is not None and status in (Status.ACCEPTED_ONLINE, Status.ACCEPTED_OFFLINE):
        sign = "+" if answer.points >= 0 else ""
        return f"Points {sign}{answer.points}, balance {answer.balance}"
    if answer.member is not None and answer.balance is not None:
        return f"Member {answer.member}: {counted(answer.balance, 'point')}"
    return answer.message  # a refusal without a code: its sentence is the line
