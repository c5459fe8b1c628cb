"""Talking to the server: signed requests, checked answers, retries with backoff, clock correction.

The client never touches the ledger; it returns the server's answers as protocol models, or raises
SyncError. What arrives garbled, unsigned or in the wrong shape is an error, never a half-applied
answer.
"""

from __future__ import annotations

import hmac
import json
import random
import secrets
import time
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from codes.common.errors import InstoreError
from sync import protocol
from sync.protocol import (
    BalanceRequest,
    BalanceResponse,
    ClaimRequest,
    ClaimResponse,
    CodeSendRequest,
    CodeSent,
    EnrollRequest,
    EnrollResponse,
    PullRequest,
    PullResponse,
    PushResponse,
    RegisterRequest,
    RegisterResponse,
    ReleaseRequest,
    ReleaseResponse,
    SpendConfirmation,
    SpendConfirmRequest,
)
from sync.transport import Reply, Transport, Unreachable

Answer = TypeVar("Answer", bound=BaseModel)


class SyncError(InstoreError):
    """The server could not be reached, or refused, or answered nonsense. Nothing was applied."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(code, message)
        self.status = status

    @property
    def unreachable(self) -> bool:
        """True when the fault is the network or a server in trouble, not this device."""
        return self.code in ("unreachable", "server_error", "bad_answer")


class SyncClient:
    """One device's way to its server."""

    def __init__(
        self, transport: Transport, device_id: str = "", secret: bytes = b"",
        timeout: float = 10.0, retries: int = 3, backoff: float = 0.2,
        rng: random.Random | None = None, sleep: object = time.sleep,
    ) -> None:  # fmt: skip
        self.transport = transport
        self.device_id = device_id
        self.secret = secret
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.clock_offset = 0.0  # server time minus ours, learnt from a clock_skew refusal
        self.rng = rng or random.Random()
        self._sleep = sleep
        self.now = time.time  # tests skew the device clock through this

    # -- the endpoints ----------------------------------------------------------------------

    def enroll(self, token: str) -> EnrollResponse:
        body = EnrollRequest(token=token).model_dump_json().encode()
        return self._call("/v1/enroll", body, EnrollResponse, signed=False)

    def push(self, events: list[dict[str, object]]) -> PushResponse:
        return self.push_body(json.dumps({"events": events}, separators=(",", ":")).encode())

    def push_body(self, body: bytes) -> PushResponse:
        """A push already encoded as `push` encodes it (a load generator encodes ahead)."""
        return self._call("/v1/push", body, PushResponse)

    def pull(
        self, cursor: int, config_version: int, pending: int | None = None,
        oldest_pending_s: float | None = None,
    ) -> PullResponse:  # fmt: skip
        """Changes since `cursor`; `pending` and `oldest_pending_s` tell the server how this
        device stands, for its store manager."""
        body = PullRequest(
            cursor=cursor, config_version=config_version, pending=pending,
            oldest_pending_s=oldest_pending_s,
        ).model_dump_json(exclude_none=True).encode()  # fmt: skip
        return self._call("/v1/pull", body, PullResponse)

    def claim(self, request: ClaimRequest, timeout: float) -> ClaimResponse:
        """One quick try: a cashier is waiting, and the terminal falls back to offline rules."""
        body = request.model_dump_json().encode()
        return self._call("/v1/claim", body, ClaimResponse, timeout=timeout, retries=0)

    def release(self, request: ReleaseRequest, timeout: float) -> ReleaseResponse:
        return self._call("/v1/release", request.model_dump_json().encode(), ReleaseResponse,
                          timeout=timeout, retries=1)  # fmt: skip

    def balance(self, member: str, timeout: float) -> BalanceResponse:
        body = BalanceRequest(member=member).model_dump_json().encode()
        return self._call("/v1/balance", body, BalanceResponse, timeout=timeout, retries=0)

    # a member's one-time password: one try each, the person at the till waits (and an SMS
    # asked for twice is two codes)
    def send_code(self, request: CodeSendRequest, timeout: float) -> CodeSent:
        body = request.model_dump_json().encode()
        return self._call("/v1/otp/send", body, CodeSent, timeout=timeout, retries=0)

    def confirm_spend(self, request: SpendConfirmRequest, timeout: float) -> SpendConfirmation:
        body = request.model_dump_json().encode()
        return self._call("/v1/otp/confirm", body, SpendConfirmation, timeout=timeout, retries=0)

    def register(self, request: RegisterRequest, timeout: float) -> RegisterResponse:
        body = request.model_dump_json().encode()
        return self._call("/v1/members/register", body, RegisterResponse, timeout=timeout,
                          retries=0)  # fmt: skip

    # -- one call, with retries -------------------------------------------------------------

    def _call(
        self, path: str, body: bytes, answer: type[Answer], signed: bool = True,
        timeout: float | None = None, retries: int | None = None,
    ) -> Answer:  # fmt: skip
        retries = self.retries if retries is None else retries
        attempt, clock_fixed = 0, False
        while True:
            try:
                return self._once(path, body, answer, signed, timeout or self.timeout)
            except SyncError as exc:
                if exc.code == "clock_skew" and not clock_fixed:
                    clock_fixed = True  # our clock is off: corrected, ask again at once
                    continue
                if not exc.unreachable or attempt >= retries:
                    raise
            # full jitter: many devices coming back after an outage do not arrive in step
            self._sleep(self.rng.uniform(0, self.backoff * 2**attempt))  # type: ignore[operator]
            attempt += 1

    def _once(
        self, path: str, body: bytes, answer: type[Answer], signed: bool, timeout: float
    ) -> Answer:
        headers: dict[str, str] = {}
        nonce = ""
        if signed:
            stamp = f"{self.now() + self.clock_offset:.3f}"
            nonce = secrets.token_hex(16)
            headers = {
                protocol.DEVICE: self.device_id,
                protocol.TIMESTAMP: stamp,
                protocol.NONCE: nonce,
                protocol.SIGNATURE: protocol.sign(self.secret, "POST", path, stamp, nonce, body),
            }
        try:
            reply = self.transport.send("POST", path, headers, body, timeout)
        except Unreachable as exc:
            raise SyncError("unreachable", f"the server did not answer: {exc}") from None
        if reply.status != 200:
            raise self._refusal(reply)
        if signed:
            expected = protocol.sign_answer(self.secret, nonce, 200, reply.body)
            got = {k.lower(): v for k, v in reply.headers.items()}.get(
                protocol.SIGNATURE.lower(), ""
            )
            if not hmac.compare_digest(expected, got):
                raise SyncError("bad_answer", "the answer is not signed by our server; ignored")
        try:
            return answer.model_validate_json(reply.body)
        except ValidationError:
            raise SyncError(
                "bad_answer", f"the server's answer to {path} is not what it should be; ignored"
            ) from None

    def _refusal(self, reply: Reply) -> SyncError:
        try:
            error = protocol.ErrorBody.model_validate_json(reply.body)
        except ValidationError:
            error = None
        if reply.status >= 500 or error is None:
            return SyncError(
                "server_error", f"the server failed (HTTP {reply.status})", reply.status
            )
        if error.error == "clock_skew" and error.server_time is not None:
            self.clock_offset = error.server_time - self.now()
        return SyncError(error.error, error.message, reply.status)
