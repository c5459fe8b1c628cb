"""`instore codes` as a campaign manager runs it: real processes, exit codes, one clear line."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def instore(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "instore_cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def campaign_dir(tmp_path: Path) -> Path:
    done = instore(
        "codes",
        "new-campaign",
        "--id",
        "ice",
        "--prefix",
        "hv",
        "--out",
        "c.toml",
        "--tiers",
        "gold:10,silver:100,music:*",
        "--capacity",
        "100000",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return tmp_path


def test_new_campaign_writes_file_and_private_key(campaign_dir: Path) -> None:
    assert stat.S_IMODE((campaign_dir / "master.key").stat().st_mode) == 0o600
    again = instore(
        "codes",
        "new-campaign",
        "--id",
        "ice",
        "--prefix",
        "HV",
        "--out",
        "c.toml",
        cwd=campaign_dir,
    )
    assert again.returncode == 2 and "already exists" in again.stderr


def test_new_campaign_without_tiers_covers_the_whole_capacity(tmp_path: Path) -> None:
    done = instore(
        "codes",
        "new-campaign",
        "--id",
        "x",
        "--prefix",
        "X",
        "--out",
        "x.json",
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["tiers"] == {"reward": 10_000_000_000}


def test_mint_then_check_through_the_cli(campaign_dir: Path) -> None:
    done = instore(
        "codes",
        "mint",
        "c.toml",
        "--count",
        "500",
        "--out",
        "codes.csv",
        "--json",
        cwd=campaign_dir,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["count"] == 500 and report["issued"] == 500
    lines = (campaign_dir / "codes.csv").read_text().splitlines()
    assert lines[0] == "code,serial,tier" and len(lines) == 501
    code, serial, tier = lines[7].split(",")
    checked = instore("codes", "check", "c.toml", code.lower(), "--json", cwd=campaign_dir)
    assert checked.returncode == 0
    assert json.loads(checked.stdout) | {"message": ""} == {
        "status": "valid",
        "message": "",
        "code": code,
        "campaign": "ice",
        "serial": int(serial),
        "tier": tier,
        "tier_value": 0.0,
    }
    nxt = instore(
        "codes", "mint", "c.toml", "--count", "5", "--out", "more.csv", "--json", cwd=campaign_dir
    )
    assert json.loads(nxt.stdout)["start"] == 500


@pytest.mark.parametrize(
    "junk",
    ["", "A" * 300, "'; DROP TABLE codes;--", "ĦV-ŁŁŁŁ-😀", "HV-AAAA", "HV-0000-0000-0000-00000"],
)
def test_garbage_codes_get_one_clear_line_and_exit_1(campaign_dir: Path, junk: str) -> None:
    done = instore("codes", "check", "c.toml", junk, cwd=campaign_dir)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert len(done.stdout.strip().splitlines()) == 1
    assert done.stdout.split(":")[0] in {"invalid", "mistyped"}


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("codes mint missing.toml --count 5 --out x.csv", "does not exist"),
        ("codes mint c.toml --count 0 --out x.csv", "at least 1"),
        ("codes mint c.toml --count many --out x.csv", "not a whole number"),
        ("codes mint c.toml --count 100001 --out x.csv", "only 100,000 are left"),
        ("codes mint c.toml --count 5 --out no/such/dir/x.csv", "No such file"),
        ("codes check c.toml", "required"),
        ("codes frobnicate", "invalid choice"),
        ("codes new-campaign --id y --prefix OU --out y.toml", "prefix"),
        (
            "codes new-campaign --id y --prefix Y --out y.toml --tiers a:5,b:5 --capacity 20",
            "cover 10",
        ),
        ("codes new-campaign --id y --prefix Y --out y.toml --starts tomorrow", "not a date"),
    ],
)
def test_bad_input_exits_2_with_one_line(campaign_dir: Path, command: str, words: str) -> None:
    done = instore(*command.split(), cwd=campaign_dir)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr


def test_wrong_master_key_is_refused(campaign_dir: Path) -> None:
    (campaign_dir / "master.key").write_text("ab" * 32 + "\n")
    done = instore(
        "codes", "mint", "c.toml", "--count", "5", "--out", "x.csv", "--json", cwd=campaign_dir
    )
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"] == "wrong_key"
    assert not (campaign_dir / "x.csv").exists()


def test_every_command_explains_itself(tmp_path: Path) -> None:
    for args in (
        ["--help"],
        ["codes", "--help"],
        ["codes", "new-campaign", "--help"],
        ["codes", "mint", "--help"],
        ["codes", "check", "--help"],
    ):
        done = instore(*args, cwd=tmp_path)
        assert done.returncode == 0 and "usage:" in done.stdout and len(done.stdout) > 200
