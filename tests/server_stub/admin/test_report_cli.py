"""`instore admin report` as a campaign manager reads it: a table with column headings, the
store by its name, money with two decimals, and a blank budget explained; --json and --csv keep
the data as they were."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import insert

from server_stub.database.connection import open_engine
from server_stub.database.schema import event_counts
from tests.server_stub.admin.admin_shell import Run, admin

__all__ = ["admin"]


def _a_redemption_at_north(admin: Run, tmp_path: Path) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "instore_cli", "codes", "new-campaign", "--id", "summer-lids",
         "--prefix", "HV", "--out", "summer.toml", "--tiers", "gold:1,music:*"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert admin("store", "create", "--id", "north", "--name", "North Street")[0] == 0
    assert admin("campaign", "create", "--file", str(tmp_path / "summer.toml"))[0] == 0
    engine = open_engine(f"sqlite:///{tmp_path / 'server.db'}")
    with engine.begin() as conn:
        conn.execute(insert(event_counts).values(
            hour=1, day="2026-12-06", local_hour="15", kind="redemption", campaign="summer-lids",
            tier="music", store_id="north", device_id="dev-1", cashier="ann", count=1, value=2.5,
            earned=0, spent=0,
        ))  # fmt: skip
    engine.dispose()


def test_the_report_is_a_table_people_read(admin: Run, tmp_path: Path) -> None:
    _a_redemption_at_north(admin, tmp_path)
    code, out, _ = admin("report", "redemptions", "--by", "store")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Redemptions by store:"
    assert lines[1].split() == ["store", "count", "value", "double", "redemptions", "double",
                                "redemption", "cost"]  # fmt: skip
    assert lines[2].split() == ["North", "Street", "(north)", "1", "2.50", "0", "0.00"]
    assert "=" not in out and " - " not in out and not out.rstrip().endswith("-")
    budget = out[out.index("against each campaign's budget") :]
    assert "summer-lids" in budget and "2.50" in budget
    assert "a blank budget: none was set" in budget


def test_json_and_csv_keep_their_data(admin: Run, tmp_path: Path) -> None:
    _a_redemption_at_north(admin, tmp_path)
    csv_file = tmp_path / "out.csv"
    code, out, _ = admin("report", "redemptions", "--by", "store", "--json", "--csv", str(csv_file))
    assert code == 0
    row = json.loads(out)["rows"][0]
    assert row == {"key": "north", "count": 1, "value": 2.5, "double_redemptions": 0,
                   "double_redemption_cost": 0}  # fmt: skip
    with csv_file.open(encoding="utf-8") as f:
        assert next(csv.reader(f)) == [
            "store", "count", "value", "double_redemptions", "double_redemption_cost"
        ]  # fmt: skip
