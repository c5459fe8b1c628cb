"""`instore terminal` as staff and scripts use it: real processes, JSON lines, exit codes."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from codes import campaign as campaign_file
from codes.campaign import parse_tiers
from tests.disks import read_only, small_disk


def instore(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "instore_cli", *args], cwd=cwd, capture_output=True, text=True,
        timeout=120, input=stdin,
    )  # fmt: skip


@pytest.fixture(scope="module")
def made_device(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50 codes minted and a till made from the campaign by the CLI, once for the module (two
    process starts, 0.7 s, were most of a test's time)."""
    folder = tmp_path_factory.mktemp("device")
    campaign_file.create(
        folder / "campaign.toml", "ice-2026", "HV", parse_tiers("gold:5,music:*"), capacity=1000
    )
    done = instore("codes", "mint", "campaign.toml", "--count", "50", "--out", "codes.csv",
                   cwd=folder)  # fmt: skip
    assert done.returncode == 0, done.stderr
    init = instore("terminal", "init", "--db", "till.db", "--campaign", "campaign.toml",
                   "--device-name", "Till 1", "--store", "s1", "--json", cwd=folder)  # fmt: skip
    assert init.returncode == 0, init.stderr
    assert json.loads(init.stdout)["device_name"] == "Till 1"
    return folder


@pytest.fixture
def device(made_device: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """The module's till and codes in the test's own folder, the till untouched by other tests."""
    for made in made_device.iterdir():
        shutil.copy2(made, tmp_path / made.name)  # the ledger with its -wal, if one was left
    codes = [line.split(",")[0] for line in (tmp_path / "codes.csv").read_text().splitlines()[1:]]
    return tmp_path, codes


def test_redeem_prints_one_json_line_per_code(device: tuple[Path, list[str]]) -> None:
    cwd, codes = device
    done = instore(
        "terminal", "redeem", "--db", "till.db", "--json", codes[0], codes[1], codes[0], cwd=cwd
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["status"] for line in lines] == [
        "accepted_offline",
        "accepted_offline",
        "already_redeemed_here",
    ]
    assert all({"code", "status", "message"} <= set(line) for line in lines)
    assert done.returncode == 1  # not every code was accepted


def test_people_read_sentences_and_scripts_read_status_words(
    device: tuple[Path, list[str]],
) -> None:
    """Without --json a line is the code and what happened, in words, never "accepted_offline:"
    or "voided:" before it; --json keeps the status word for scripts."""
    cwd, codes = device
    done = instore("terminal", "redeem", "--db", "till.db", codes[0], codes[0], cwd=cwd)
    first, again = done.stdout.splitlines()
    assert first.startswith(f"{codes[0]}: Redeemed offline (will sync): "), first
    assert again == f"{codes[0]}: This code was already redeemed here.", again
    voided = instore("terminal", "void", "--db", "till.db", codes[0], "--reason", "wrong pack",
                     cwd=cwd).stdout.strip()  # fmt: skip
    assert voided == f"{codes[0]}: Voided: wrong pack.", voided
    spent = instore("terminal", "checkin", "--db", "till.db", "--member", "m1", cwd=cwd).stdout
    assert spent.strip() == "10 points earned for checking in; balance now 10.", spent
    scripted = instore("terminal", "redeem", "--db", "till.db", "--json", codes[0], cwd=cwd)
    assert json.loads(scripted.stdout)["status"] == "accepted_offline"


def test_redeem_from_standard_input(device: tuple[Path, list[str]]) -> None:
    cwd, codes = device
    done = instore("terminal", "redeem", "--db", "till.db", "--from", "-", "--json", cwd=cwd,
                   stdin="\n".join(codes[:5]) + "\n\n")  # fmt: skip
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == 5


def test_status_for_the_manager(device: tuple[Path, list[str]]) -> None:
    cwd, codes = device
    instore("terminal", "redeem", "--db", "till.db", codes[0], codes[1], cwd=cwd)
    status = json.loads(instore("terminal", "status", "--db", "till.db", "--json", cwd=cwd).stdout)
    for key in ("device_id", "device_name", "online", "pending", "oldest_pending_s", "last_push",
                "last_pull", "conflicts", "rejected", "alerts"):  # fmt: skip
        assert key in status
    assert (
        status["pending"] == 2 and status["device_name"] == "Till 1" and status["online"] is False
    )
    text = instore("terminal", "status", "--db", "till.db", cwd=cwd).stdout
    assert "2 events waiting to sync" in text and "offline" in text


def test_points_commands(device: tuple[Path, list[str]]) -> None:
    cwd, _codes = device

    def run(*args: str) -> dict[str, object]:
        done = instore("terminal", *args, "--db", "till.db", "--json", cwd=cwd)
        result: dict[str, object] = json.loads(done.stdout)
        return result

    assert run("accrue", "--member", "m1", "--amount", "230", "--receipt", "R1")["points"] == 23
    assert (
        run("accrue", "--member", "m1", "--amount", "230", "--receipt", "R1")["status"]
        == "duplicate_receipt"
    )
    assert (
        run("spend", "--member", "m1", "--points", "3", "--item", "pen")["status"]
        == "accepted_offline"
    )
    assert run("checkin", "--member", "m1")["points"] == 10
    assert run("balance", "--member", "m1")["balance"] == 30


def test_void_and_verify(device: tuple[Path, list[str]]) -> None:
    cwd, codes = device
    event_id = json.loads(
        instore("terminal", "redeem", "--db", "till.db", "--json", codes[3], cwd=cwd).stdout
    )["event_id"]
    voided = instore("terminal", "void", "--db", "till.db", event_id, "--reason", "refund", cwd=cwd)
    assert voided.returncode == 0 and "Voided: refund." in voided.stdout
    ok = instore("terminal", "verify", "--db", "till.db", cwd=cwd)
    assert ok.returncode == 0 and "2 events" in ok.stdout
    raw = sqlite3.connect(cwd / "till.db")
    raw.execute("UPDATE events SET actor = actor, payload = '{}' WHERE seq = 1")
    raw.commit()
    raw.close()
    broken = instore("terminal", "verify", "--db", "till.db", "--json", cwd=cwd)
    assert broken.returncode == 1 and json.loads(broken.stdout)["first_bad_seq"] == 1


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("terminal status --db missing.db", "no ledger"),
        ("terminal redeem --db till.db", "give one or more codes"),
        ("terminal spend --db till.db --member m --points -4 --item x", "at least 1"),
        ("terminal init --db new.db", "--campaign"),
        ("terminal init --db new.db --server http://127.0.0.1:9 --token t", "cannot connect"),
        ("terminal init --db new.db --campaign nowhere.toml", "does not exist"),
        ("terminal redeem --db till.db --from nowhere.txt", "No such file"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(
    device: tuple[Path, list[str]], command: str, words: str
) -> None:
    cwd, _ = device
    done = instore(*command.split(), cwd=cwd)
    assert done.returncode == 2, done.stdout
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert words in done.stderr


def test_void_takes_the_code_as_printed(device: tuple[Path, list[str]]) -> None:
    cwd, codes = device
    assert instore("terminal", "redeem", "--db", "till.db", codes[7], cwd=cwd).returncode == 0
    typed = codes[7].lower().replace("-", " ")  # as a cashier reads it off the pack
    voided = instore("terminal", "void", "--db", "till.db", typed, "--reason", "refund", cwd=cwd)
    assert voided.returncode == 0 and "Voided" in voided.stdout
    again = instore("terminal", "redeem", "--db", "till.db", "--json", codes[7], cwd=cwd)
    assert json.loads(again.stdout)["status"] == "accepted_offline"  # the code is free again
    never = instore("terminal", "void", "--db", "till.db", codes[8], "--reason", "x", cwd=cwd)
    assert never.returncode == 1 and "no redemption on this device" in never.stdout


def test_accrue_exits_2_for_a_bad_amount_and_says_points_grammatically(
    device: tuple[Path, list[str]],
) -> None:
    cwd, _ = device
    bad = instore("terminal", "accrue", "--db", "till.db", "--member", "M-1", "--amount", "-5",
                  "--receipt", "R-1", cwd=cwd)  # fmt: skip
    assert bad.returncode == 2
    one = instore("terminal", "accrue", "--db", "till.db", "--member", "M-1", "--amount", "10",
                  "--receipt", "R-1", cwd=cwd)  # fmt: skip
    assert one.returncode == 0 and "1 point earned" in one.stdout
    again = instore("terminal", "accrue", "--db", "till.db", "--member", "M-1", "--amount", "10",
                    "--receipt", "R-1", cwd=cwd)  # fmt: skip
    assert again.returncode == 1 and "already earned" in again.stdout


def test_every_command_explains_itself(tmp_path: Path) -> None:
    for action in (
        "init",
        "status",
        "check",
        "redeem",
        "void",
        "accrue",
        "spend",
        "balance",
        "checkin",
        "verify",
    ):
        done = instore("terminal", action, "--help", cwd=tmp_path)
        assert done.returncode == 0 and "--db" in done.stdout


def test_check_verify_and_status_work_on_a_read_only_ledger(
    device: tuple[Path, list[str]],
) -> None:
    cwd, codes = device
    assert instore("terminal", "redeem", "--db", "till.db", codes[0], cwd=cwd).returncode == 0
    with small_disk(cwd / "audit") as media:  # a copy on media nobody may write
        shutil.copy(cwd / "till.db", media / "till.db")
        read_only(media)
        ledger = str(media / "till.db")
        check = instore("terminal", "check", "--db", ledger, "--json", codes[0], codes[1], cwd=cwd)
        assert [json.loads(line)["status"] for line in check.stdout.splitlines()] == [
            "already_redeemed_here", "valid",
        ], check.stderr  # fmt: skip
        verify = instore("terminal", "verify", "--db", ledger, cwd=cwd)
        assert verify.returncode == 0 and "chain intact: 1 event verified" in verify.stdout
        status = instore("terminal", "status", "--db", ledger, cwd=cwd)
        assert status.returncode == 0 and "1 event waiting to sync" in status.stdout
        redeem = instore("terminal", "redeem", "--db", ledger, codes[1], cwd=cwd)
        assert redeem.returncode == 2 and "cannot be written (read-only)" in redeem.stderr
        assert "Traceback" not in check.stderr + verify.stderr + status.stderr + redeem.stderr
