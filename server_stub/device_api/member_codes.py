"""A member's one-time password asked by a till or kiosk (signed device API): a spend above the
program's `otp_above`, and a new member's registration.

- `POST /v1/otp/send` texts the member a code (phones/otp.py: six digits, 10 minutes, once, a new
  one no sooner than 60 s after the last). For a spend the request names the points, and the
  server keeps what was asked (this device, this member, these points) in `spend_confirmations`.
- `POST /v1/otp/confirm` checks the code at the server against the newest spend this device asked
  for this member, with the same points, and answers a token, random and used once. The spend
  event carries it as `confirmation`; ingest (spend_check.py) uses it up for that event only.
- `POST /v1/members/register`: a phone that is a member already is found (no code: nothing is
  given away); a new one gets a code, and the same request again with the code registers it.

Codes are checked here and never leave the server but in the SMS. The device's own address is
the "address" otp.py counts codes against (20 an hour), so a stolen till cannot pump SMS.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine, select, update

from server_stub.database.connection import reader, writing
from server_stub.database.loyalty_tables import spend_confirmations as asked
from server_stub.device_api import code_words, point_lots
from server_stub.errors import ApiError
from server_stub.loyalty import members
from server_stub.notifications.sms import SmsGateway
from server_stub.phones import otp
from server_stub.phones.numbers import normalise_phone
from sync.protocol import (
    CodeSendRequest,
    CodeSent,
    RegisterRequest,
    RegisterResponse,
    SpendConfirmation,
    SpendConfirmRequest,
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class MemberCodes:
    """The three endpoints' work, after the service has checked the device's signature."""

    def __init__(self, engine: Engine, gateway: Callable[[], SmsGateway]) -> None:
        self.engine = engine
        self.gateway = gateway

    def send(self, device_id: str, request: CodeSendRequest) -> CodeSent:
        now = time.time()
        if request.purpose == "register":
            with reader(self.engine).connect() as conn:
                phone = _phone(conn, request.member, request.lang)
                known = members.find(conn, phone)  # a member already: their own language
            lang = code_words.known(request.lang if known is None else known.lang)
            words = code_words.say(lang, "join", code="{code}")
        else:
            with reader(self.engine).connect() as conn:
                member = _spender(conn, request.member)
            phone = _phone_of(member)
            if request.points < 1:
                raise ApiError(422, "bad_request", "say how many points the spend is")
            lang = code_words.known(member.lang)
            words = code_words.say(
                lang, "spend", points=code_words.points(lang, request.points), code="{code}"
            )
        sent = otp.send_otp(
            self.engine, self.gateway(), phone, request.purpose, source=f"device {device_id}",
            words=words, now=now,
        )  # fmt: skip
        if request.purpose == "spend":
            with writing(self.engine) as conn:
                conn.execute(asked.insert().values(
                    device_id=device_id, member_id=member.id, points=request.points, created=now
                ))  # fmt: skip
        return CodeSent(to=phone[-4:], expires=sent.expires, again_in=int(otp.WAIT.window_s))

    def confirm(self, device_id: str, request: SpendConfirmRequest) -> SpendConfirmation:
        now = time.time()
        with reader(self.engine).connect() as conn:
            member = _spender(conn, request.member)
            row = conn.execute(
                select(asked.c.id, asked.c.points, asked.c.created)
                .where(asked.c.device_id == device_id, asked.c.member_id == member.id)
                .order_by(asked.c.id.desc()).limit(1)
            ).first()  # fmt: skip
        if row is None or row.created < now - otp.LIFETIME_S:
            raise ApiError(404, "otp_none", "no code was sent for this spend; ask for one")
        if int(row.points) != request.points:
            raise ApiError(
                409, "otp_other_spend",
                f"the code was sent for a spend of {row.points} points, not {request.points};"
                " ask for a new code",
            )  # fmt: skip
        otp.check_otp(self.engine, _phone_of(member), "spend", request.code, now=now)
        token = secrets.token_urlsafe(24)
        with writing(self.engine) as conn:
            done = conn.execute(
                update(asked)
                .where(asked.c.id == row.id, asked.c.token_hash.is_(None))
                .values(token_hash=token_hash(token), confirmed=now)
            ).rowcount  # fmt: skip
        if not done:  # the same code cannot pass twice (otp.py); a second send made a new row
            raise ApiError(410, "otp_expired", "this code was used already; ask for a new one")
        return SpendConfirmation(token=token)

    def register(self, device_id: str, request: RegisterRequest) -> RegisterResponse:
        with reader(self.engine).connect() as conn:
            phone = _phone(conn, request.phone, request.lang)
            found = members.find(conn, phone)
        if found is not None:
            return RegisterResponse(state="member", member=phone, card=found.card)
        if request.code is None:
            sent = self.send(device_id, CodeSendRequest(
                purpose="register", member=phone, lang=request.lang
            ))  # fmt: skip
            return RegisterResponse(state="code_sent", member=phone, sent=sent)
        otp.check_otp(self.engine, phone, "register", request.code)
        with writing(self.engine) as conn:
            made, new = members.register(
                conn, phone, card=request.card, lang=request.lang, via=request.via,
                now=time.time(),
            )  # fmt: skip
        return RegisterResponse(
            state="registered" if new else "member", member=phone, card=made.card
        )


def _phone(conn: Connection, typed: str, lang: str) -> str:
    """A typed number in E.164: without its country code, read for the program's home region
    (instore admin program set --region), else for the device's language's country, as
    members.register reads it."""
    home = None if typed.lstrip().startswith("+") else members.home_region(conn)
    return normalise_phone(typed, home or members.region_for(lang.strip().lower()))


def _spender(conn: Connection, key: str) -> members.Member:
    member = point_lots.find(conn, key)
    if member is None:
        raise ApiError(404, "no_member", f"no member has the phone or card {key.strip()[:64]!r}")
    if member.blocked is not None:
        raise ApiError(409, "member_blocked", "this member is blocked and spends nothing")
    return member


def _phone_of(member: members.Member) -> str:
    if member.phone is None:
        raise ApiError(
            422, "no_phone", "this member has no phone number, so no code can be sent; add one"
            " at the contact centre (instore admin member add)",
        )  # fmt: skip
    return member.phone
