"""`instore admin` as a campaign manager runs it: one count of issued codes, no false all-clear."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tests.codes.test_cli import instore


def _ok(*args: str, cwd: Path) -> str:
    done = instore(*args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_mistyped_database_is_refused_not_created(tmp_path: Path) -> None:
    done = instore("admin", "--db", "instore-data/sever.db", "conflicts", cwd=tmp_path)
    assert done.returncode == 2 and "no conflicts" not in done.stdout
    assert "no server database at instore-data/sever.db" in done.stderr
    assert "instore admin --db instore-data/sever.db migrate" in done.stderr
    assert not (tmp_path / "instore-data" / "sever.db").exists()
    _ok("admin", "--db", "instore-data/sever.db", "migrate", cwd=tmp_path)
    assert "no conflicts" in _ok(
        "admin", "--db", "instore-data/sever.db", "conflicts", cwd=tmp_path
    )


def test_one_issued_counter_per_campaign_whichever_command_mints(tmp_path: Path) -> None:
    db = "instore-data/server.db"
    _ok("codes", "new-campaign", "--id", "summer-lids", "--prefix", "HV", "--out", "summer.toml",
        "--tiers", "gold:1/1000,music:*", "--capacity", "1000000", cwd=tmp_path)  # fmt: skip
    _ok("codes", "mint", "summer.toml", "--count", "2100", "--out", "w1.csv", cwd=tmp_path)
    _ok("admin", "--db", db, "migrate", cwd=tmp_path)
    said = _ok("admin", "--db", db, "campaign", "create", "--file", "summer.toml", cwd=tmp_path)
    assert said.startswith("campaign summer-lids registered from summer.toml")  # by its name
    refused = instore(
        "codes", "mint", "summer.toml", "--count", "10", "--out", "w2.csv", cwd=tmp_path
    )
    assert refused.returncode == 2 and not (tmp_path / "w2.csv").exists()
    assert f"instore admin --db {db} codes mint summer-lids" in refused.stderr
    out = _ok("admin", "--db", db, "codes", "mint", "summer-lids", "--count", "10", "--out",
              "w2.csv", "--json", cwd=tmp_path)  # fmt: skip
    assert json.loads(out)["start"] == 2100  # the file's 2,100 codes were carried over
    first_run = {line.split(",")[1] for line in (tmp_path / "w1.csv").read_text().splitlines()[1:]}
    second_run = {line.split(",")[1] for line in (tmp_path / "w2.csv").read_text().splitlines()[1:]}
    assert first_run.isdisjoint(second_run) and len(second_run) == 10
    # the printer's file names no prize; the brand's copy does, and the command says so
    assert (tmp_path / "w2.csv").read_text().splitlines()[0] == "code,serial"
    kept = instore("admin", "--db", db, "codes", "mint", "summer-lids", "--count", "10",
                   "--start", "2100", "--out", "w2-tiers.csv", "--with-tiers", cwd=tmp_path)  # fmt: skip
    assert kept.returncode == 0 and "never send it to the printer" in kept.stderr
    rows = (tmp_path / "w2-tiers.csv").read_text().splitlines()
    assert (
        rows[0] == "code,serial,tier"
        and [r.rsplit(",", 1)[0] for r in rows[1:]]
        == (tmp_path / "w2.csv").read_text().splitlines()[1:]
    )


def test_both_mint_commands_explain_their_options_in_the_same_words() -> None:
    from instore_cli import build_parser

    def options(argv: list[str]) -> dict[str, str | None]:
        parser = build_parser(argv)
        for word in argv:  # down to the mint command's own parser
            parser = next(
                a.choices[word] for a in parser._actions
                if isinstance(a, argparse._SubParsersAction) and word in a.choices
            )  # fmt: skip
        # --json is each command family's own ("print the result as JSON", "answer in JSON")
        return {
            a.option_strings[0]: a.help
            for a in parser._actions
            if a.option_strings and a.option_strings[0] != "--json"
        }

    from_file = options(["codes", "mint"])
    on_server = options(["admin", "codes", "mint"])
    assert "--with-tiers" in from_file and from_file == on_server


def test_dashboard_users_are_made_listed_and_disabled_from_the_shell(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = "instore-data/server.db"
    _ok("admin", "--db", db, "migrate", cwd=tmp_path)
    _ok("admin", "--db", db, "store", "create", "--id", "north", "--name", "North", cwd=tmp_path)

    def create(*args: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "instore_cli", "admin", "--db", db, "user", "create", *args,
             "--password-stdin"],
            cwd=tmp_path, input=password + "\n", capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    made = create("--username", "nora", "--role", "store_manager", "--store", "north",
                  password="a long enough secret")  # fmt: skip
    assert made.returncode == 0 and "user nora created" in made.stdout, made.stderr
    weak = create("--username", "weak", "--role", "admin", password="short")
    assert weak.returncode == 2 and "at least 10" in weak.stderr and "Traceback" not in weak.stderr
    listed = json.loads(_ok("admin", "--db", db, "user", "list", "--json", cwd=tmp_path))
    assert listed == [{"username": "nora", "role": "store_manager", "disabled": False,
                       "locked": False, "stores": ["north"], "campaigns": [], "partners": []}]  # fmt: skip
    _ok("admin", "--db", db, "user", "disable", "--username", "nora", cwd=tmp_path)
    listed = json.loads(_ok("admin", "--db", db, "user", "list", "--json", cwd=tmp_path))
    assert listed[0]["disabled"] is True
