"""Retention: it deletes the files and leaves the audit. Documents go 90 days after delivery or
after a claim's last rejection, never sooner and never those of a claim still in progress; each
claim keeps its rows, its steps and a line by `retention`; the log says counts, never who."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from instore_cli import main as instore
from server_stub.database.schema import claim_documents, claim_timeline, prize_claims
from server_stub.errors import ApiError
from server_stub.play import pages
from server_stub.prizes import claims, retention
from server_stub.prizes.documents import DocumentStore
from tests.server_stub.prizes.test_claims import PHONE, documents, draft, photo
from tests.world import World

DAY = 86_400.0
NOW = time.time()


def _day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).date().isoformat()


def _filed(w: World, store: DocumentStore, serial: int, name: str) -> str:
    return claims.file_claim(
        w.engine, store, draft(w, serial, name=name), documents(), now=NOW - 200 * DAY
    )


def _delivered(w: World, number: str, days_ago: float, dated: bool = True) -> None:
    at = NOW - days_ago * DAY
    for status in ("in_verification", "approved"):
        claims.move(w.engine, number, status, "vera", now=at - 2 * DAY)
    claims.move(w.engine, number, "dispatched", "lee", carrier="BlueDart", tracking="T1",
                now=at - DAY)  # fmt: skip
    claims.move(w.engine, number, "delivered", "lee", now=at,
                delivered_on=_day(at) if dated else None)  # fmt: skip


def _rejected(w: World, number: str, days_ago: float) -> None:
    at = NOW - days_ago * DAY
    claims.move(w.engine, number, "in_verification", "vera", now=at - DAY)
    claims.move(w.engine, number, "rejected", "vera", note="The invoice is blurred.", now=at)


def _files_kept(w: World, store: DocumentStore, number: str) -> list[bool]:
    with w.engine.connect() as conn:
        rows = conn.execute(
            select(claim_documents.c.stored, claim_documents.c.deleted)
            .where(claim_documents.c.number == number)
        ).all()  # fmt: skip
    assert rows
    for row in rows:  # the row says what the disk holds
        assert (row.deleted is None) == (store.root / row.stored).exists()
    return [row.deleted is None for row in rows]


def _timeline(w: World, number: str) -> list[tuple[str, str]]:
    with w.engine.connect() as conn:
        t = claim_timeline.c
        query = select(t.status, t.actor).where(t.number == number).order_by(t.at, t.id)
        return [(r.status, r.actor) for r in conn.execute(query)]


def test_retention_deletes_the_files_and_leaves_the_audit(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    w = world.setup()
    store = DocumentStore(tmp_path / "documents")
    names = ["Asha Rao", "Vikram Singh", "Meera Iyer", "Ravi Nair", "Lata Das", "Omar Khan",
             "Uma Pillai"]  # fmt: skip
    old, recent, undated, rejected, second_chance, open_claim, again = (
        _filed(w, store, serial, name) for serial, name in zip(range(10, 17), names, strict=True)
    )
    _delivered(w, old, days_ago=91)
    _delivered(w, recent, days_ago=89)
    _delivered(w, undated, days_ago=95, dated=False)  # moved to delivered without the date
    _rejected(w, rejected, days_ago=120)
    _rejected(w, second_chance, days_ago=30)
    claims.move(w.engine, open_claim, "in_verification", "vera", now=NOW - 150 * DAY)
    _rejected(w, again, days_ago=120)  # sent again, and rejected again lately: its time runs anew
    claims.resubmit(w.engine, store, again, PHONE, {"invoice": photo()}, now=NOW - 60 * DAY)
    _rejected(w, again, days_ago=30)
    (store.root / _stored(w, old)[0]).unlink()  # a file someone removed by hand: no error
    before = {n: _timeline(w, n) for n in (old, recent, undated, rejected)}

    with caplog.at_level(logging.DEBUG, logger="instore.server.retention"):
        done = retention.purge(w.engine, store, now=NOW)

    assert done == retention.Purged(claims=3, documents=9, already_gone=1)
    for number in (old, undated, rejected):
        assert _files_kept(w, store, number) == [False] * 3
        assert _timeline(w, number) == [*before[number], (_status(w, number), "retention")]
    for number in (recent, second_chance, open_claim):
        assert _files_kept(w, store, number) == [True] * 3
    assert _files_kept(w, store, again) == [True] * 4  # the invoice replaced is kept as well
    assert _timeline(w, recent) == before[recent]
    # the claims and their details stay; only the files left
    shown = claims.show(w.engine, old)
    assert shown["status"] == "delivered" and shown["documents"] == 3
    # the log has the counts and nothing of a person
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "9 document(s) of 3 claim(s)" in logged and "1 already gone" in logged
    for secret in (PHONE, PHONE[3:], *names, *(n.split()[1] for n in names), old, rejected):
        assert secret not in logged
    # the status page keeps the day the prize was delivered, not the day its files went
    page = claims.status_page(w.engine, old, PHONE)
    assert page is not None
    steps = {s["status"]: s["at"] for s in pages.claim_steps(page)}
    assert steps["delivered"] == pages.unbroken(_day(NOW - 91 * DAY))


def test_a_rejected_claim_cannot_be_sent_again_once_its_documents_are_gone(
    world: World, tmp_path: Path
) -> None:
    w = world.setup()
    store = DocumentStore(tmp_path / "documents")
    number = _filed(w, store, 20, "Asha Rao")
    _rejected(w, number, days_ago=91)
    retention.purge(w.engine, store, now=NOW)
    page = claims.status_page(w.engine, number, PHONE)
    assert page is not None and not page["can_resubmit"]
    with pytest.raises(ApiError) as refused:
        claims.resubmit(w.engine, store, number, PHONE, {"invoice": photo()})
    assert refused.value.code == "resubmitted_once"
    assert "can no longer be sent again" in claims.show(w.engine, number)["timeline"][-1]["note"]


def test_a_second_run_does_nothing_and_a_shorter_period_takes_more(
    world: World, tmp_path: Path
) -> None:
    w = world.setup()
    store = DocumentStore(tmp_path / "documents")
    first, second = _filed(w, store, 30, "Asha Rao"), _filed(w, store, 31, "Ravi Nair")
    _delivered(w, first, days_ago=100)
    _delivered(w, second, days_ago=10)
    assert retention.purge(w.engine, store, now=NOW).claims == 1
    lines = len(_timeline(w, first))
    assert retention.purge(w.engine, store, now=NOW) == retention.Purged()
    assert len(_timeline(w, first)) == lines  # no second line
    assert retention.purge(w.engine, store, keep_days=7, now=NOW).claims == 1
    assert _files_kept(w, store, second) == [False] * 3


def test_the_purge_command(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world.setup()
    store = DocumentStore(tmp_path / "documents")
    number = _filed(w, store, 40, "Asha Rao")
    _delivered(w, number, days_ago=40)
    db = str(w.engine.url)
    args = ["admin", "--db", db, "documents", "purge", "--documents-dir", str(store.root)]
    assert instore([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"claims": 0, "documents": 0, "already_gone": 0}
    assert instore([*args, "--days", "30"]) == 0
    out = capsys.readouterr().out
    assert "deleted 3 document(s) of 1 claim(s)" in out and "Asha" not in out
    assert _files_kept(w, store, number) == [False] * 3


def _stored(w: World, number: str) -> list[str]:
    with w.engine.connect() as conn:
        query = select(claim_documents.c.stored).where(claim_documents.c.number == number)
        return list(conn.execute(query).scalars())


def _status(w: World, number: str) -> str:
    with w.engine.connect() as conn:
        query = select(prize_claims.c.status).where(prize_claims.c.number == number)
        return str(conn.execute(query).scalar_one())


def test_the_servers_job_runs_on_its_own_and_outlives_a_failed_run(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world.setup()
    store = DocumentStore(tmp_path / "documents")
    number = _filed(w, store, 40, "Asha Rao")
    _delivered(w, number, days_ago=100)
    runs: list[int] = []
    real = retention.purge

    def first_fails(*args: object, **kwargs: object) -> retention.Purged:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("the database is away")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(retention, "purge", first_fails)
    stop = threading.Event()
    job = threading.Thread(target=retention.keep_purging, args=(w.engine, store, 90, stop),
                           kwargs={"first_after_s": 0.0, "every_s": 0.05})  # fmt: skip
    job.start()
    deadline = time.monotonic() + 10
    while _still_kept(w, number) and time.monotonic() < deadline:  # the rows, not the files:
        time.sleep(0.05)  # a run deletes the files first, then marks their rows
    stop.set()
    job.join(5)
    assert not any(_files_kept(w, store, number)) and len(runs) >= 2 and not job.is_alive()


def _still_kept(w: World, number: str) -> int:
    with w.engine.connect() as conn:
        kept = select(claim_documents.c.id).where(
            claim_documents.c.number == number, claim_documents.c.deleted.is_(None)
        )
        return len(conn.execute(kept).all())
