"""A member card's QR text, written by `instore admin member card` and read by the kiosk, and the
card itself: a bank card's size, its QR read back from the picture."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from codes.card_print import CardError, CardFace, Fonts, write_card
from codes.member_card import NotAMemberKey, masked, member_from_qr, member_qr_text
from codes.qr_read import read_codes

FONTS = Path(__file__).resolve().parents[2] / "assets" / "fonts"


@pytest.mark.parametrize("key", ["+919876543210", "+77011234567", "CARD0042", "CARD-0042"])
def test_what_is_written_is_read_back(key: str) -> None:
    text = member_qr_text(key)
    assert text == f"member:{key}"
    assert member_from_qr(text) == key
    assert member_from_qr(text.upper().replace(key.upper(), key)) == key  # MEMBER: in any case
    assert member_from_qr(f"  {text}  ".strip() + "  ") == key


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("member: +91 98765 43210 ", "+91 98765 43210"),  # a hand-made card: the till reads it
        ("Member:CARD-7", "CARD-7"),
        ("member:", None),
        ("member:   ", None),
        ("HV-1234-5678-9ABC-DEFGH", None),  # a prize code is not a member card
        ("https://play.example.com/c?code=x", None),
        ("member:" + "9" * 65, None),
        ("member:a\nb", None),
    ],
)
def test_what_the_kiosk_takes_for_a_card(text: str, read: str | None) -> None:
    assert member_from_qr(text) == read


@pytest.mark.parametrize("key", ["", "  ", "+91 98765 43210", "a\nb", "9" * 65, "member:+91"])
def test_the_writer_refuses_what_could_not_be_read_back(key: str) -> None:
    with pytest.raises(NotAMemberKey) as caught:
        member_qr_text(key)
    assert caught.value.code == "not_a_member_key" and "international form" in caught.value.message


def test_the_printed_number_is_mostly_hidden() -> None:
    assert masked("+919876543210") == "+91 •••••• 3210"
    assert masked("CARD0042") == "•••• 0042"
    assert "98765" not in masked("+919876543210")


def test_a_card_is_a_bank_card_whose_qr_reads_back(tmp_path: Path) -> None:
    face = CardFace(member_qr_text("+919876543210"), "गर्मियों के इनाम", masked("+919876543210"))
    png = write_card(tmp_path / "card.png", face, Fonts(FONTS))
    with Image.open(png) as image:
        assert image.size == (1011, 638)  # 85.6 x 54 mm at 300 dpi
        assert round(image.info["dpi"][0]) == 300
    assert read_codes(png) == ["member:+919876543210"]
    long = CardFace(member_qr_text("C" * 64), "Rewards", masked("C" * 64))  # the densest symbol
    assert read_codes(write_card(tmp_path / "long.png", long)) == ["member:" + "C" * 64]


def test_a_pdf_card_prints_at_its_size(tmp_path: Path) -> None:
    face = CardFace(member_qr_text("CARD0042"), "Coalition rewards", masked("CARD0042"))
    pdf = write_card(tmp_path / "card.PDF", face, Fonts(FONTS)).read_bytes()
    assert pdf.startswith(b"%PDF")
    box = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", pdf)
    assert box is not None
    width, height = (float(v) / 72 * 25.4 for v in box.groups())  # points to mm
    assert abs(width - 85.6) < 0.3 and abs(height - 54.0) < 0.3
    with pytest.raises(CardError) as caught:
        write_card(tmp_path / "card.jpg", face)
    assert caught.value.code == "bad_card_file" and not (tmp_path / "card.jpg").exists()
