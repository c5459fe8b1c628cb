"""Whether a printed code is still unused, as a shopper asks it by USSD.

The code is read by the same ciphers a pushed code is re-checked with, and the claims table (one
row per code anyone redeemed, at a store or on the web) says whether it is used. The answer is
one of: unused, used, its campaign has ended or not started, mistyped, or not one of ours. It
never says a code's prize, used or not, nor where or when a used code was redeemed: a code
under a lid can be typed in the shop without buying the pack, and telling its prize would let
anyone pick the winning packs off the shelf. A code issued past the campaign's issued count
is "not one of ours", as a made-up one is, so the answer says nothing of how many were printed.

The server's view: a code redeemed at a store that has not synced since still reads unused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, select

from codes.checker import CheckStatus, CodeChecker
from server_stub.database.schema import claims
from server_stub.device_api.recheck import Rechecker
from server_stub.device_api.service import SyncService

MAX_TYPED = 64  # a code as printed is about 20 characters; with spaces typed, a few more


class CodeState(StrEnum):
    UNUSED = "unused"
    USED = "used"
    ENDED = "ended"
    NOT_STARTED = "not_started"
    MISTYPED = "mistyped"
    NOT_OURS = "not_ours"


@dataclass(frozen=True)
class CodeAnswer:
    state: CodeState
    code: str = ""  # as printed, when the text read as one of ours

    @property
    def wrong(self) -> bool:
        """A code that is not ours or mistyped: counted against the phone (a guesser's)."""
        return self.state in (CodeState.MISTYPED, CodeState.NOT_OURS)


_STATES = {
    CheckStatus.MISTYPED: CodeState.MISTYPED,
    CheckStatus.EXPIRED: CodeState.ENDED,
    CheckStatus.NOT_STARTED: CodeState.NOT_STARTED,
}  # fmt: skip; anything else not valid is not ours


class CodeReader:
    """Reads typed codes against the campaigns the server holds (the device service's ciphers,
    rebuilt when a campaign changes), one code checker per set of campaigns."""

    def __init__(self, service: SyncService) -> None:
        self.service = service
        self._made: tuple[Rechecker, CodeChecker] | None = None

    def checker(self, conn: Connection) -> tuple[Rechecker, CodeChecker]:
        rechecker = self.service.rechecker(conn)
        made = self._made
        if made is None or made[0] is not rechecker:
            made = self._made = (rechecker, CodeChecker(rechecker.ciphers.values()))
        return made

    def check(self, conn: Connection, text: str, now: float) -> CodeAnswer:
        rechecker, checker = self.checker(conn)
        if not rechecker.ciphers:  # no campaign yet (and a CodeChecker of none fails on a code)
            return CodeAnswer(CodeState.NOT_OURS)
        checked = checker.check(text[:MAX_TYPED])
        printed = checked.code or ""
        if not checked.valid:
            state = _STATES.get(checked.status, CodeState.NOT_OURS)
            return CodeAnswer(state, printed if state is not CodeState.NOT_OURS else "")
        assert checked.campaign is not None and checked.serial is not None
        if rechecker.too_late(checked.campaign, now):
            return CodeAnswer(CodeState.ENDED, printed)
        used = conn.execute(
            select(claims.c.serial).where(
                claims.c.campaign == checked.campaign, claims.c.serial == checked.serial
            )
        ).first()
        return CodeAnswer(CodeState.USED if used else CodeState.UNUSED, printed)
