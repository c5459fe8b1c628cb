"""The outbox's worker: sends the messages to winners that the prize office wrote (prizes/outbox).

A round takes the due messages (`pending`, `next_at` passed) one at a time, oldest first, hands
each to its gateway (email over SMTP, SMS through the SMS gateway) and marks it `sent` the
moment the gateway took it, before the next one. A crash can therefore repeat only the message
in flight, and that copy carries the same Message-ID (email) or SMS id as the first: both come
from the message's outbox key.

Who takes a row:
- PostgreSQL: each message in a transaction of its own, its row locked with `FOR UPDATE SKIP
  LOCKED` while it is sent and marked; other workers skip it, and a worker that dies lets go
  of it with its connection, so it is sent again by whoever comes next.
- SQLite: one worker per database, held by a lock file beside it (`server.db.outbox-lock`); a
  second one waits until the first stops. No row lock is held while a gateway is asked: the
  one writer is never kept waiting on a mail server.

When a message fails:
- refused for good (SMTP 5xx for its address or content, a bad address, the SMS gateway's 4xx
  for it): `dead` at once, its error kept; the dashboard and `instore admin outbox` show it.
- refused for now (a 4xx for that address): tried again after 2, 4, 8 ... s, at most 50 s, each
  wait shortened by up to half at random so that messages held back together do not return
  together.
- the gateway as a whole is down (no connection, no answer, a refused login or sender, the SMS
  gateway's 5xx, 429, 401 or 403): that message counts a try, and the channel rests with the
  same backoff; its other messages are not touched. The channel is asked again at least every
  50 s, so a message leaves within a minute of its gateway's return.
- still not sent 3 days after it was written (a gateway down over a long weekend): `dead`. Past
  that the news is stale, and the winner's status page has it anyway.
A channel with no gateway set (no `--smtp`) is not tried: its messages wait, `pending`, their
`last_error` saying why, until a worker with one starts.

Logs say counts and the gateways' words, never a phone number, an address or a text.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, event, exists, select, update
from sqlalchemy.exc import SQLAlchemyError

from server_stub.database.connection import (
    insert_ignore,
    is_sqlite,
    open_engine,
    reader,
    writing,
)
from server_stub.database.schema import outbox, sms_messages
from server_stub.notifications.email import (
    Email,
    EmailFailed,
    EmailSender,
)
from server_stub.notifications.sms import SendFailed, Sms, SmsGateway

LOG = logging.getLogger("instore.server.outbox")

PENDING, SENT, DEAD = "pending", "sent", "dead"
EMAIL, SMS = "email", "sms"
POLL_S = 1.0  # how often an idle worker looks for due messages
BATCH = 200  # messages in one round (one SMTP connection), before the worker looks again
FIRST_WAIT_S = 2.0
CAP_S = 50.0  # the longest wait: with the poll and a round's work, under the minute promised
GIVE_UP_S = 3 * 86_400.0
WAITING = {
    EMAIL: "waiting: no mail server is set (--smtp)",
    SMS: "waiting: no SMS gateway is set (--sms-gateway)",
}
_SAY_WAITING_S = 30.0  # how often the rows of a channel without a gateway are labelled
# an SMS gateway's answers that say it, not the message, is at fault
_GATEWAY_AT_FAULT = frozenset({401, 403, 407, 408, 429})


# How the worker's marks are written. A mark is committed before the next message goes, so a
# worker killed (kill -9) repeats at most the message in flight. But the commit does not wait
# for the disk: were the machine or the database server itself to crash, the last marks (well
# under a second's) could be lost and those messages sent again, with the same Message-ID or
# SMS id. Waiting for the disk took 4 ms a message here, half the time at 200 a second.
_RELAXED_SQLITE = "PRAGMA synchronous=NORMAL"  # SQLite in WAL mode, on this connection
_RELAXED_POSTGRES = "SET synchronous_commit TO OFF"  # PostgreSQL, for this session


def _own_engine(engine: Engine) -> Engine:
    """The worker's own connections to the database `engine` opens, written as the marks want
    (above); on SQLite they queue for the one writer with every other connection all the
    same. An in-memory database (tests) is used as it is."""
    if engine.url.database in (None, "", ":memory:"):
        return engine
    own = open_engine(engine.url.render_as_string(hide_password=False))
    sqlite = is_sqlite(own)

    def relax(dbapi_connection: Any, _record: Any) -> None:
        if sqlite:
            dbapi_connection.execute(_RELAXED_SQLITE)
            return
        with dbapi_connection.cursor() as cursor:
            cursor.execute(_RELAXED_POSTGRES)
        dbapi_connection.commit()  # a session's setting, kept once committed
        # the same two statements hundreds of times a second: planned once, not each time
        dbapi_connection.prepare_threshold = 1

    event.listen(own, "connect", relax)  # after open_engine's own (SQLite's asks for FULL)
    return own


def sms_id(key: str) -> str:
    """The id an outbox SMS goes with, the same every time: the file gateway writes it over,
    and the gateway's delivery reports name it."""
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def backoff(tries: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds before try number `tries` + 1: doubling from 2 s, at most 50 s, jittered."""
    full = min(CAP_S, FIRST_WAIT_S * 2 ** max(0, tries - 1))
    return float(full * (0.5 + 0.5 * rng()))


@dataclass
class Round:
    """What one round did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.dead


@dataclass(frozen=True)
class _Outcome:
    state: str  # sent, pending (try again), dead
    words: str = ""
    channel_down: bool = False


# Built once: at 200 messages a second, building a statement for each was a fifth of the CPU.
_DUE = (
    select(outbox.c.id, outbox.c.key, outbox.c.channel, outbox.c.to, outbox.c.kind,
           outbox.c.lang, outbox.c.subject, outbox.c.body, outbox.c.attempts, outbox.c.next_at,
           outbox.c.created)
    .where(outbox.c.state == PENDING, outbox.c.next_at <= bindparam("due"),
           outbox.c.channel.in_(bindparam("up", expanding=True)))
    .order_by(outbox.c.next_at, outbox.c.id)
    .limit(1)
)  # fmt: skip
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True)
_MARK = (
    update(outbox)
    .where(outbox.c.id == bindparam("b_id"), outbox.c.state == PENDING)
    .values(state=bindparam("b_state"), attempts=bindparam("b_attempts"),
            last_error=bindparam("b_error"), next_at=bindparam("b_next_at"),
            sent_at=bindparam("b_sent_at"))
)  # fmt: skip


class Worker:
    """Sends the outbox. `email` None: no mail server set; `sms` None: no SMS gateway set."""

    def __init__(
        self, engine: Engine, email: EmailSender | None, sms: SmsGateway | None, *,
        batch: int = BATCH, poll_s: float = POLL_S, clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:  # fmt: skip
        self.given, self.engine = engine, _own_engine(engine)
        self.email, self.sms = email, sms
        self.batch, self.poll_s, self.clock, self.rng = batch, poll_s, clock, rng
        self.stop = threading.Event()
        self._rest_until: dict[str, float] = {}  # a channel whose gateway is down: until when
        self._failures: dict[str, int] = {}  # ... and how many times in a row
        self._labelled = -_SAY_WAITING_S

    # -- running ---------------------------------------------------------------------------

    def run(self) -> None:
        """Send until `self.stop` is set; the message in flight is finished first."""
        try:
            with self._sole_worker() as ours:
                if ours:
                    self._rounds()
        finally:
            self.close()

    def _rounds(self) -> None:
        LOG.info("outbox worker started (email %s, SMS %s)",
                 "on" if self.email else "off: no --smtp",
                 "on" if self.sms else "off: no --sms-gateway")  # fmt: skip
        while not self.stop.is_set():
            try:
                done = self.send_due()
            except SQLAlchemyError as exc:  # the database away: try again, do not die
                LOG.warning("outbox: the database failed (%s); trying again in 5 s",
                            type(exc).__name__)  # fmt: skip
                self.stop.wait(5.0)
                continue
            if done.handled < self.batch:
                self.stop.wait(self.poll_s)
        LOG.info("outbox worker stopped")

    def close(self) -> None:
        """Let go of the worker's own database connections (SQLite's, see _own_engine)."""
        if self.engine is not self.given:
            self.engine.dispose()

    def start(self) -> threading.Thread:
        """Run in a thread of this process (inside `instore server`)."""
        thread = threading.Thread(target=self.run, name="outbox-worker", daemon=True)
        thread.start()
        return thread

    def send_due(self) -> Round:
        """One round: up to `batch` due messages, each marked as soon as its gateway answers."""
        done = Round()
        started = self.clock()
        self._label_waiting(started)
        try:
            while done.handled < self.batch and not self.stop.is_set():
                up = self._channels_up(self.clock())
                if not up or not self._one(up, started, done):
                    break
        finally:
            if self.email is not None:
                self.email.close()
        if done.handled:
            LOG.info("outbox: %d sent, %d to try again, %d dead", done.sent, done.retried,
                     done.dead)  # fmt: skip
        return done

    # -- one message -----------------------------------------------------------------------

    def _one(self, up: list[str], due_by: float, done: Round) -> bool:
        """Send the oldest due message of a channel that is up; False when there is none."""
        due = {"due": due_by, "up": up}
        if is_sqlite(self.engine):  # the sole worker: read, send, then write what happened
            with reader(self.engine).begin() as conn:
                row = conn.execute(_DUE, due).first()
            if row is None:
                return False
            outcome = self._send(row)
            with writing(self.engine) as conn:
                self._record(conn, row, outcome, done)
            return True
        with self.engine.begin() as conn:  # the row stays locked until its outcome is written
            row = conn.execute(_DUE_LOCKED, due).first()
            if row is None:
                return False
            outcome = self._send(row)
            self._record(conn, row, outcome, done)
        return True

    def _send(self, row: Any) -> _Outcome:  # a row of _DUE
        try:
            if row.channel == EMAIL:
                assert self.email is not None
                self.email.send(Email(row.key, row.to, row.subject, row.body, row.lang))
            else:
                assert self.sms is not None
                self.sms.send(Sms(sms_id(row.key), row.to, row.body, row.kind))
        except EmailFailed as exc:
            if exc.permanent:
                return _Outcome(DEAD, str(exc))
            return _Outcome(PENDING, str(exc), channel_down=exc.whole_server)
        except SendFailed as exc:
            status = exc.status
            if status is not None and 400 <= status < 500 and status not in _GATEWAY_AT_FAULT:
                return _Outcome(DEAD, str(exc))
            return _Outcome(PENDING, str(exc), channel_down=True)
        except Exception:  # a fault of ours: logged, and the message tried again later
            LOG.exception("outbox: message %d failed in the server", row.id)
            return _Outcome(PENDING, "the server failed while sending; see its log")
        return _Outcome(SENT)

    def _record(self, conn: Connection, row: Any, outcome: _Outcome, done: Round) -> None:
        now = self.clock()
        tries = int(row.attempts) + 1
        values: dict[str, Any] = {
            "b_id": row.id, "b_state": outcome.state, "b_attempts": tries,
            "b_error": outcome.words, "b_next_at": row.next_at, "b_sent_at": None,
        }  # fmt: skip
        if outcome.state == SENT:
            values["b_sent_at"] = now
            self._answered(row.channel)
            done.sent += 1
        elif outcome.state == DEAD:
            done.dead += 1
        elif now - float(row.created) > GIVE_UP_S:
            values.update(b_state=DEAD, b_error=f"not sent in 3 days; last: {outcome.words}")
            done.dead += 1
        else:
            values["b_next_at"] = now + backoff(tries, self.rng)
            done.retried += 1
        if outcome.channel_down:
            self._rest(row.channel, outcome.words, now)
        elif outcome.state != SENT:
            self._answered(row.channel)  # it answered, about this message
        marked = conn.execute(_MARK, values).rowcount
        # so the gateway's delivery reports find it; not when the row changed meanwhile: the
        # winner's details erased while the gateway had the message (SQLite holds no row lock)
        if outcome.state == SENT and row.channel == SMS and marked == 1:
            conn.execute(insert_ignore(conn, sms_messages).values(
                id=sms_id(row.key), phone=row.to, kind=row.kind.partition("_")[0],
                status=SENT, error="", created=now, updated=now,
            ))  # fmt: skip

    # -- channels ----------------------------------------------------------------------------

    def _channels_up(self, now: float) -> list[str]:
        senders = ((EMAIL, self.email), (SMS, self.sms))
        return [c for c, s in senders if s is not None and self._rest_until.get(c, 0.0) <= now]

    def _rest(self, channel: str, words: str, now: float) -> None:
        failures = self._failures.get(channel, 0) + 1
        self._failures[channel] = failures
        wait = backoff(failures, self.rng)
        self._rest_until[channel] = now + wait
        if failures == 1:
            LOG.warning("outbox: %s: %s; its messages wait, asked again every %d s at most",
                        channel, words, CAP_S)  # fmt: skip
        else:
            LOG.info("outbox: %s still down (%d tries); again in %.0f s", channel, failures, wait)

    def _answered(self, channel: str) -> None:
        if self._failures.pop(channel, 0):
            LOG.warning("outbox: %s answers again", channel)
        self._rest_until.pop(channel, None)

    def _label_waiting(self, now: float) -> None:
        """Say on the rows of a channel without a gateway why they wait (every 30 s at most)."""
        if now - self._labelled < _SAY_WAITING_S:
            return
        self._labelled = now
        for channel, sender in ((EMAIL, self.email), (SMS, self.sms)):
            if sender is not None:
                continue
            unlabelled = (outbox.c.state == PENDING) & (outbox.c.channel == channel)
            unlabelled &= outbox.c.last_error == ""
            with reader(self.engine).begin() as conn:  # most rounds: a read, no write lock
                if not conn.execute(select(exists().where(unlabelled))).scalar():
                    continue
            with writing(self.engine) as conn:
                conn.execute(update(outbox).where(unlabelled).values(last_error=WAITING[channel]))

    @contextlib.contextmanager
    def _sole_worker(self) -> Iterator[bool]:
        """On SQLite, this worker's turn: a lock on `<database>.outbox-lock`, waited for while
        another worker holds it (False: stopped while waiting). The system lets go of it when
        its process ends, however it ends."""
        path = self.engine.url.database if is_sqlite(self.engine) else None
        if not path or path == ":memory:":
            yield True
            return
        fd = os.open(f"{os.path.abspath(path)}.outbox-lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            said = False
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not said:
                        LOG.warning("outbox: another worker sends this database's messages;"
                                    " this one waits until it stops")  # fmt: skip
                        said = True
                    if self.stop.wait(1.0):
                        break
            yield not self.stop.is_set()
        finally:
            os.close(fd)  # closing lets go of the lock
