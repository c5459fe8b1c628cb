"""The device-facing API without HTTP: enroll, push, pull, claim, balance.

`SyncService.handle` takes what arrived (method, path, headers, body bytes) and returns a status and
a JSON body. The FastAPI routes are a thin layer over it, and the simulation calls it directly
through its faulty transport, so both exercise the same checks: signature, clock, nonce, limits.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import Connection, Engine, bindparam, delete, select, update
from sqlalchemy.exc import DataError, OperationalError
from typing_extensions import TypedDict

from server_stub.catalog import campaign_setup, device_config
from server_stub.database.bulk import KeyTaken
from server_stub.database.connection import insert_ignore, reader, writing
from server_stub.database.schema import claims, devices, events, meta, nonces
from server_stub.device_api import enrolling, ingest, point_lots, pull
from server_stub.device_api.claim_guard import ClaimGuard
from server_stub.device_api.code_claims import claim_codes
from server_stub.device_api.member_codes import MemberCodes
from server_stub.device_api.push_reading import Prepared, prepare
from server_stub.device_api.push_state import Signer
from server_stub.device_api.recheck import Claimed, Rechecker
from server_stub.errors import ApiError, describe, error_body, unstorable
from server_stub.limits.throttle import ENROLLMENT_TOKEN, Throttle
from server_stub.notifications import sms
from server_stub.notifications.sms import SmsGateway
from server_stub.records import feed
from server_stub.settings import ServerSettings
from sync import protocol
from sync.protocol import (
    BalanceRequest,
    BalanceResponse,
    ClaimRequest,
    ClaimResponse,
    CodeSendRequest,
    EnrollRequest,
    PullRequest,
    PushRequest,
    RegisterRequest,
    ReleaseRequest,
    ReleaseResponse,
    SpendConfirmRequest,
    WireEventData,
    WireLot,
)

NONCE_KEEP_S = 2 * protocol.CLOCK_WINDOW_S


class _CleanPush(TypedDict):
    events: list[WireEventData]


_CLEAN_PUSH = TypeAdapter(_CleanPush)


@dataclass(frozen=True)
class Caller:
    device_id: str
    store_id: str
    secret: bytes
    nonce: str
    first_request: bool  # the device has not made a signed request before
    config_version: int  # of campaigns and rules, when the request came in
    forged: int = 0  # forged codes it sent since an admin last reviewed it


Handler = Callable[[Connection, Caller, Any], BaseModel]


class SyncService:
    def __init__(self, engine: Engine, settings: ServerSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings or ServerSettings()
        self.claim_guard = ClaimGuard(engine, self.settings)
        self.throttle = Throttle(engine, self.settings.trusted_proxies)
        self._rechecker: tuple[int, Rechecker] | None = None
        self._lock = threading.Lock()
        # Built once: a statement built per request cost more than the database took to run it.
        version = select(meta.c.value).where(meta.c.key == "config_version").scalar_subquery()
        self._caller_row = select(
            devices.c.store_id, devices.c.secret, devices.c.revoked_at, devices.c.token_hash,
            devices.c.forged, version.label("config_version"),  # rides along: one round trip fewer per request
        ).where(devices.c.id == bindparam("device_id"))  # fmt: skip
        self._nonce_insert = (
            insert_ignore(engine, nonces)
            .values(nonce=bindparam("nonce"), seen=bindparam("seen"))
            .returning(nonces.c.nonce)
        )
        self._purged = 0.0
        self._signed: dict[str, tuple[type[BaseModel], Handler]] = {  # a push: _push_request
            "/v1/pull": (PullRequest, self._pull),
            "/v1/claim": (ClaimRequest, self._claim),
            "/v1/balance": (BalanceRequest, self._balance),
            "/v1/release": (ReleaseRequest, self._release),
        }
        # a member's one-time password: checked outside the request's transaction (a wrong try
        # must count even when the request fails), by member_codes
        self.sms: SmsGateway | None = None  # from settings.sms_gateway when first needed
        codes = MemberCodes(engine, self._sms)
        self._unlocked: dict[str, tuple[type[BaseModel], Callable[[str, Any], BaseModel]]] = {
            "/v1/otp/send": (CodeSendRequest, codes.send),
            "/v1/otp/confirm": (SpendConfirmRequest, codes.confirm),
            "/v1/members/register": (RegisterRequest, codes.register),
        }

    # -- entry ------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, source: str = ""
    ) -> tuple[int, bytes, dict[str, str]]:
        """(HTTP status, JSON body, headers) for one request; never raises for what a client sends.

        A successful answer to a signed request is signed too (see protocol.sign_answer).
        """
        try:
            if path == "/v1/enroll":
                return 200, self._enroll_counted(self._parse(EnrollRequest, body), source), {}
            if path == "/v1/push":
                caller, answer = self._push_request(method, path, headers, body)
            elif path in self._signed:
                model, handler = self._signed[path]
                request = self._parse(model, body)
                self._purge_nonces()
                with writing(self.engine) as conn:
                    caller = self._identify(conn, method, path, headers, body)
                    self._admit(conn, caller)
                    answer = handler(conn, caller, request).model_dump_json().encode()
            elif path in self._unlocked:
                model, work = self._unlocked[path]
                request = self._parse(model, body)
                with writing(self.engine) as conn:
                    caller = self._identify(conn, method, path, headers, body)
                    self._admit(conn, caller)
                answer = work(caller.device_id, request).model_dump_json().encode()
            else:
                raise ApiError(404, "not_found", f"no endpoint {path}")
        except ApiError as exc:
            self.claim_guard.flush()
            return exc.status, error_body(exc), exc.headers
        except DataError:
            return 422, error_body(unstorable()), {}
        except KeyTaken:  # twice: another device stored the same event id in the same instant
            words = "another device stored an event with one of these ids just now; push again"
            return 409, error_body(ApiError(409, "busy", words)), {}
        except OperationalError as exc:  # the database is down or locked out: try again later
            words = f"the server's database is unavailable: {type(exc.orig).__name__}"
            return 503, error_body(ApiError(503, "unavailable", words)), {}
        signature = protocol.sign_answer(caller.secret, caller.nonce, 200, answer)
        return 200, answer, {protocol.SIGNATURE: signature}

    def _sms(self) -> SmsGateway:
        if self.sms is None:
            self.sms = sms.gateway_for(self.settings.sms_gateway)
        return self.sms

    def _enroll_counted(self, request: EnrollRequest, source: str) -> bytes:
        """An enrollment, counted against its address before the token is looked up: an
        address past its wrong tokens gets 429 whatever it sends (see throttle)."""
        count = self.throttle.count(ENROLLMENT_TOKEN, source)
        try:
            enrolled = enrolling.enroll(self.engine, self.settings, request)
        except ApiError as exc:
            if exc.code == "bad_token":
                self.throttle.wrong(ENROLLMENT_TOKEN, source, count)
                raise
            self.throttle.forgive(ENROLLMENT_TOKEN, source)
            raise
        self.throttle.forgive(ENROLLMENT_TOKEN, source)
        return enrolled.model_dump_json().encode()

    def _push_request(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[Caller, bytes]:
        """A push is checked before the write lock (see push_reading.prepare); a device revoked in the
        milliseconds between is as one revoked just after: its push counts."""
        events, checked = self._parse_push(body)
        self._purge_nonces()
        with reader(self.engine).connect() as conn:
            caller = self._identify(conn, method, path, headers, body)
            rechecker = self.rechecker(conn, caller.config_version)
        signer = Signer(caller.device_id, caller.store_id, caller.secret)
        try:
            prepared = prepare(signer, events, rechecker, checked=checked)
            return caller, self._store_push(caller, prepared)
        except KeyTaken:  # an event id another device used: redo, looking each one up
            prepared = prepare(signer, events, rechecker, look_up_every_id=True, checked=checked)
            return caller, self._store_push(caller, prepared)  # verdicts made afresh

    def _store_push(self, caller: Caller, prepared: Prepared) -> bytes:
        with writing(self.engine) as conn:
            self._admit(conn, caller)
            return ingest.push(conn, prepared)

    @classmethod
    def _parse_push(cls, body: bytes) -> tuple[list[Any], bool]:
        """(events, whether they are checked already). A push whose events are all well formed
        and hold no NUL (nearly every push) is read and checked in one pass; any other goes the
        long way, where each malformed event is rejected alone."""
        events = None
        if b"\\u0000" not in body and b"\x00" not in body:
            with contextlib.suppress(ValidationError):
                events = _CLEAN_PUSH.validate_json(body)["events"]
        if events is None or len(events) > protocol.MAX_BATCH:
            parsed: PushRequest = cls._parse(PushRequest, body)  # refuses a batch too large
            return parsed.events, False
        return events, True

    @staticmethod
    def _parse(model: type[BaseModel], body: bytes) -> Any:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "bad_json", "the request body is not JSON") from None
        except RecursionError:
            raise ApiError(400, "bad_json", "the request body is nested too deeply") from None
        if model is PushRequest and isinstance(data, dict):
            events = data.get("events")
            if isinstance(events, list) and len(events) > protocol.MAX_BATCH:
                raise ApiError(
                    413,
                    "batch_too_large",
                    f"{len(events)} events: send at most {protocol.MAX_BATCH} per push",
                )
        try:
            return model.model_validate(data)
        except RecursionError:
            raise ApiError(400, "bad_json", "the request body is nested too deeply") from None
        except ValidationError as exc:
            raise ApiError(422, "bad_request", describe(exc.errors())) from None

    # -- signatures -------------------------------------------------------------------------

    def _identify(
        self, conn: Connection, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Caller:
        """Who signed the request, or refuse it; the nonce is checked later by `_admit`."""
        h = {k.lower(): v for k, v in headers.items()}
        device_id = h.get(protocol.DEVICE.lower(), "")
        stamp = h.get(protocol.TIMESTAMP.lower(), "")
        nonce = h.get(protocol.NONCE.lower(), "")
        signature = h.get(protocol.SIGNATURE.lower(), "")
        if not (device_id and stamp and nonce and signature) or len(nonce) > 64:
            raise ApiError(401, "unsigned", "this request must be signed by an enrolled device")
        try:
            when = float(stamp)
        except ValueError:
            raise ApiError(401, "unsigned", "the request's timestamp is not a number") from None
        now = time.time()
        if not abs(now - when) <= protocol.CLOCK_WINDOW_S:
            raise ApiError(
                401, "clock_skew", f"the device clock is {when - now:+.0f} s off the server's",
                server_time=now,
            )  # fmt: skip
        row = conn.execute(self._caller_row, {"device_id": device_id}).first()
        if row is None or row.secret is None:
            raise ApiError(401, "unknown_device", "this device is not enrolled here")
        secret = bytes.fromhex(row.secret)
        expected = protocol.sign(secret, method, path, stamp, nonce, body)
        if not hmac.compare_digest(expected, signature):
            raise ApiError(401, "bad_signature", "the request's signature does not match")
        if row.revoked_at is not None:
            raise ApiError(
                403, "revoked", "this device was revoked; ask the helpdesk to enroll it again"
            )
        return Caller(
            device_id, row.store_id, secret, nonce, row.token_hash is not None,
            int(row.config_version or 0), int(row.forged),
        )  # fmt: skip

    def _admit(self, conn: Connection, caller: Caller) -> None:
        """Refuse a replay, inside the request's own transaction; spend the enrollment token."""
        fresh = conn.execute(
            self._nonce_insert, {"nonce": f"{caller.device_id}:{caller.nonce}", "seen": time.time()}
        ).first()
        if not fresh:
            raise ApiError(401, "replay", "this request was already received once")
        if caller.first_request:  # the enrollment token is spent
            conn.execute(
                update(devices).where(devices.c.id == caller.device_id).values(token_hash=None)
            )

    def _purge_nonces(self) -> None:
        now = time.time()
        if now - self._purged < 60:
            return
        self._purged = now
        with writing(self.engine) as conn:
            conn.execute(delete(nonces).where(nonces.c.seen < now - NONCE_KEEP_S))

    # -- signed endpoints -------------------------------------------------------------------

    def rechecker(self, conn: Connection, version: int | None = None) -> Rechecker:
        """Campaign ciphers, rebuilt only when campaigns or issued counts change."""
        if version is None:
            version = device_config.config_version(conn)
        with self._lock:
            if self._rechecker is None or self._rechecker[0] != version:
                self._rechecker = (
                    version,
                    Rechecker(
                        campaign_setup.load_campaigns(conn), campaign_setup.load_plan_seeds(conn)
                    ),
                )
            return self._rechecker[1]

    def _pull(self, conn: Connection, caller: Caller, request: PullRequest) -> BaseModel:
        # every sync cycle pulls, with or without events to push: this is the device's last
        # contact, and how it stands (what waits on it), for its store's dashboard
        seen: dict[str, object] = {"last_seen": time.time()}
        if request.pending is not None:
            seen.update(reported_pending=request.pending,
                        reported_oldest_s=request.oldest_pending_s, reported_at=seen["last_seen"])  # fmt: skip
        conn.execute(update(devices).where(devices.c.id == caller.device_id).values(**seen))
        return pull.changes_for(
            conn, caller.device_id, caller.store_id, request, self.settings.public_url
        )

    def _claim(self, conn: Connection, caller: Caller, request: ClaimRequest) -> BaseModel:
        """Online redemption: the first claim of a code wins; the same event may ask again."""
        self.claim_guard.admit(caller.device_id, caller.forged)
        rechecker = self.rechecker(conn, caller.config_version)
        now = time.time()
        reason = rechecker.check([Claimed(request.campaign, request.code, request.serial, None)])[0]
        reason = reason or rechecker.too_late(request.campaign, now)
        if reason is not None:
            code, _, words = reason.partition(": ")
            if code == "forged":
                self.claim_guard.forged(
                    caller.device_id, f"online claim of {request.code}: {words}"
                )
            raise ApiError(422, code, words)
        owner_of_id = conn.execute(
            select(events.c.device_id).where(events.c.event_id == request.event_id)
        ).scalar()
        if owner_of_id is not None and owner_of_id != caller.device_id:
            raise ApiError(409, "duplicate_id", "that event id belongs to another device")
        key = (request.campaign, request.serial)
        owner = claim_codes(
            conn, caller.device_id, caller.store_id, now, [(*key, request.event_id)]
        )[key]
        if owner.event_id == request.event_id:
            if owner.claimed_at == now:
                feed.redeemed(conn, caller.device_id, [(request.campaign, request.serial)], now)
            return ClaimResponse(won=True)
        name = conn.execute(select(devices.c.name).where(devices.c.id == owner.device_id)).scalar()
        return ClaimResponse(
            won=False, winner_device=owner.device_id, winner_store=owner.store_id, winner_name=name
        )

    def _release(self, conn: Connection, caller: Caller, request: ReleaseRequest) -> BaseModel:
        """A device gives back a claim it won but could not save; only its own, and only while
        no event of that id has arrived (then the event, or its void, decides)."""
        arrived = select(events.c.event_id).where(events.c.event_id == request.event_id)
        gone = conn.execute(
            delete(claims).where(
                claims.c.campaign == request.campaign, claims.c.serial == request.serial,
                claims.c.event_id == request.event_id, claims.c.device_id == caller.device_id,
                ~arrived.exists(),
            )
        ).rowcount  # fmt: skip
        if gone:
            feed.released(conn, caller.device_id, [(request.campaign, request.serial)], time.time())
        return ReleaseResponse(released=bool(gone))

    def _balance(self, conn: Connection, caller: Caller, request: BalanceRequest) -> BaseModel:
        """The member's available points and open lots (point_lots); 0 and none for a key no
        member has yet."""
        seq = conn.execute(
            select(devices.c.max_seq).where(devices.c.id == caller.device_id)
        ).scalar_one()
        member = point_lots.find(conn, request.member)
        now = time.time()
        held = [] if member is None else point_lots.open_lots(conn, {member.id}, now)[member.id]
        return BalanceResponse(
            member=request.member,
            balance=point_lots.available(held, now),
            device_seq=int(seq),
            lots=[WireLot.model_validate(x) for x in held],
        )
