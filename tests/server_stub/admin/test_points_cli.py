"""`instore admin points expire`, as a store manager runs it after the server was off: what it
did in words or JSON, nothing done twice, and a bad --now a message with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from instore_cli import main as instore
from server_stub.database.connection import open_engine
from server_stub.database.loyalty_tables import lots
from server_stub.database.schema import outbox
from server_stub.loyalty import lots as lot
from server_stub.loyalty import members
from server_stub.loyalty.program import program, set_program
from tests.server_stub.loyalty.test_expiry import EARNED


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = instore(["admin", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_points_expire_by_hand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    run(capsys, "--db", db, "migrate")
    engine = open_engine(db)
    with engine.begin() as conn:
        set_program(conn, expiry_notice_days=30)
        for phone, lang in (("+77011234567", "ru"), ("+77017654321", "en")):
            made, _ = members.register(conn, phone, lang=lang, via="centre", now=1.0)
            lot.earn(conn, made.id, 120, partner_id="house", store_id="north",
                     event_id=f"e-{phone}", at=EARNED, program=program(conn))  # fmt: skip
    code, out, _ = run(capsys, "--db", db, "points", "expire", "--now", "2026-12-05")
    assert code == 0 and out.strip() == (
        "0 lot(s) of points expired; 2 member(s) told by text that points expire soon"
    )
    code, out, _ = run(capsys, "--db", db, "points", "expire", "--now", "2027-01-04T06:00+05:00",
                       "--json")  # fmt: skip
    assert code == 0 and json.loads(out) == {
        "lots": 2,
        "reminders": 0,
    }  # 4 January 01:00 UTC: past the 72 hours
    with engine.connect() as conn:
        assert conn.execute(select(lots.c.remaining)).scalars().all() == [0, 0]
        bodies = conn.execute(select(outbox.c.body).order_by(outbox.c.id)).scalars().all()
    assert bodies == ["120 баллов сгорят 31 декабря.", "120 points expire on 31 December."]
    engine.dispose()
    code, _, err = run(capsys, "--db", db, "points", "expire", "--now", "next tuesday")
    assert code == 2 and "is not a date or time" in err and "Traceback" not in err
