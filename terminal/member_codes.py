"""A member's one-time password at a till or kiosk: a spend above the program's `otp_above`, and
a new member's registration, ask for the code the server texts to the member's phone.

The code is checked at the server, never here: the device asks it to send one (`send`), then
sends what the member read out (`confirm_spend` answers a one-use token the spend event carries;
`register` registers the phone). The engine does no network I/O itself: sync's claimer does
these too (a `CodeAsker`). Without a server that answers, nothing can be confirmed, so such a
spend or registration is refused as `needs_online`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from terminal.online_claims import OnlineClaims
from terminal.results import Result, Status

TIMEOUT_S = 8.0  # sending waits on the SMS gateway (5 s at most) while the person waits
OFFLINE_SPEND = "This spend needs the member's code; the till is offline."
OFFLINE_JOIN = "Registering a new member needs the code sent to their phone; the till is offline."
# the server's refusals, by what the person at the till can do about them
_WRONG = ("otp_wrong", "otp_expired", "otp_spent", "otp_none", "otp_other_spend")


class CodeRefused(Exception):
    """The server looked and said no (a wrong code, no such member, too many codes): not an
    outage. `code` is its word for programs, `message` its sentence for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Sent:
    to: str  # the phone's last four digits
    again_in: int  # seconds before another code may be asked for


@dataclass(frozen=True)
class Joined:
    state: str  # member | registered | code_sent
    member: str  # the phone in E.164
    sent: Sent | None = None


class CodeAsker(Protocol):
    """The server, as sync reaches it. Raise CodeRefused for its refusals, anything else when it
    cannot be reached."""

    def send_code(
        self, purpose: str, member: str, points: int, lang: str, timeout: float
    ) -> Sent: ...

    def confirm_spend(self, member: str, points: int, code: str, timeout: float) -> str: ...

    def register(
        self, phone: str, via: str, lang: str, card: str | None, code: str | None, timeout: float
    ) -> Joined: ...


class MemberCodes:
    def __init__(self, online: OnlineClaims) -> None:
        self.online = online

    def _asker(self) -> CodeAsker | None:
        claimer = self.online.claimer
        return claimer if hasattr(claimer, "send_code") else None  # type: ignore[return-value]

    def send(self, purpose: str, member: str, points: int = 0, lang: str = "en") -> Result:
        """Text the member a code: `needs_code` (sent), `code_wait`, `code_not_sent`, or
        `needs_online` when the server cannot be reached."""
        asker = self._asker()
        offline = OFFLINE_SPEND if purpose == "spend" else OFFLINE_JOIN
        if asker is None:
            return Result(Status.NEEDS_ONLINE, offline, member=member)
        try:
            sent = asker.send_code(purpose, member, points, lang, TIMEOUT_S)
        except CodeRefused as exc:
            return refusal(exc, member)
        except Exception:
            return Result(Status.NEEDS_ONLINE, offline, member=member)
        return asked(sent, member, points if purpose == "spend" else None)

    def confirm_spend(self, member: str, points: int, code: str) -> str | Result:
        """The token for this spend when the code is right, else what to tell the cashier."""
        asker = self._asker()
        if asker is None:
            return Result(Status.NEEDS_ONLINE, OFFLINE_SPEND, member=member)
        try:
            return asker.confirm_spend(member, points, code, TIMEOUT_S)
        except CodeRefused as exc:
            return refusal(exc, member)
        except Exception:
            return Result(Status.NEEDS_ONLINE, OFFLINE_SPEND, member=member)

    def register(
        self, phone: str, via: str, lang: str = "en", card: str | None = None,
        code: str | None = None,
    ) -> Result:  # fmt: skip
        """`member_found` (the phone was a member), `needs_code` (a new phone: a code was sent;
        ask again with it), `registered`, or a refusal."""
        asker = self._asker()
        if asker is None:
            return Result(Status.NEEDS_ONLINE, OFFLINE_JOIN, member=phone)
        try:
            joined = asker.register(phone, via, lang, card, code, TIMEOUT_S)
        except CodeRefused as exc:
            return refusal(exc, phone)
        except Exception:
            return Result(Status.NEEDS_ONLINE, OFFLINE_JOIN, member=phone)
        if joined.state == "code_sent" and joined.sent is not None:
            return asked(joined.sent, joined.member, None)
        if joined.state == "registered":
            return Result(Status.REGISTERED, f"{joined.member} is a member now.",
                          member=joined.member)  # fmt: skip
        return Result(Status.MEMBER_FOUND, f"{joined.member} is a member already.",
                      member=joined.member)  # fmt: skip


def asked(sent: Sent, member: str, points: int | None) -> Result:
    """`needs_code`: for a spend of `points`, or (None) a registration."""
    what = "to register" if points is None else f"to confirm spending {points} points"
    return Result(
        Status.NEEDS_CODE,
        f"A code was sent to the phone ending {sent.to}: type it {what}.",
        member=member, points=points, sent_to=sent.to, again_in=sent.again_in,
    )  # fmt: skip


def refusal(exc: CodeRefused, member: str) -> Result:
    message = exc.message[:1].upper() + exc.message[1:]
    message = message if message.endswith(".") else message + "."
    if exc.code in _WRONG:
        return Result(Status.WRONG_CODE, message, member=member)
    if exc.code == "otp_wait":
        return Result(Status.CODE_WAIT, message, member=member)
    if exc.code in ("bad_phone", "bad_lang", "bad_card", "bad_request"):
        return Result(Status.BAD_INPUT, message, member=member)
    return Result(Status.CODE_NOT_SENT, message, member=member)
