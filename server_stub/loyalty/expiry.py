"""Points that expire: the sweep that expires lots past their date, and the text that warns a
member a set number of days before ("120 points expire on 31 December").

`sweep` does both: `lots.expire_due` in batches of `batch` lots, a transaction each, until none
is due; then the reminders. A member hears once per expiry date: the outbox key
`expiry|<member id>|<expires_at>|sms` is written once, whatever retries or second sweeps run,
with the points open when it was written. A reminder goes only to a member with a phone who is
not blocked, in the member's language (texts/{lang}.json: the sentence in its plural forms and
the month names; English for a language we lack), and only when the program's
expiry_notice_days is not 0. The outbox's worker sends it (notifications/worker.py).

Safe to run from several processes at once: expire_due locks the lots it takes (SKIP LOCKED on
PostgreSQL, the one writer on SQLite) and a lot already expired is not due again; a reminder
another sweep wrote first is not written twice (the key is unique). `instore server` runs it
every few minutes (`keep_sweeping`), `instore admin points expire` once by hand.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    select,
)

from server_stub.database.connection import reader, writing
from server_stub.database.loyalty_tables import lots as lot_table
from server_stub.database.loyalty_tables import members
from server_stub.database.schema import configs
from server_stub.database.schema import outbox as outbox_table
from server_stub.loyalty import lots
from server_stub.loyalty.program import program
from server_stub.prizes import outbox
from sync.protocol import DeviceConfig

LOG = logging.getLogger("instore.server.expiry")
TEXTS = Path(__file__).parent / "texts"
LANGUAGES = ("en", "hi", "ru", "kk")
KIND = "points_expiring"  # the outbox's kind of the reminder
BATCH = 500  # lots expired, or members reminded, per transaction: short locks, steady progress
RUN_EVERY_S = 300.0  # how often the server sweeps: a lot is spendable to its last second anyway
DAY = 86_400.0


@dataclass(frozen=True)
class Swept:
    """What one sweep did: lots expired (and their points), reminders written."""

    lots: int = 0
    reminders: int = 0

    def summary(self) -> str:
        return (
            f"{self.lots} lot(s) of points expired; {self.reminders} member(s) told by text"
            " that points expire soon"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sweep(
    engine: Engine, now: float | None = None, batch: int = BATCH, grace: float | None = None
) -> Swept:
    """Expire every lot that expired more than `grace` seconds before `now`, then write the
    reminders due; see the module's words. The grace is, by default, the longest a till may
    stay offline: a spend it made before a lot's expiry and syncs later still finds the lot
    (balances leave an expired lot out at once; only its consuming waits)."""
    if batch < 1:
        raise ValueError("batch is 1 or more")
    now = time.time() if now is None else now
    if grace is None:
        with reader(engine).connect() as conn:
            grace = offline_grace(conn)
    expired = 0
    while True:
        with writing(engine) as conn:
            done = lots.expire_due(conn, now - grace, batch)
        expired += done
        if done < batch:  # fewer than asked: none due, or the rest held by a spend (next run)
            break
    told = remind(engine, now, batch)
    (LOG.info if expired or told else LOG.debug)(
        "expiry: %d lot(s) expired, %d reminder(s) written", expired, told
    )  # counts only: a log is read by more people than the members' phones are
    return Swept(expired, told)


def offline_grace(conn: Connection) -> float:
    """The longest any store's tills may stay offline (the chain's setting, or a store's own):
    how long an expired lot stays unconsumed for their late spends."""
    chain = float(DeviceConfig.model_fields["max_offline_seconds"].default)
    own: list[float] = []
    for scope, data in conn.execute(select(configs.c.scope, configs.c.data)):
        given = json.loads(data).get("max_offline_seconds")
        if isinstance(given, int | float) and given > 0:
            if scope == "global":
                chain = float(given)
            else:
                own.append(float(given))
    return max([chain, *own])


def remind(engine: Engine, now: float, batch: int = BATCH) -> int:
    """Write the reminders due at `now`: for each member with a phone, not blocked, and each
    expiry date within the program's notice days, one SMS. How many were written."""
    with reader(engine).connect() as conn:
        terms = program(conn)
    if terms.expiry_notice_days <= 0:
        return 0
    horizon = now + terms.expiry_notice_days * DAY
    written = 0
    while True:
        with writing(engine) as conn:
            due = conn.execute(_due(now, horizon, batch)).all()
            new = sum(_write(conn, row, now) for row in due)
        written += new
        if len(due) < batch or new == 0:  # the last page, or nothing left to write
            return written


def reminder_key(member_id: int, expires_at: float) -> str:
    return f"expiry|{member_id}|{round(expires_at)}|sms"


def reminder(lang: str, points: int, expires_at: float, now: float) -> str:
    """The text: "120 points expire on 31 December" in `lang` (the year named when it is not
    this year's), the last day the points can be spent."""
    words = texts(lang)
    day = lots.last_day(expires_at)
    parts = {"day": str(day.day), "month": words["months"][day.month - 1], "year": str(day.year)}
    same_year = day.year == datetime.fromtimestamp(now, UTC).year
    date = words["date" if same_year else "date_year"].format_map(parts)
    return str(words[f"sms_{plural(lang, points)}"]).format(points=points, date=date)


def plural(lang: str, n: int) -> str:
    """Which form a count takes: one, few or many (Russian has three; Hindi counts 0 as one)."""
    if lang == "ru":
        if n % 10 == 1 and n % 100 != 11:
            return "one"
        return "few" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else "many"
    if lang == "hi":
        return "one" if n in (0, 1) else "many"
    return "one" if n == 1 else "many"


@functools.cache
def texts(lang: str) -> dict[str, Any]:
    """One language's words; English for a language we lack."""
    lang = lang if lang in LANGUAGES else "en"
    loaded: dict[str, Any] = json.loads((TEXTS / f"{lang}.json").read_text(encoding="utf-8"))
    return loaded


def keep_sweeping(engine: Engine, stop: threading.Event, first_after_s: float = 30.0,
                  every_s: float = RUN_EVERY_S) -> None:  # fmt: skip
    """The server's expiry job: `sweep` shortly after start, then every `every_s`, until `stop`
    is set. A run that fails is logged and the next one tries again."""
    wait = first_after_s
    while not stop.wait(wait):
        try:
            sweep(engine)
        except Exception:  # the job outlives any one run; the traceback goes to the log
            LOG.exception("expiring points failed; trying again in %d s", int(every_s))
        wait = every_s


def start_sweeping(
    engine: Engine, first_after_s: float = 30.0, every_s: float = RUN_EVERY_S
) -> tuple[threading.Thread, threading.Event]:
    """`keep_sweeping` in a daemon thread of its own; set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=keep_sweeping, args=(engine, stop, first_after_s, every_s),
        name="points-expiry", daemon=True,
    )  # fmt: skip
    thread.start()
    return thread, stop


def _due(now: float, horizon: float, batch: int) -> Any:
    """Members and expiry dates to remind of: open lots expiring after `now` and by `horizon`,
    their points summed, whose reminder has not been written; a page of `batch`."""
    key = (
        literal("expiry|") + cast(lot_table.c.member_id, String) + literal("|")
        + cast(cast(lot_table.c.expires_at, BigInteger), String) + literal("|sms")
    )  # fmt: skip
    written = exists().where(outbox_table.c.key == key)
    return (
        select(lot_table.c.member_id, lot_table.c.expires_at,
               func.sum(lot_table.c.remaining).label("points"), members.c.phone, members.c.lang)
        .join(members, members.c.id == lot_table.c.member_id)
        .where(
            and_(lot_table.c.remaining > 0, lot_table.c.expires_at > now,
                 lot_table.c.expires_at <= horizon),
            members.c.phone.is_not(None), members.c.blocked.is_(None), ~written,
        )
        .group_by(lot_table.c.member_id, lot_table.c.expires_at, members.c.phone,
                  members.c.lang)
        .order_by(lot_table.c.member_id, lot_table.c.expires_at)
        .limit(batch)
    )  # fmt: skip


def _write(conn: Connection, row: Any, now: float) -> int:
    lang = row.lang if row.lang in LANGUAGES else "en"
    body = reminder(lang, int(row.points), float(row.expires_at), now)
    return outbox.queue_sms(conn, reminder_key(int(row.member_id), float(row.expires_at)),
                            row.phone, KIND, lang, body, now)  # fmt: skip
