"""A gateway for tests: a person dialling and answering screens, the way Africa's Talking calls
the server (every input so far joined by `*`), through the engine or over HTTP."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

from server_stub.database.connection import writing
from server_stub.loyalty import lots, members, partners
from server_stub.loyalty.program import set_program
from server_stub.ussd.reply import LIMIT, Reply
from server_stub.ussd.service import Call, UssdService

PHONE_KZ = "+77011234567"
PHONE_IN = "+919876543210"
_ids = itertools.count(1)


@dataclass
class Dial:
    """One session of a phone: `answer("1")` sends the inputs so far plus this one."""

    ussd: UssdService
    phone: str
    now: float = field(default_factory=time.time)
    session_id: str = field(default_factory=lambda: f"ATUid_{next(_ids):06d}")
    inputs: list[str] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)

    def open(self) -> str:
        return self._send()

    def answer(self, typed: str) -> str:
        self.inputs.append(typed)
        return self._send()

    def _send(self) -> str:
        reply = self.ussd.answer(Call(self.session_id, self.phone, tuple(self.inputs)), self.now)
        body = reply.body
        assert len(body) <= LIMIT, body
        assert body.startswith(("CON ", "END ")), body
        self.replies.append(reply)
        return body


def member_with_points(engine: Engine, phone: str, lang: str, now: float) -> int:
    """A member with points from two partners: some spendable, some pending, a spend."""
    day = 86400.0
    with writing(engine) as conn:
        member, _ = members.register(conn, phone, lang=lang, via="centre", now=now)
        for pid, name in (("fuel", "Fuel Co"), ("phones", "Mobile Operator Shop")):
            if partners.get(conn, pid) is None:
                partners.create(conn, pid, name, "both", 0.1)
        terms = set_program(conn, pending_days=14, expiry_months=12)
        for i, (pid, points, ago) in enumerate(
            (("fuel", 120, 300), ("phones", 300, 30), ("fuel", 50, 2))
        ):
            lots.earn(conn, member.id, points, partner_id=pid, store_id="s1",
                      event_id=f"earn-{phone}-{i}", at=now - ago * day, program=terms)  # fmt: skip
        lots.spend(conn, member.id, 20, event_id=f"spend-{phone}", redeemer="phones",
                   store_id="s2", at=now - day)  # fmt: skip
    return member.id
