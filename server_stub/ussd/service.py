"""A gateway's request answered: the session found or begun (offering to continue one the
network cut off), the phone's requests counted, the new inputs read through the menus, the reply
kept with the session. One transaction per request. Both adapters (the form callback and the
JSON one, web.py) come here with a `Call`."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from server_stub.database.connection import writing
from server_stub.device_api.service import SyncService
from server_stub.errors import ApiError
from server_stub.limits import counters
from server_stub.limits.counters import Limit
from server_stub.loyalty import members
from server_stub.phones.numbers import normalise_phone
from server_stub.ussd import menus, sessions, texts
from server_stub.ussd.code_check import CodeReader
from server_stub.ussd.menus import Visit
from server_stub.ussd.reply import Reply
from server_stub.ussd.sessions import Session

# A person steps through a menu every few seconds: 60 screens in 10 minutes is several whole
# sessions. Past it the phone waits out the 10 minutes (a script, or a gateway gone round in
# circles), and each refused request costs a read, not a write.
STEPS = Limit("ussd_step", 60, 600, 600, "USSD requests")
MAX_TEXT = 1000  # characters of a session's inputs together; a person types a few dozen
MAX_STEPS = 20  # new inputs read in one request (a gateway sends one, an extended dial a few)
MAX_PHONE = 40  # characters of a number as a gateway sends it, spaces and all
SESSION_ID = re.compile(r"[\x21-\x7e]{1,64}")  # what gateways send: ATUid_..., UUIDs, numbers


@dataclass(frozen=True)
class Call:
    """One request of a gateway, read by an adapter.

    `inputs`: with `chained`, every input of the session so far (Africa's Talking's `text`,
    split at `*`); without, this request's input alone. `new`: the gateway says the session
    begins here (a JSON gateway's flag; a chained gateway's new session is simply a new id)."""

    session_id: str
    phone: str
    inputs: tuple[str, ...] = ()
    chained: bool = True
    new: bool = False


class UssdService:
    """The menus over a database: `answer` a call with a reply."""

    def __init__(self, engine: Engine, service: SyncService) -> None:
        self.engine = engine
        self.codes = CodeReader(service)

    def answer(self, call: Call, now: float | None = None) -> Reply:
        now = time.time() if now is None else now
        if not SESSION_ID.fullmatch(call.session_id):
            return _end(texts.DEFAULT, "end.bad_request")
        if len(call.phone) > MAX_PHONE:
            return _end(texts.DEFAULT, "end.no_phone")
        try:
            with writing(self.engine) as conn:
                try:  # a gateway may send the MSISDN without its "+": the home region reads it
                    phone = normalise_phone(call.phone, members.reading_region(conn, call.phone))
                except ApiError:
                    return _end(texts.DEFAULT, "end.no_phone")
                held = counters.peek(conn, STEPS, phone, now)
                if held is not None and held.reached:
                    minutes = max(1, math.ceil((held.ends - now) / 60))
                    return _end(texts.guess(phone), "end.too_many", minutes=minutes)
                counters.take(conn, STEPS, phone, now)
                session = sessions.load(conn, call.session_id)
                if session is not None and session.phone != phone:
                    return _end(texts.guess(phone), "end.bad_request")  # not this phone's
                member = members.find(conn, phone)
                lang = member.lang if member else session.lang if session else texts.guess(phone)
                visit = Visit(conn, phone, member, texts.known(lang), now, self.codes)
                if member is not None and member.blocked is not None:
                    return _end(visit.lang, "end.blocked")
                if session is None or call.new:
                    sessions.purge(conn, now)
                    place = menus.start(visit, sessions.cut_off(conn, phone, call.session_id, now))
                    session = Session(call.session_id, phone, place, visit.lang, created=now)
                    # a JSON gateway's first input is the code dialled, no answer to a menu
                    fresh = list(call.inputs) if call.chained else []
                elif session.ended or (call.chained and len(call.inputs) <= session.seen):
                    return _again(session.last)  # a retry of an answered request
                else:
                    fresh = list(call.inputs[session.seen :] if call.chained else call.inputs)
                reply = self._walk(visit, session, fresh)
                session.seen = len(call.inputs) if call.chained else session.seen + len(fresh)
                session.lang, session.last, session.ended = visit.lang, reply.body, reply.end
                sessions.save(conn, session, now)
                return reply
        except ApiError:  # a registration that lost a race three times, say: dial again
            return _end(texts.guess(phone), "end.bad_request")

    @staticmethod
    def _walk(visit: Visit, session: Session, fresh: list[str]) -> Reply:
        """The screen after reading `fresh` inputs from the session's place."""
        place, note = session.place, ""
        if sum(len(typed) + 1 for typed in fresh) > MAX_TEXT or len(fresh) > MAX_STEPS:
            return menus.screen(visit, place, visit.say("note.too_long"))
        for typed in fresh:
            turn = menus.choose(visit, place, typed)
            if turn.end:
                session.place = turn.place
                return Reply(turn.end, end=True)
            place, note = turn.place, turn.note
        session.place = place
        return menus.screen(visit, place, note)


def _end(lang: str, key: str, **params: object) -> Reply:
    return Reply(texts.say(lang, key, **params), end=True)


def _again(body: str) -> Reply:
    """A reply given before, as it was."""
    return Reply(body[4:], end=body.startswith("END ")) if body else Reply("", end=True)
