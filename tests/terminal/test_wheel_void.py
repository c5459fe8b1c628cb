"""A prize of the bonus wheel not handed over at the counter: the spin is voided on its device, by
the reference the kiosk showed or its event id (`instore terminal void`). The void is an event on
the chain; the member's spin of the day comes back, and so does the outcome: the device's next
spin gives it again, so the wheel never gives more than its sequence holds."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from terminal.engine import Terminal
from terminal.ledger_wheel import HeldSpin
from terminal.wheel import reference, reference_tail
from tests.terminal.test_wheel import MEMBER, _device

ROOT = Path(__file__).resolve().parents[2]


def test_a_spins_reference_is_short_and_read_back_as_typed() -> None:
    event_id = "0190f3a2-7c1d-7abc-9def-0123456789ab"
    assert reference(event_id) == "W-4567-89AB"
    for typed in ("W-4567-89AB", "w-4567 89ab", "W456789AB", "4567-89ab"):
        assert reference_tail(typed) == "456789ab"
    for not_one in ("W-4567-89A", "HV-ABCD-EFGH-1234-5678", "", "W-4567-89AG"):
        assert reference_tail(not_one) is None


def test_a_prize_not_handed_over_is_voided_and_its_outcome_spun_again(tmp_path: Path) -> None:
    kiosk = Terminal(_device(tmp_path, [HeldSpin("ice-2026", 4, "cap"),
                                        HeldSpin("ice-2026", 5, "nothing")]))  # fmt: skip
    kiosk.checkin(MEMBER)
    won = kiosk.spin(MEMBER)
    assert (won.outcome, won.outcome_kind) == ("cap", "prize")
    assert won.reference and re.fullmatch(r"W-[0-9A-F]{4}-[0-9A-F]{4}", won.reference)
    assert won.event_id is not None and won.event_id.endswith(
        won.reference[-9:].replace("-", "").lower()
    )
    assert getattr(kiosk.spin_refusal(MEMBER), "status", None) == "already_spun"
    assert kiosk.wheel().held == 1  # type: ignore[union-attr]

    assert kiosk.void(won.reference, "").status == "bad_input"  # a void says why
    voided = kiosk.void(won.reference.lower(), "no caps left at the counter", actor="ann")
    assert voided.status == "voided", voided.message
    assert kiosk.spin_refusal(MEMBER) is None  # the day's spin is the member's again
    assert kiosk.wheel().held == 2  # type: ignore[union-attr]
    again = kiosk.spin(MEMBER)
    assert (again.outcome, again.status) == ("cap", "spun")  # the same index, the same prize
    assert kiosk.void(won.reference, "twice").status == "already_voided"
    assert kiosk.void("W-0000-0000", "typo").status == "not_found"
    assert kiosk.ledger.verify_chain() is None  # the void is an event on the chain
    void_row = kiosk.ledger.one("SELECT target, actor FROM events WHERE kind = 'void'")
    assert void_row is not None and (void_row["target"], void_row["actor"]) == (won.event_id, "ann")
    kiosk.close()


def test_a_voided_spin_of_points_takes_them_back(tmp_path: Path) -> None:
    kiosk = Terminal(_device(tmp_path, [HeldSpin("ice-2026", 0, "50 points")]))
    kiosk.checkin(MEMBER)
    spun = kiosk.spin(MEMBER)
    assert kiosk.balance(MEMBER).balance == 10 + 50
    assert kiosk.void(spun.event_id or "", "spun by mistake").status == "voided"
    assert kiosk.balance(MEMBER).balance == 10
    kiosk.close()


def test_the_till_voids_a_spin_from_the_shell(tmp_path: Path) -> None:
    path = _device(tmp_path, [HeldSpin("ice-2026", 2, "cap")])
    run = [sys.executable, "-m", "instore_cli", "terminal"]

    def shell(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*run, *args, "--db", str(path), "--json"], capture_output=True,
                              text=True, cwd=ROOT)  # fmt: skip

    assert shell("checkin", "--member", MEMBER).returncode == 0
    spun = json.loads(shell("spin", "--member", MEMBER).stdout)
    assert spun["outcome"] == "cap" and spun["reference"].startswith("W-")
    done = shell("void", spun["reference"], "--reason", "no caps left", "--actor", "ann")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["status"] == "voided"
    unknown = shell("void", "W-0000-0000", "--reason", "typo")
    assert unknown.returncode == 1 and json.loads(unknown.stdout)["status"] == "not_found"
