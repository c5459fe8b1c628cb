"""`instore admin member card`: a manager prints a member's card; its QR is what the kiosk reads.
Bad input is a message and an exit code, and no file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codes.member_card import member_from_qr
from codes.qr_read import read_codes
from tests.server_stub.admin.admin_shell import Run, admin

# the fixture, imported so pytest finds it here
__all__ = ["admin"]


def test_a_card_by_phone_and_by_card_number(admin: Run, tmp_path: Path) -> None:
    assert admin("program", "set", "--name", "Coalition Rewards")[0] == 0
    assert admin("member", "add", "--phone", "+919876543210", "--card", "card-0042")[0] == 0
    code, out, _ = admin("member", "card", "--phone", "98765 43210", "--region", "IN",
                         "--out", str(tmp_path / "card.png"))  # fmt: skip
    assert code == 0
    assert "+91 •••••• 3210" in out and "member:+919876543210" in out
    [text] = read_codes(tmp_path / "card.png")
    assert member_from_qr(text) == "+919876543210"  # the kiosk's reading of it
    code, out, _ = admin("member", "card", "--phone", "+919876543210", "--card", "CARD 0042",
                         "--out", str(tmp_path / "card.pdf"), "--json")  # fmt: skip
    assert code == 0
    said = json.loads(out)
    assert said == {"out": str(tmp_path / "card.pdf"), "qr": "member:CARD0042",
                    "program": "Coalition Rewards", "shown": "•••• 0042"}  # fmt: skip
    assert (tmp_path / "card.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--phone", "+919876543211"), "no member has the phone or card '+919876543211'"),
        (
            ("--phone", "+919876543210", "--card", "CARD9999"),
            "card CARD9999 is not member 1's: their card is CARD0042",
        ),
        (
            ("--phone", "+77011234567", "--card", "CARD0042"),
            "card CARD0042 is not member 2's: they have no card yet",
        ),
        (("--phone", "+77011234567", "--out-as", "x"), "unrecognized arguments"),
    ],
)
def test_what_cannot_be_printed(admin: Run, tmp_path: Path, args: tuple[str, ...],
                                words: str) -> None:  # fmt: skip
    admin("member", "add", "--phone", "+919876543210", "--card", "CARD0042")
    admin("member", "add", "--phone", "+77011234567")
    code, _, err = admin("member", "card", *args, "--out", str(tmp_path / "card.png"))
    assert code == 2 and words in err and "Traceback" not in err
    assert not (tmp_path / "card.png").exists()


def test_a_blocked_member_and_a_file_that_is_not_a_picture(admin: Run, tmp_path: Path) -> None:
    admin("member", "add", "--phone", "+77011234567")
    code, _, err = admin("member", "card", "--phone", "+77011234567",
                         "--out", str(tmp_path / "card.jpg"))  # fmt: skip
    assert code == 2 and "a card is written as .png or .pdf, not 'card.jpg'" in err
    admin("member", "block", "+77011234567", "--reason", "card stolen")
    code, _, err = admin("member", "card", "--phone", "+77011234567",
                         "--out", str(tmp_path / "card.png"))  # fmt: skip
    assert code == 2 and "is blocked (card stolen): unblock them" in err
    assert not list(tmp_path.glob("card.*"))
