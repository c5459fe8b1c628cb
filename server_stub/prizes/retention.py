"""Claim documents leave the disk when their job is done: `keep_days` (90 by default) after the
prize was delivered, or after the claim's last rejection.

A rejected claim's documents go too, since a rejection that is not followed up must not keep an
ID card on disk for ever; its one chance to be sent again ends with them (the timeline says so),
since a resubmission replaces only the documents it brings and the verifier would find the
others gone. Each document's row stays, marked `deleted`, with its kind, size and hashes (the
duplicate flags still find a reused invoice), and the claim's timeline gets a line by the actor
`retention`; the claim itself, its status and its counts stay.

`purge` is idempotent and safe to run from several processes at once: each claim is handled in
a transaction of its own that locks its row and checks again that it is due, and a file already
gone is no error. It logs counts, never a name, phone or claim number.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, exists, not_, or_, select, update

from server_stub.database.connection import reader, writing
from server_stub.database.schema import claim_documents, claim_timeline, prize_claims
from server_stub.prizes.documents import DocumentStore

LOG = logging.getLogger("instore.server.retention")
KEEP_DAYS = 90
ACTOR = "retention"
DAY_S = 86_400.0
RUN_EVERY_S = 3600.0  # how often the server runs it: a day late is no harm, an hour is cheap


@dataclass(frozen=True)
class Purged:
    """What one run did: claims whose documents it deleted, and the documents (files it found
    gone already among them)."""

    claims: int = 0
    documents: int = 0
    already_gone: int = 0

    def summary(self) -> str:
        if not self.claims:
            return "no documents were due for deletion"
        gone = f", {self.already_gone} of them already gone" if self.already_gone else ""
        return (
            f"deleted {self.documents} document(s) of {self.claims} claim(s){gone}; their rows"
            " and timelines are kept"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def purge(
    engine: Engine, store: DocumentStore, keep_days: int = KEEP_DAYS, now: float | None = None
) -> Purged:
    """Delete the documents of claims delivered, or last rejected, more than `keep_days` ago."""
    if keep_days < 0:
        raise ValueError("keep_days is 0 or more")
    now = time.time() if now is None else now
    cutoff = now - keep_days * DAY_S
    with reader(engine).connect() as conn:
        numbers = list(conn.execute(select(prize_claims.c.number).where(_due(cutoff))).scalars())
    claims = documents = gone = 0
    for number in numbers:
        deleted, missing = _purge_claim(engine, store, number, cutoff, keep_days, now)
        if deleted:
            claims, documents, gone = claims + 1, documents + deleted, gone + missing
    done = Purged(claims, documents, gone)
    # counts only: a log is read by more people than the claims are
    (LOG.info if claims else LOG.debug)(
        "retention: %d document(s) of %d claim(s) deleted after %d days (%d already gone)",
        documents, claims, keep_days, gone,
    )  # fmt: skip
    return done


def _due(cutoff: float) -> ColumnElement[bool]:
    """Claims whose documents are due: delivered on or before the cutoff's day (the shipping
    partner's date, else the day the claim was moved to delivered), or rejected last before the
    cutoff; and holding a document not yet deleted."""
    c, t, d = prize_claims.c, claim_timeline.c, claim_documents.c

    def step(status: str, *when: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(t.number == c.number, t.status == status, *when)

    day = datetime.fromtimestamp(cutoff, UTC).date().isoformat()
    delivered = and_(
        c.status == "delivered",
        or_(c.delivered_on <= day, and_(c.delivered_on.is_(None), step("delivered", t.at <= cutoff))),
    )  # fmt: skip
    rejected = and_(
        c.status == "rejected", step("rejected", t.at <= cutoff),
        not_(step("rejected", t.at > cutoff)),
    )  # fmt: skip
    kept = exists().where(d.number == c.number, d.deleted.is_(None))
    return and_(or_(delivered, rejected), kept)


def _purge_claim(
    engine: Engine, store: DocumentStore, number: str, cutoff: float, keep_days: int, now: float
) -> tuple[int, int]:
    """One claim's documents: (deleted, of which already gone). The files go inside the
    transaction that marks their rows, so a crash leaves at worst a row that the next run marks
    (its file found gone), never a file whose row says it was deleted."""
    c, d = prize_claims.c, claim_documents.c
    with writing(engine) as conn:
        claim = conn.execute(
            select(c.status, c.resubmissions)
            .where(c.number == number, _due(cutoff))
            .with_for_update()
        ).first()
        if claim is None:  # no longer due: sent again, or another run took it
            return 0, 0
        rows = conn.execute(
            select(d.id, d.stored).where(d.number == number, d.deleted.is_(None))
        ).all()
        missing = sum(not store.delete(row.stored) for row in rows)
        conn.execute(
            update(claim_documents)
            .where(d.id.in_([row.id for row in rows]), d.deleted.is_(None))
            .values(deleted=now)
        )
        _note(conn, number, claim.status, claim.resubmissions, len(rows), keep_days, now)
    return len(rows), missing


def _note(
    conn: Connection, number: str, status: str, resubmissions: int, count: int, keep_days: int,
    now: float,
) -> None:  # fmt: skip
    after = "delivery" if status == "delivered" else "the rejection"
    note = f"{count} document(s) deleted {keep_days} days after {after}"
    if status == "rejected" and resubmissions == 0:
        note += "; the claim can no longer be sent again"
        conn.execute(
            update(prize_claims).where(prize_claims.c.number == number).values(resubmissions=1)
        )
    conn.execute(
        claim_timeline.insert().values(number=number, at=now, status=status, note=note, actor=ACTOR)
    )


def keep_purging(
    engine: Engine, store: DocumentStore, keep_days: int, stop: threading.Event,
    first_after_s: float = 60.0, every_s: float = RUN_EVERY_S,
) -> None:  # fmt: skip
    """The server's retention job: `purge` a minute after start, then every `every_s`, until
    `stop` is set. A run that fails is logged and the next one tries again: a database that is
    down for a while must not end the job for good."""
    wait = first_after_s
    while not stop.wait(wait):
        try:
            purge(engine, store, keep_days)
        except Exception:  # the job outlives any one run; the traceback goes to the log
            LOG.exception("deleting the documents that are due failed; trying again in an hour")
        wait = every_s


def start_purging(
    engine: Engine, store: DocumentStore, keep_days: int, first_after_s: float = 60.0
) -> tuple[threading.Thread, threading.Event]:
    """`keep_purging` in a daemon thread of its own; set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=keep_purging, args=(engine, store, keep_days, stop, first_after_s),
        name="document-retention", daemon=True,
    )  # fmt: skip
    thread.start()
    return thread, stop
