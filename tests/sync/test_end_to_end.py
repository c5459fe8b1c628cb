"""The whole story through the CLI, against a real server process on loopback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from codes import campaign as campaign_file
from codes.campaign import parse_tiers
from server_stub.catalog import campaign_setup, enrollment, store_setup
from server_stub.database.connection import migrate, open_engine
from server_stub.database.loyalty_tables import program
from tests.live import ServerProcess
from tests.world import BACKENDS, empty_postgres


def instore(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "instore_cli", *args], cwd=cwd, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def ok(*args: str, cwd: Path) -> str:
    done = instore(*args, cwd=cwd)
    assert done.returncode == 0, f"{args}: {done.stderr}{done.stdout}"
    return done.stdout


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "server.db")
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


@pytest.fixture
def chain_store(db: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, Path, list[str]]]:
    """A server with a campaign, two stores and a till enrolled in each (set up through the API;
    the story itself goes through the CLI)."""
    cwd = tmp_path
    made = campaign_file.create(
        cwd / "campaign.toml", "lids", "HV", parse_tiers("gold:5,music:*"), capacity=10_000
    )
    engine = open_engine(db)
    migrate(engine)
    with engine.begin() as conn:  # no returns window: points earned here are spent at once
        conn.execute(update(program).values(pending_days=0))
    campaign_setup.add_campaign(engine, made.campaign, made.key, plan_seed=made.plan_seed)
    campaign_setup.mint_codes(engine, "lids", 100, cwd / "codes.csv")
    tokens = {}
    for store, till in (("north", "n1"), ("south", "s1")):
        store_setup.create_store(engine, store, f"{store.title()} Street")
        tokens[till] = enrollment.enroll_device(engine, store, f"Till {till}")["token"]
    engine.dispose()
    server = ServerProcess(db, cwd)  # two processes on one database: test_concurrency.py
    server.start()
    try:  # a failure while setting up must not leave the server running after the test
        for till, token in tokens.items():
            url = server.url
            if (
                till == "n1"
            ):  # typed as a person would: no http://, the token in lower case, O for 0
                url, token = url.removeprefix("http://"), token.lower().replace("0", "o")
            ok("terminal", "init", "--db", f"{till}.db", "--server", url, "--token", token, cwd=cwd)
        codes = [line.split(",")[0] for line in (cwd / "codes.csv").read_text().splitlines()[1:]]
        yield server, cwd, codes
    finally:
        server.stop()


def test_an_offline_double_redemption_is_caught_named_and_shown(
    chain_store: tuple[ServerProcess, Path, list[str]], db: str
) -> None:
    server, cwd, codes = chain_store
    server.stop()  # the outage
    for till in ("n1", "s1"):
        out = json.loads(
            ok("terminal", "redeem", "--db", f"{till}.db", "--json", codes[0], cwd=cwd)
        )
        assert out["status"] == "accepted_offline"
        failed = instore("sync", "now", "--db", f"{till}.db", "--json", cwd=cwd)
        assert failed.returncode == 1 and json.loads(failed.stdout)["error_code"] == "unreachable"
    status = json.loads(ok("terminal", "status", "--db", "n1.db", "--json", cwd=cwd))
    assert status["online"] is False and status["pending"] == 1
    server.start()  # the server returns
    for till in ("n1", "s1"):
        ok("sync", "now", "--db", f"{till}.db", "--json", cwd=cwd)
    found = json.loads(ok("admin", "--db", db, "conflicts", "--json", cwd=cwd))
    assert len(found) == 1
    conflict = found[0]
    assert conflict["kind"] == "double_redemption" and conflict["code"] == codes[0]
    assert sorted(conflict["device_names"]) == ["Till n1", "Till s1"]
    losing = json.loads(ok("terminal", "status", "--db", "s1.db", "--json", cwd=cwd))
    winning = json.loads(ok("terminal", "status", "--db", "n1.db", "--json", cwd=cwd))
    assert losing["conflicts"] == 1 and winning["conflicts"] == 0
    assert losing["online"] is True and losing["pending"] == 0
    # the manager's words name the code, its prize, the other store by its name and both times
    text = ok("terminal", "status", "--db", "s1.db", cwd=cwd)
    conflict_line = next(line for line in text.splitlines() if "conflict:" in line)
    assert re.fullmatch(
        rf"  conflict: {codes[0]} \(music\), redeemed here at \d\d:\d\d UTC on \d{{1,2}} \w{{3}}"
        r"( \d{4})?, was already redeemed at North Street by Till n1 at \d\d:\d\d UTC.*",
        conflict_line,
    ), conflict_line
    assert "dev-" not in text.splitlines()[0] and "dev-" not in conflict_line
    assert "1 conflict," in text and "0 events waiting" in text
    # online now, the tills' commands ask the server first: a second redemption is refused at once
    first = json.loads(ok("terminal", "redeem", "--db", "n1.db", "--json", codes[1], cwd=cwd))
    assert first["status"] == "accepted_online"
    second = instore("terminal", "redeem", "--db", "s1.db", "--json", codes[1], cwd=cwd)
    assert second.returncode == 1
    assert json.loads(second.stdout)["status"] == "redeemed_elsewhere"


def _back_online_with_one_overdraft(
    server: ServerProcess, cwd: Path, db: str, member: str, balance: int
) -> None:
    """The server returns, both tills sync: one overdraft conflict, the same balance at both."""
    server.start()
    for till in ("n1", "s1", "n1", "s1"):
        ok("sync", "now", "--db", f"{till}.db", cwd=cwd)
    found = json.loads(ok("admin", "--db", db, "conflicts", "--json", cwd=cwd))
    assert [c["kind"] for c in found] == ["overdraft"]
    for till in ("n1", "s1"):
        answer = json.loads(
            ok("terminal", "balance", "--db", f"{till}.db", "--member", member, "--json", cwd=cwd)
        )
        assert answer["balance"] == balance


def test_points_spent_twice_offline_end_as_one_overdraft(
    chain_store: tuple[ServerProcess, Path, list[str]], db: str
) -> None:
    server, cwd, _ = chain_store
    ok(
        "terminal",
        "accrue",
        "--db",
        "n1.db",
        "--member",
        "M-7",
        "--amount",
        "300",
        "--receipt",
        "R1",
        cwd=cwd,
    )
    ok(
        "terminal",
        "accrue",
        "--db",
        "s1.db",
        "--member",
        "M-7",
        "--amount",
        "0",
        "--receipt",
        "R2",
        cwd=cwd,
    )
    for till in ("n1", "s1", "n1"):
        ok("sync", "now", "--db", f"{till}.db", cwd=cwd)
    server.stop()
    for till in ("n1", "s1"):
        out = ok("terminal", "spend", "--db", f"{till}.db", "--member", "M-7", "--points", "25",
                 "--item", "mug", "--json", cwd=cwd)  # fmt: skip
        assert json.loads(out)["status"] == "accepted_offline"
    _back_online_with_one_overdraft(server, cwd, db, "M-7", 30 - 25)  # the loser took nothing
    report = json.loads(
        ok("admin", "--db", db, "report", "points", "--by", "store", "--json", cwd=cwd)
    )
    # the overdraft consumed no lot, so it spent nothing: spent is what the lots gave
    assert {r["key"]: r["spent"] for r in report["rows"]} == {"north": 25}


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the server's side is not new here
def test_a_balance_seen_online_survives_an_outage(
    chain_store: tuple[ServerProcess, Path, list[str]], db: str
) -> None:
    """Store B has never seen the member: the online balance it shows is what it spends against
    when the network drops a minute later."""
    server, cwd, _ = chain_store
    ok("terminal", "accrue", "--db", "n1.db", "--member", "M-1001", "--amount", "1000",
       "--receipt", "R-1", cwd=cwd)  # fmt: skip
    ok("sync", "now", "--db", "n1.db", cwd=cwd)
    online = json.loads(
        ok("terminal", "balance", "--db", "s1.db", "--member", "M-1001", "--json", cwd=cwd)
    )
    assert online["balance"] == 100 and "as last known" not in online["message"]
    server.stop()
    offline = json.loads(
        ok("terminal", "balance", "--db", "s1.db", "--member", "M-1001", "--json", cwd=cwd)
    )
    assert offline["balance"] == 100 and "as last known here" in offline["message"]
    for till in ("s1", "n1"):
        out = ok("terminal", "spend", "--db", f"{till}.db", "--member", "M-1001", "--points",
                 "80", "--item", "cone", "--json", cwd=cwd)  # fmt: skip
        assert json.loads(out)["status"] == "accepted_offline"
    _back_online_with_one_overdraft(server, cwd, db, "M-1001", 100 - 80)
