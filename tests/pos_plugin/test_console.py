"""The cashier's console with a keyboard-wedge scanner: lines in, answers out."""

from __future__ import annotations

import io

from pos_plugin.checkout import Till
from pos_plugin.console import CashierConsole
from pos_plugin.scanner import RepeatFilter
from tests.pos_plugin.conftest import TillFactory


def test_a_repeated_read_within_the_window_is_one_scan() -> None:
    now = [0.0]
    repeats = RepeatFilter(2.0, clock=lambda: now[0])
    assert repeats.accept("HV-1\n") == "HV-1"
    now[0] = 1.0
    assert repeats.accept("HV-1") is None  # the gun read it twice
    now[0] = 2.5
    assert repeats.accept("HV-1") is None  # still held over it: 1.5 s since the last read
    assert repeats.accept("HV-2") == "HV-2"
    assert repeats.accept("HV-1") == "HV-1"  # another pack with the same code is a new scan
    now[0] = 10.0
    assert repeats.accept("HV-1") == "HV-1"
    assert repeats.accept("   ") is None


def run(till_lines: str, make_till: TillFactory, **settings: object) -> tuple[str, Till]:
    till, store = make_till(**settings)
    lines = till_lines.format(c1=store.code(1), c2=store.code(2))
    out = io.StringIO()
    CashierConsole(till, stdin=io.StringIO(lines), stdout=out).cmdloop()
    return out.getvalue(), till


def test_a_basket_from_scanner_to_receipt(make_till: TillFactory) -> None:
    text, _ = run(
        "{c1}\n{c1}\n{c2}\nmember 0770 0900 123\nbasket\npay R-55 12.50\nstatus\nquit\n",
        make_till,
        cashier="ann",
    )
    lines = text.splitlines()
    assert sum("held for this basket" in line for line in lines) == 2  # the double read ignored
    assert "2 codes in the basket" in text and "member 07700900123" in text
    assert "Paid: 2 coupons redeemed; 1 point earned." in text
    assert "instore rewards - receipt R-55" in text
    assert "3 events waiting to sync" in text


def test_mistakes_get_a_usage_line_not_a_traceback(make_till: TillFactory) -> None:
    text, _ = run(
        "pay\npay R-1 lots\nspend many mug\nrefund\nscan\ncheck\nmember\nZZZZ-1\nremove {c1}\ncancel\n",
        make_till,
    )
    assert "Traceback" not in text
    assert text.count("Usage:") == 7
    assert "!! Not a code" in text or "!! This" in text
    assert "That code is not in this basket." in text
    assert "Basket cancelled: 0 codes freed." in text


def test_scan_adds_a_code_as_the_scanner_does_and_check_only_looks(make_till: TillFactory) -> None:
    """A cashier in a queue who types 'scan CODE' means the code to count at payment."""
    text, _ = run("check {c2}\nscan {c1}\nbasket\npay R-9 5\nquit\n", make_till)
    checked, scanned = text.splitlines()[1:3]  # after the greeting
    assert "Checked only: scan it, or type it alone, to add it to the basket." in checked
    assert "held for this basket" in scanned
    assert "1 code in the basket" in text
    assert "Paid: 1 coupon redeemed" in text


def test_help_lists_the_commands_a_cashier_types(make_till: TillFactory) -> None:
    text, _ = run("help\nEOF\n", make_till)
    assert "scan" in text and "check" in text and "pay" in text
    assert "EOF" not in text  # Ctrl-D still closes the till: the console ended here
