"""`instore codes` as a campaign manager runs it: real processes, exit codes, one clear line."""

from __future__ import annotations

import json
import shutil
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


@pytest.fixture(scope="module")
def made_campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`instore codes new-campaign` run once for the module (a process start each test was 0.3 s)."""
    folder = tmp_path_factory.mktemp("campaign")
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
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture
def campaign_dir(made_campaign: Path, tmp_path: Path) -> Path:
    """The campaign file and master key new-campaign wrote, in the test's own folder."""
    for made in made_campaign.iterdir():
        shutil.copy2(made, tmp_path / made.name)  # with its mode: the key's 0600 is checked
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
    assert again.returncode == 2 and "already exists" in again.stderr and "--force" in again.stderr
    key = (campaign_dir / "master.key").read_bytes()
    forced = instore("codes", "new-campaign", "--id", "ice2", "--prefix", "HW", "--out", "c.toml",
                     "--force", cwd=campaign_dir)  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert "ice2" in (campaign_dir / "c.toml").read_text()
    assert (campaign_dir / "master.key").read_bytes() == key  # reused, never replaced


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
    assert lines[0] == "code,serial" and len(lines) == 501
    code, serial = lines[7].split(",")
    checked = instore("codes", "check", "c.toml", code.lower(), "--json", cwd=campaign_dir)
    assert checked.returncode == 0
    answer = json.loads(checked.stdout)
    assert answer["tier"] in ("gold", "silver", "music")
    assert answer | {"message": "", "tier": ""} == {
        "status": "valid",
        "message": "",
        "code": code,
        "campaign": "ice",
        "serial": int(serial),
        "tier": "",
        "tier_value": 0.0,
    }
    nxt = instore(
        "codes", "mint", "c.toml", "--count", "5", "--out", "more.csv", "--json", cwd=campaign_dir
    )
    assert json.loads(nxt.stdout)["start"] == 500


def test_only_a_run_minted_with_tiers_names_prizes_and_it_is_not_for_the_printer(
    campaign_dir: Path,
) -> None:
    printer = instore("codes", "mint", "c.toml", "--count", "300", "--out", "printer.csv",
                      cwd=campaign_dir)  # fmt: skip
    assert printer.returncode == 0 and printer.stderr == ""
    assert (campaign_dir / "printer.csv").read_text().splitlines()[0] == "code,serial"
    kept = instore("codes", "mint", "c.toml", "--count", "300", "--start", "0", "--out",
                   "brand.csv", "--with-tiers", "--json", cwd=campaign_dir)  # fmt: skip
    assert kept.returncode == 0 and json.loads(kept.stdout)["with_tiers"] is True
    assert "brand.csv names each code's prize" in kept.stderr
    assert "never send it to the printer" in kept.stderr
    lines = (campaign_dir / "brand.csv").read_text().splitlines()
    assert lines[0] == "code,serial,tier"
    code, serial, tier = lines[1 + 42].split(",")
    checked = instore("codes", "check", "c.toml", code, "--json", cwd=campaign_dir)
    assert json.loads(checked.stdout)["tier"] == tier and serial == "42"


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
        ("codes new-campaign --id y --prefix Y --out y.toml --starts someday", "not a date"),
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


def test_mint_never_replaces_a_file_without_force(campaign_dir: Path) -> None:
    first = instore(
        "codes", "mint", "c.toml", "--count", "1000", "--out", "w1.csv", cwd=campaign_dir
    )
    assert first.returncode == 0, first.stderr
    printed = (campaign_dir / "w1.csv").read_text()
    again = instore("codes", "mint", "c.toml", "--count", "5", "--out", "w1.csv", cwd=campaign_dir)
    assert again.returncode == 2 and "already exists" in again.stderr and "--force" in again.stderr
    assert (campaign_dir / "w1.csv").read_text() == printed  # the 1,000 codes are still there
    forced = instore("codes", "mint", "c.toml", "--count", "5", "--out", "w1.csv", "--force",
                     cwd=campaign_dir)  # fmt: skip
    assert forced.returncode == 0 and len((campaign_dir / "w1.csv").read_text().splitlines()) == 6


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--out", "out.pdf"), "must be a .csv file"),
        (("--out", "a.csv", "--pdf", "a.csv"), "must be a .pdf"),
    ],
)
def test_mint_outputs_must_be_of_their_kind(
    campaign_dir: Path, args: tuple[str, ...], words: str
) -> None:
    done = instore("codes", "mint", "c.toml", "--count", "5", *args, cwd=campaign_dir)
    assert done.returncode == 2 and words in done.stderr
    assert not list(campaign_dir.glob("*.pdf")) and not (campaign_dir / "a.csv").exists()


def test_every_run_says_what_it_holds_and_warns_of_a_prize_tier_with_none(tmp_path: Path) -> None:
    # a fixed master key: which serials carry gold is then fixed too, not left to chance
    key = tmp_path / "master.key"
    key.write_text("11" * 32 + "\n")
    key.chmod(0o600)
    made = instore("codes", "new-campaign", "--id", "lids", "--prefix", "HV", "--out", "c.toml",
                   "--tiers", "gold:10,silver:1000,music:*", cwd=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    done = instore(
        "codes", "mint", "c.toml", "--count", "100000", "--out", "run1.csv", cwd=tmp_path
    )
    assert done.returncode == 0
    assert "this run holds: gold 0, silver 0, music 100,000" in done.stdout
    assert "warning: no gold in this run" in done.stdout and "gold:1/" in done.stdout
    assert "warning: no silver in this run" in done.stdout


def test_a_plan_of_rates_puts_prizes_in_every_run(tmp_path: Path) -> None:
    made = instore("codes", "new-campaign", "--id", "lids", "--prefix", "HV", "--out", "c.toml",
                   "--tiers", "gold:1/10000,silver:1/100,music:*", cwd=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert 'count = "1/10000"' in (tmp_path / "c.toml").read_text()
    for run in range(3):
        done = instore("codes", "mint", "c.toml", "--count", "10000", "--out", f"r{run}.csv",
                       "--json", cwd=tmp_path)  # fmt: skip
        report = json.loads(done.stdout)
        assert report["tiers"] == {"gold": 1, "silver": 100, "music": 9899}
        assert report["warnings"] == []
    short = instore(
        "codes", "mint", "c.toml", "--count", "50", "--out", "s.csv", "--json", cwd=tmp_path
    )
    warned = json.loads(short.stdout)["warnings"]
    assert short.returncode == 0 and any("whole multiples of 10,000" in w for w in warned)
    mixed = instore("codes", "new-campaign", "--id", "x", "--prefix", "HX", "--out", "x.toml",
                    "--tiers", "gold:1/10000,silver:5,music:*", cwd=tmp_path)  # fmt: skip
    assert mixed.returncode == 2 and "every tier as a rate" in mixed.stderr


def test_every_file_holding_a_secret_is_its_owners_only(campaign_dir: Path) -> None:
    done = instore("terminal", "init", "--db", "till.db", "--campaign", "c.toml", cwd=campaign_dir)
    assert done.returncode == 0, done.stderr
    instore("admin", "--db", "server.db", "migrate", cwd=campaign_dir)
    for name in ("master.key", "till.db", "server.db"):
        assert stat.S_IMODE((campaign_dir / name).stat().st_mode) == 0o600, name
    (campaign_dir / "master.key").chmod(0o644)
    exposed = instore("codes", "mint", "c.toml", "--count", "5", "--out", "x.csv", cwd=campaign_dir)
    assert exposed.returncode == 2 and "chmod 600" in exposed.stderr
    assert not (campaign_dir / "x.csv").exists()
