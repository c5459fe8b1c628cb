"""`instore admin backup` and `restore`, as a store manager runs them: a backup taken while tills
push to a running server restores to a database whose chains verify and whose counts agree;
nothing is replaced without --force, a server's open database is never swapped under it, and a
file that is no instore backup, or a PostgreSQL database, gets words and exit code 2.

A running server is one process, its tills another set of threads, and the commands run here,
as they would from a shell beside it."""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from codes.common import event_form
from instore_cli import main as instore
from server_stub.catalog import enrollment
from sync.client import SyncClient
from sync.transport import HttpTransport
from tests.live import ServerProcess
from tests.server_stub.test_concurrency import signed_redemptions
from tests.world import World

CODES = 3000
PUSHERS = 3
BATCH = 20


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = instore(["admin", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("server_url", ["sqlite"], indirect=True)
def test_a_backup_taken_during_ingest_restores_to_a_consistent_database(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.setup(stores=("s1", "s2"), issued=CODES)
    server = ServerProcess(world.url)
    server.start()
    try:
        pushers, total = _pushers(world, server.url)
        pushed: list[int] = []
        errors: list[BaseException] = []

        def push(client: SyncClient, parts: list[list[dict[str, Any]]]) -> None:
            try:
                for part in parts:
                    client.push(part)
                    pushed.append(len(part))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=push, args=p) for p in pushers]
        for t in threads:
            t.start()
        while sum(pushed) < total // 5 and not errors and any(t.is_alive() for t in threads):
            threading.Event().wait(0.01)
        code, out, err = run(
            capsys, "--db", world.url, "backup", "--to", str(tmp_path / "nightly.db"), "--json"
        )
        during = sum(pushed)
        for t in threads:
            t.join(120)
        world.engine.dispose()  # the server is the only one with the database open now
        refused = run(capsys, "--db", world.url, "restore", "--from", str(tmp_path / "nightly.db"),
                      "--force")  # fmt: skip
    finally:
        server.stop()
    assert not errors, errors[:3]
    assert code == 0, err
    assert refused[0] == 2 and "is in use" in refused[2] and "stop the server" in refused[2]
    saved = json.loads(out)
    backup = tmp_path / "nightly.db"
    assert saved["path"] == str(backup) and saved["bytes"] == backup.stat().st_size
    assert (backup.stat().st_mode & 0o777) == 0o600  # it holds the devices' secrets
    assert [p.name for p in tmp_path.glob(".nightly.db*")] == []  # no half-written copy left
    # taken in the middle: some of the pushes are in it, not all; the tills went on after it
    assert 0 < saved["rows"]["events"] < total and during < total

    restored = tmp_path / "restored" / "server.db"
    code, out, err = run(capsys, "--db", str(restored), "restore", "--from", str(backup), "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["rows"] == saved["rows"] and answer["kept"] is None
    assert (restored.stat().st_mode & 0o777) == 0o600
    _assert_consistent(restored, saved["rows"]["events"])
    # and the server's own commands read it: every conflict in it is listed
    code, out, _ = run(capsys, "--db", str(restored), "conflicts", "--json")
    assert code == 0 and len(json.loads(out)) == saved["rows"]["conflicts"] > 0

    # the server stopped, the restore over its database goes ahead; the database it replaced,
    # kept, holds every push by itself (what its -wal held was folded in first)
    server_db = tmp_path / "server.db"
    code, out, err = run(capsys, "--db", world.url, "restore", "--from", str(backup), "--force")
    assert code == 0, err
    _assert_consistent(server_db, saved["rows"]["events"])
    kept = tmp_path / "server.db.before-restore"
    assert not Path(f"{server_db}-wal").exists()
    _assert_consistent(kept, total)


def _pushers(
    world: World, url: str
) -> tuple[list[tuple[SyncClient, list[list[dict[str, Any]]]]], int]:
    """Three tills redeeming overlapping codes (so some are double redemptions), in small
    batches: many commits, the way tills sync through a day."""
    rng = random.Random(11)
    made, total = [], 0
    for n in range(PUSHERS):
        enrolled = enrollment.enroll_device(world.engine, f"s{n % 2 + 1}", f"Till {n}")
        line = HttpTransport(url)
        answer = SyncClient(line).enroll(enrolled["token"])
        client = SyncClient(line, answer.device_id, bytes.fromhex(answer.secret))
        serials = rng.sample(range(CODES), CODES // 3)
        signed = signed_redemptions(world, answer.device_id, client.secret, serials)
        total += len(signed)
        made.append((client, [signed[i : i + BATCH] for i in range(0, len(signed), BATCH)]))
    return made, total


def _assert_consistent(path: Path, expected_events: int) -> None:
    """Whole (integrity check); each device's chain gapless from its first event, every hash
    and MAC as signed, the server's verified mark at its end; claims, conflicts and the counts
    ingest keeps agreeing with the events' verdicts."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM events ORDER BY device_id, seq").fetchall()
        assert len(rows) == expected_events
        devices = {r["id"]: r for r in db.execute("SELECT * FROM devices")}
        chains: dict[str, tuple[int, str]] = {}
        for r in rows:
            seq, prev = chains.get(r["device_id"], (0, event_form.GENESIS))
            signed = {**dict(r), "payload": json.loads(r["payload"])}
            assert (r["seq"], r["prev_hash"]) == (seq + 1, prev), f"chain broken at {r['seq']}"
            secret = bytes.fromhex(devices[r["device_id"]]["secret"])
            assert event_form.mac_matches(secret, signed, r["mac"])
            chains[r["device_id"]] = (r["seq"], event_form.event_hash(signed))
        assert len(chains) == PUSHERS
        for device_id, (seq, last) in chains.items():
            device = devices[device_id]
            assert (device["chain_seq"], device["chain_hash"]) == (seq, last)
            assert device["max_seq"] == seq and device["chain_ok"]

        def one(sql: str) -> Any:
            return db.execute(sql).fetchone()[0]

        # one claim per code won, each the accepted redemption it names
        accepted = one("SELECT count(*) FROM events WHERE kind = 'redeem' AND verdict = 'accepted'")
        assert accepted == one("SELECT count(*) FROM claims") > 0
        assert (
            one(
                "SELECT count(*) FROM claims c JOIN events e ON e.event_id = c.event_id"
                " AND e.verdict = 'accepted' AND e.serial = c.serial"
            )
            == accepted
        )
        doubles = one("SELECT count(*) FROM events WHERE verdict = 'conflict'")
        assert (
            doubles
            == one("SELECT count(*) FROM conflicts c JOIN events e ON e.event_id = c.loser_event")
            > 0
        )
        assert accepted + doubles == expected_events
        counted = dict(
            db.execute("SELECT kind, sum(count) FROM event_counts GROUP BY kind").fetchall()
        )
        assert counted == {"redemption": accepted, "double_redemption": doubles}
    finally:
        db.close()


def _database(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> str:
    url = f"sqlite:///{tmp_path / name}"
    assert run(capsys, "--db", url, "migrate")[0] == 0
    return url


def test_nothing_is_replaced_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _database(tmp_path, capsys, "server.db")
    backup = tmp_path / "b.db"
    backup.write_bytes(b"last week's")
    code, _, err = run(capsys, "--db", url, "backup", "--to", str(backup))
    assert code == 2 and "already exists; to replace it, add --force" in err
    assert backup.read_bytes() == b"last week's"
    code, out, err = run(capsys, "--db", url, "backup", "--to", str(backup), "--force")
    assert code == 0 and out.startswith(f"saved the server's database to {backup}: ")
    assert "revision" in out and "0 events" in out and "keep it where only you" in out

    other = _database(tmp_path, capsys, "other.db")
    before = (tmp_path / "other.db").read_bytes()
    code, _, err = run(capsys, "--db", other, "restore", "--from", str(backup))
    assert code == 2 and "there is already a database at" in err and "--force" in err
    assert (tmp_path / "other.db").read_bytes() == before
    code, out, err = run(capsys, "--db", other, "restore", "--from", str(backup), "--force")
    assert code == 0, err
    assert f"kept as {tmp_path / 'other.db.before-restore'}" in out
    assert (tmp_path / "other.db.before-restore").read_bytes() == before
    # a second restore would lose the first one's kept database: it asks to move it first
    code, _, err = run(capsys, "--db", other, "restore", "--from", str(backup), "--force")
    assert code == 2 and "other.db.before-restore" in err and "move it" in err


def test_what_is_no_instore_backup_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _database(tmp_path, capsys, "server.db")
    before = (tmp_path / "server.db").read_bytes()
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE recipes (name TEXT)")
    db.close()
    newer = tmp_path / "newer.db"
    assert run(capsys, "--db", url, "backup", "--to", str(newer))[0] == 0
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    db.close()
    damaged = tmp_path / "damaged.db"
    assert run(capsys, "--db", url, "backup", "--to", str(damaged))[0] == 0
    data = bytearray(damaged.read_bytes())
    data[4096 * 3 : 4096 * 6] = b"\xff" * (4096 * 3)  # pages of tables, not the header
    damaged.write_bytes(bytes(data))
    for source, words in (
        (tmp_path / "missing.db", "there is no backup file at"),
        (text, "is not a database backup"),
        (other, "is a database, but not an instore server's"),
        (newer, "which this instore does not know: a newer instore wrote it"),
        (damaged, "damaged"),
    ):
        code, out, err = run(
            capsys, "--db", url, "restore", "--from", str(source), "--force", "--json"
        )
        assert code == 2 and words in err and "Traceback" not in err, (source, err)
        assert json.loads(out)["error"]
        assert (tmp_path / "server.db").read_bytes() == before
        assert not (tmp_path / "server.db.before-restore").exists()
    assert sorted(p.name for p in tmp_path.glob(".server.db*")) == []


def test_a_postgresql_database_is_sent_to_its_own_tools(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/instore"
    code, _, err = run(capsys, "--db", url, "backup", "--to", str(tmp_path / "b.db"))
    assert code == 2 and "pg_dump -Fc" in err and "point-in-time recovery" in err
    assert not (tmp_path / "b.db").exists()
    (tmp_path / "b.db").write_bytes(b"x")
    code, _, err = run(capsys, "--db", url, "restore", "--from", str(tmp_path / "b.db"))
    assert code == 2 and "pg_restore" in err and "docs/operations.md" in err
