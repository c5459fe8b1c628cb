"""The bonus wheel on a device, offline (terminal/wheel.py): a spin takes the next outcome of
the slice the server sent, once a day per member after a check-in or a purchase here, a device
with no slice left refuses clearly, an ended wheel spins no more; and `instore terminal spin`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from codes.campaign import Campaign, parse_tiers
from instore_cli import main as instore
from terminal.engine import Terminal
from terminal.ledger import Ledger
from terminal.ledger_content import put_content
from terminal.ledger_wheel import HeldSpin
from terminal.provision import provision

CAMPAIGN = Campaign(id="ice-2026", prefix="HV", tiers=parse_tiers("music:*"), issued=1000)
MEMBER = "+77011234567"


def _wheel(per_day: int = 1, open_: bool = True) -> dict[str, object]:
    return {
        "campaign": "ice-2026", "per_day": per_day, "commitment": "ab" * 32, "open": open_,
        "outcomes": [
            {"label": "50 points", "weight": 40, "points": 50, "kind": "points"},
            {"label": "cap", "weight": 1, "points": 0, "kind": "prize"},
            {"label": "nothing", "weight": 59, "points": 0, "kind": "nothing"},
        ],
    }  # fmt: skip


def _device(tmp_path: Path, held: list[HeldSpin], per_day: int = 1, open_: bool = True) -> Path:
    path = tmp_path / "kiosk.db"
    provision(path, [(CAMPAIGN, bytes(range(32)))], device_name="Kiosk", store_id="s1")
    ledger = Ledger(path)
    with ledger.write() as conn:
        Ledger.hold_wheels(conn, [_wheel(per_day, open_)], held)
    ledger.close()
    return path


def test_spins_take_the_slice_in_order_once_a_day_after_a_visit(tmp_path: Path) -> None:
    slice_ = [HeldSpin("ice-2026", 7, "50 points"), HeldSpin("ice-2026", 8, "cap"),
              HeldSpin("ice-2026", 9, "nothing")]  # fmt: skip
    kiosk = Terminal(_device(tmp_path, slice_, per_day=2))
    rules = kiosk.wheel()
    assert rules is not None and rules.held == 3
    assert [round(o.odds(rules.total)) for o in rules.outcomes] == [40, 1, 59]
    assert kiosk.spin(MEMBER).status == "not_qualified"
    assert kiosk.spin("").status == "bad_input"
    assert kiosk.checkin(MEMBER).ok
    first = kiosk.spin(MEMBER)
    assert (first.status, first.outcome, first.points) == ("spun", "50 points", 50)
    second = kiosk.spin(MEMBER)
    assert (second.status, second.outcome, second.outcome_kind) == ("spun", "cap", "prize")
    assert kiosk.spin(MEMBER).status == "already_spun"  # two a day
    assert kiosk.balance(MEMBER).balance == 10 + 50  # the check-in's and the spin's points
    assert kiosk.ledger.verify_chain() is None  # each spin is an event on the chain
    kiosk.close()


def test_no_slice_left_is_a_clear_refusal_and_an_ended_wheel_spins_no_more(
    tmp_path: Path,
) -> None:
    kiosk = Terminal(_device(tmp_path, [HeldSpin("ice-2026", 0, "nothing")]))
    for member in (MEMBER, "+77019999999"):
        kiosk.checkin(member)
    assert kiosk.spin(MEMBER).status == "spun"
    empty = kiosk.spin("+77019999999")
    assert empty.status == "no_spins" and "until it syncs" in empty.message
    with kiosk.ledger.write() as conn:
        Ledger.hold_wheels(conn, [_wheel(open_=False)], [])
    assert kiosk.spin("+77019999999").status == "wheel_ended"
    kiosk.close()


def test_a_device_without_a_wheel_says_so(tmp_path: Path) -> None:
    path = tmp_path / "till.db"
    provision(path, [(CAMPAIGN, bytes(range(32)))], device_name="Till", store_id="s1")
    till = Terminal(path)
    assert till.wheel() is None and till.spin(MEMBER).status == "no_wheel"
    till.close()


def test_the_cli_answers_status_outcome_and_points(tmp_path: Path) -> None:
    path = _device(tmp_path, [HeldSpin("ice-2026", 3, "50 points")])
    run = [sys.executable, "-m", "instore_cli", "terminal"]
    subprocess.run([*run, "checkin", "--db", str(path), "--member", MEMBER], check=True,
                   capture_output=True, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    done = subprocess.run([*run, "spin", "--db", str(path), "--member", MEMBER, "--json"],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["status"], answer["outcome"], answer["points"]) == ("spun", "50 points", 50)
    again = subprocess.run([*run, "spin", "--db", str(path), "--member", MEMBER, "--json"],
                           capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert again.returncode == 1 and json.loads(again.stdout)["status"] == "already_spun"


def test_the_kiosk_can_ask_whether_a_spin_waits_without_spinning(tmp_path: Path) -> None:
    """Terminal.spin_refusal answers what spin would, and takes nothing of the slice."""
    kiosk = Terminal(_device(tmp_path, [HeldSpin("ice-2026", 0, "cap")]))
    refused = kiosk.spin_refusal(MEMBER)
    assert refused is not None and refused.status == "not_qualified"
    kiosk.checkin(MEMBER)
    assert kiosk.spin_refusal(MEMBER) is None
    assert kiosk.spin_refusal(MEMBER) is None and kiosk.wheel().held == 1  # type: ignore[union-attr]
    assert kiosk.spin(MEMBER).outcome == "cap"
    assert getattr(kiosk.spin_refusal(MEMBER), "status", None) == "already_spun"
    other = "+77019999999"
    kiosk.checkin(other)
    assert getattr(kiosk.spin_refusal(other), "status", None) == "no_spins"
    with kiosk.ledger.write() as conn:
        Ledger.hold_wheels(conn, [_wheel(open_=False)], [])
    assert getattr(kiosk.spin_refusal(other), "status", None) == "wheel_ended"
    kiosk.close()


def test_the_tills_words_name_a_prize_as_the_brand_does_and_give_its_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`instore terminal spin` says a prize by the campaign's English name for it ([wheel.cap]
    in its content), its label humanised where it has none, never the raw label; and gives the
    reference the cashier hands it over (or voids it) by."""
    path = _device(tmp_path, [HeldSpin("ice-2026", 0, "cap"), HeldSpin("ice-2026", 1, "cap")], 2)

    def till(*args: str) -> str:
        try:
            instore(["terminal", args[0], "--db", str(path), *args[1:]])
        except SystemExit as exc:
            assert not exc.code, capsys.readouterr()
        return capsys.readouterr().out

    till("checkin", "--member", MEMBER)
    said = till("spin", "--member", MEMBER)
    reference = re.search(r"W-[0-9A-F]{4}-[0-9A-F]{4}", said)
    assert "a prize, Cap;" in said and reference, said
    assert not re.search(r"\bcap\b", said), said  # not the label as the wheel was set
    ledger = Ledger(path)
    with ledger.write() as conn:
        put_content(conn, "ice-2026", {"wheel": {"cap": {"name": {"en": "Summer cap",
                                                                  "ru": "Летняя кепка"}}}}, {})  # fmt: skip
    ledger.close()
    said = till("spin", "--member", MEMBER)
    assert "a prize, Summer cap; hand it over at the counter" in said, said
    code = re.search(r"W-[0-9A-F]{4}-[0-9A-F]{4}", said)
    assert code and code.group() != reference.group()  # each spin its own
    assert "void" in till("void", code.group(), "--reason", "none left").lower()
