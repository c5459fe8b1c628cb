"""`instore admin dispatch` as logistics runs it on a real SQLite file: the file for the shipping
partner written (never over the partner's copy unasked), the partner's file read back, an exit
code a script can act on (0 all applied, 1 some rows bad, 2 the file refused whole)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from instore_cli import main as instore
from server_stub.prizes import claims
from tests.server_stub.prizes.test_dispatch import CAMPAIGN, HEADER, claim_maker, state


def test_logistics_exports_the_prizes_to_ship_and_imports_the_partners_file(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make = claim_maker(engine, tmp_path)
    first, second = make(name="=2+5"), make()
    db = ["admin", "--db", str(engine.url)]
    out = tmp_path / "to-ship.csv"
    assert instore([*db, "dispatch", "export", "--campaign", CAMPAIGN, "--csv", str(out)]) == 0
    assert capsys.readouterr().out == f"2 claims of {CAMPAIGN} to ship written to {out}\n"
    sent = out.read_text(encoding="utf-8-sig")
    assert sent.startswith("claim,name,address,city,phone,tier,prize,carrier,tracking")
    assert f"{first},'=2+5," in sent and second in sent
    # the partner's filled copy is never written over by a second export unasked
    assert instore([*db, "dispatch", "export", "--campaign", CAMPAIGN, "--csv", str(out)]) == 2
    assert f"{out} exists" in capsys.readouterr().err
    assert instore([*db, "dispatch", "export", "--campaign", CAMPAIGN, "--csv", str(out),
                    "--force", "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out) == {
        "campaign": CAMPAIGN, "which": "to_ship", "claims": 2, "left_out": 0, "csv": str(out),
    }  # fmt: skip
    assert instore([*db, "dispatch", "export", "--campaign", "nope", "--csv",
                    str(tmp_path / "x.csv")]) == 2  # fmt: skip
    assert "no campaign 'nope'" in capsys.readouterr().err

    back = tmp_path / "from-partner.csv"
    back.write_text(f"{HEADER}\n{first},India Post,EE1IN,\n{second},India Post,,\n")
    assert instore([*db, "dispatch", "import", "--csv", str(back), "--by", "lou"]) == 1
    said = capsys.readouterr().out.splitlines()
    assert said == [
        "1 claim dispatched, 0 delivered; 1 bad row, listed by line: fix and import again.",
        f"  line 3: {second}: carrier without a tracking number",
    ]
    assert state(engine, first)[0] == "dispatched" and state(engine, second)[0] == "approved"
    assert claims.show(engine, first)["timeline"][-1]["actor"] == "lou"

    back.write_text(f"{HEADER}\n{first},India Post,EE1IN,\n{second},India Post,EE2IN,\n")
    assert instore([*db, "dispatch", "import", "--csv", str(back), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert [u["claim"] for u in done["unchanged"]] == [first] and done["dispatched"] == 1
    assert claims.show(engine, second)["timeline"][-1]["actor"] == getpass.getuser()
    assert instore([*db, "dispatch", "import", "--csv", str(back)]) == 0
    assert capsys.readouterr().out == (
        "Nothing changed; 2 rows already recorded (this file was imported before).\n"
    )

    on_the_way = tmp_path / "on-the-way.csv"
    assert instore([*db, "dispatch", "export", "--campaign", CAMPAIGN, "--in-transit",
                    "--csv", str(on_the_way)]) == 0  # fmt: skip
    assert capsys.readouterr().out == (
        f"2 claims of {CAMPAIGN} on their way written to {on_the_way}\n"
    )


def test_a_file_without_the_columns_is_refused_whole_with_exit_2(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = claim_maker(engine, tmp_path)()
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(f"number,courier,awb\n{number},India Post,EE1IN\n")
    db = ["admin", "--db", str(engine.url)]
    assert instore([*db, "dispatch", "import", "--csv", str(wrong), "--json"]) == 2
    refused = json.loads(capsys.readouterr().out)
    assert refused["error"] == "bad_tracking_file"
    assert "must name the columns claim, carrier, tracking and delivered_on" in refused["message"]
    assert state(engine, number)[0] == "approved"
    assert instore([*db, "dispatch", "import", "--csv", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv" in capsys.readouterr().err
