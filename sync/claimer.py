"""Online-first for the terminal: claim a code at the server before confirming it.

While the server answers, a code redeemed anywhere is refused here at once, and a member's balance
is the server's. When it does not answer in time the terminal falls back to offline rules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

from sync.client import SyncClient, SyncError
from sync.outbox import lot_of
from sync.protocol import ClaimRequest as WireClaim
from sync.protocol import CodeSendRequest, RegisterRequest, SpendConfirmRequest
from sync.protocol import ReleaseRequest as WireRelease
from terminal.ledger import Ledger, LedgerError, now_iso
from terminal.member_codes import CodeRefused, Joined, Sent
from terminal.online_claims import ClaimRefused, ClaimRequest, Taken

Answer = TypeVar("Answer")


class ServerClaimer:
    """The terminal's `Claimer`, backed by the server through a SyncClient."""

    def __init__(self, client: SyncClient, ledger: Ledger) -> None:
        self.client = client
        self.ledger = ledger
        self._lock = threading.Lock()
        self._online: bool | None = None

    def claim(self, request: ClaimRequest, timeout: float) -> bool | Taken:
        wire = WireClaim(
            event_id=request.event_id,
            campaign=request.campaign,
            serial=request.serial,
            code=request.code,
        )
        try:
            answer = self.client.claim(wire, timeout)
        except SyncError as exc:
            if exc.status == 422:  # the server checked the code and refused it
                self._mark(True)
                raise ClaimRefused(exc.message) from None
            self._mark(False)
            raise
        except Exception:
            self._mark(False)
            raise
        self._mark(True)
        if answer.won:
            return True
        return Taken(answer.winner_name or "", answer.winner_store or "")

    def release(self, request: ClaimRequest, timeout: float) -> None:
        wire = WireRelease(
            event_id=request.event_id, campaign=request.campaign, serial=request.serial
        )
        self.client.release(wire, timeout)

    def balance(self, member: str, timeout: float) -> int:
        """The server's balance plus this device's events it has not seen yet."""
        try:
            answer = self.client.balance(member, timeout)
        except Exception:
            self._mark(False)
            raise
        self._mark(True)
        try:  # remembered, so an outage a minute later still knows what the member has
            with self.ledger.write() as conn:
                Ledger.remember_balances(conn, [(member, answer.balance)], answer.device_seq)
                if answer.lots is not None:
                    Ledger.remember_lots(conn, {member: [lot_of(x) for x in answer.lots]})
        except LedgerError:  # the answer stands; only the remembered copy is older
            return answer.balance + self.ledger.points_after(member, answer.device_seq)
        return self.ledger.local_balance(member)  # its lots, with this device's events since

    # -- a member's one-time password (terminal.member_codes.CodeAsker) ----------------------

    def send_code(self, purpose: str, member: str, points: int, lang: str, timeout: float) -> Sent:
        sent = self._asked(lambda: self.client.send_code(CodeSendRequest.model_validate(
            {"purpose": purpose, "member": member, "points": points, "lang": lang}
        ), timeout))  # fmt: skip
        return Sent(sent.to, sent.again_in)

    def confirm_spend(self, member: str, points: int, code: str, timeout: float) -> str:
        return self._asked(lambda: self.client.confirm_spend(SpendConfirmRequest(
            member=member, points=points, code=code[:64] or "-"
        ), timeout)).token  # fmt: skip

    def register(
        self, phone: str, via: str, lang: str, card: str | None, code: str | None, timeout: float
    ) -> Joined:
        joined = self._asked(lambda: self.client.register(RegisterRequest.model_validate(
            {"phone": phone, "via": via, "lang": lang, "card": card,
             "code": None if code is None else code[:64] or "-"}
        ), timeout))  # fmt: skip
        sent = None if joined.sent is None else Sent(joined.sent.to, joined.sent.again_in)
        return Joined(joined.state, joined.member, sent)

    def _asked(self, call: Callable[[], Answer]) -> Answer:
        """The server's answer; its refusal as CodeRefused; anything else means offline."""
        try:
            answer = call()
        except ValidationError:  # nothing was sent
            raise CodeRefused("bad_request", "that is not a phone, a card or a code") from None
        except SyncError as exc:
            if not exc.unreachable and exc.status is not None and exc.status < 500:
                self._mark(True)
                raise CodeRefused(exc.code, exc.message) from None
            self._mark(False)
            raise
        except Exception:
            self._mark(False)
            raise
        self._mark(True)
        return answer

    def _mark(self, online: bool) -> None:
        """Keep the status screen's online/offline line true, writing only when it changes."""
        with self._lock:
            if self._online is online:
                return
            self._online = online
        try:
            with self.ledger.write() as conn:
                Ledger.put_setting(conn, "online", online)
                Ledger.put_setting(conn, "online_since" if online else "offline_since", now_iso())
        except LedgerError:
            pass  # only the status line; the operation goes on
