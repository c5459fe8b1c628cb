"""Minting: the CSV a print shop gets, the pictures and sheets it prints, and what a camera reads."""

from __future__ import annotations

import csv
import re
import zlib
from pathlib import Path

import numpy as np
import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from pyzbar import pyzbar

from codes import campaign as campaign_file
from codes import mint, pdf_sheet
from codes.campaign_cipher import CampaignCipher
from codes.checker import CodeChecker
from codes.common.errors import InstoreError
from tests.conftest import CampaignFactory


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _pdf_uncompressed(path: Path) -> bytes:
    """The PDF's bytes with each compressed page content inflated (compressed bytes would
    hold any short word now and then by chance)."""
    data, out, at = path.read_bytes(), [], 0
    for found in re.finditer(rb"/Length (\d+) /Filter /FlateDecode >>\nstream\n", data):
        if found.start() < at:
            continue
        body = found.end() + int(found[1])
        out += [data[at : found.end()], zlib.decompress(data[found.end() : body])]
        at = body
    return b"".join([*out, data[at:]])


def test_csv_holds_every_code_once_and_each_checks(
    make_campaign: CampaignFactory, tmp_path: Path
) -> None:
    campaign, _key = make_campaign()
    out = tmp_path / "codes.csv"
    updated, report = mint.mint_to_files(CampaignCipher.issuer(campaign), out, 100_000)
    assert out.read_bytes().startswith(b"code,serial\n")
    rows = _rows(out)
    assert len(rows) == 100_000 == report.count
    assert [int(r["serial"]) for r in rows] == list(range(100_000))
    assert len({r["code"] for r in rows}) == 100_000
    checker = CodeChecker([CampaignCipher.issuer(updated)])
    for row in rows[::997] + rows[-3:]:
        result = checker.check(row["code"])
        assert result.valid and result.serial == int(row["serial"])
    assert updated.issued == 100_000
    assert sum(report.tiers.values()) == 100_000


def test_the_printer_s_csv_names_no_prize_and_only_the_brand_s_copy_does(
    make_campaign: CampaignFactory, tmp_path: Path
) -> None:
    campaign, _key = make_campaign(tiers="gold:1/100,silver:1/10,music:*", capacity=10_000)
    cipher = CampaignCipher.issuer(campaign)
    _, printed = mint.mint_to_files(cipher, tmp_path / "printer.csv", 1_000)
    text = (tmp_path / "printer.csv").read_text()
    assert text.splitlines()[0] == "code,serial" and not printed.with_tiers
    assert all(line.count(",") == 1 for line in text.splitlines())
    assert not any(name in text.lower() for name in ("gold", "silver", "music"))
    # the same run again, for the brand's records: every code's prize, as the checker reads it
    _, kept = mint.mint_to_files(cipher, tmp_path / "brand.csv", 1_000, start=0, with_tiers=True)
    assert kept.with_tiers and kept.tiers == printed.tiers == {
        "gold": 10,
        "silver": 100,
        "music": 890,
    }
    brand = _rows(tmp_path / "brand.csv")
    assert [(r["code"], r["serial"]) for r in brand] == [
        (r["code"], r["serial"]) for r in _rows(tmp_path / "printer.csv")
    ]
    checker = CodeChecker([cipher])
    assert all(checker.check(r["code"]).tier == r["tier"] for r in brand)
    assert {r["tier"] for r in brand} == {"gold", "silver", "music"}


def test_the_sheet_and_the_pictures_name_no_prize(
    make_campaign: CampaignFactory, tmp_path: Path
) -> None:
    """Codes never hold I, L, O or U, so these names can only come from the tiers."""
    campaign, _key = make_campaign(tiers="gold:1/10,silver:1/5,music:*", capacity=1_000)
    mint.mint_to_files(
        CampaignCipher.issuer(campaign), tmp_path / "c.csv", 30, pdf=tmp_path / "c.pdf",
        png_dir=tmp_path / "png",
    )  # fmt: skip
    pdf = pypdfium2.PdfDocument(tmp_path / "c.pdf")
    text = "".join(page.get_textpage().get_text_range() for page in pdf).lower()
    names = " ".join(p.name for p in (tmp_path / "png").iterdir()).lower()
    raw = _pdf_uncompressed(tmp_path / "c.pdf").lower()
    assert "hv-" in text and b"(hv-" in raw and len(list((tmp_path / "png").iterdir())) == 30
    for tier in ("gold", "silver", "music"):
        assert tier not in text and tier not in names and tier.encode() not in raw


def test_next_run_continues_and_reprints_are_counted(
    make_campaign: CampaignFactory, tmp_path: Path
) -> None:
    campaign, _key = make_campaign()
    campaign, _ = mint.mint_to_files(CampaignCipher.issuer(campaign), tmp_path / "a.csv", 10)
    campaign, second = mint.mint_to_files(CampaignCipher.issuer(campaign), tmp_path / "b.csv", 10)
    assert second.start == 10 and campaign.issued == 20
    campaign, again = mint.mint_to_files(
        CampaignCipher.issuer(campaign), tmp_path / "c.csv", 15, start=5
    )
    assert again.reprinted == 15 and campaign.issued == 20
    assert _rows(tmp_path / "c.csv")[0] == _rows(tmp_path / "a.csv")[5]


def test_serials_crossing_digit_boundaries_are_written_plainly(
    make_campaign: CampaignFactory, tmp_path: Path
) -> None:
    campaign, _key = make_campaign()
    mint.mint_to_files(CampaignCipher.issuer(campaign), tmp_path / "x.csv", 25, start=9_999_990)
    assert [r["serial"] for r in _rows(tmp_path / "x.csv")][9:12] == [
        "9999999",
        "10000000",
        "10000001",
    ]


def test_file_mint_records_issued_count(make_campaign: CampaignFactory, tmp_path: Path) -> None:
    campaign, _key = make_campaign()
    assert campaign.path is not None
    mint.mint_campaign_file(campaign.path, tmp_path / "c.csv", 30)
    assert campaign_file.load(campaign.path).issued == 30


@pytest.mark.parametrize(
    ("count", "start", "code"),
    [(0, None, "bad_count"), (5, -1, "bad_start"), (2_000, None, "over_capacity")],
)
def test_impossible_runs_are_refused_and_write_nothing(
    make_campaign: CampaignFactory, tmp_path: Path, count: int, start: int | None, code: str
) -> None:
    campaign, _key = make_campaign(tiers="gold:10,music:*", capacity=1_000)
    with pytest.raises(InstoreError) as err:
        mint.mint_to_files(
            CampaignCipher.issuer(campaign),
            tmp_path / "c.csv",
            count,
            start=start,
            pdf=tmp_path / "c.pdf",
        )
    assert err.value.code == code
    assert list(tmp_path.glob("*c.*")) == []


def test_failed_run_leaves_no_half_files(
    make_campaign: CampaignFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign, _key = make_campaign()

    def broken(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mint, "_pictures", broken)
    with pytest.raises(OSError):
        mint.mint_to_files(
            CampaignCipher.issuer(campaign), tmp_path / "c.csv", 10, pdf=tmp_path / "c.pdf"
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["campaign.toml", "master.key"]


def test_every_png_decodes_back_to_its_code_with_both_decoders(
    make_campaign: CampaignFactory, tmp_path: Path
) -> None:
    campaign, _key = make_campaign()
    mint.mint_to_files(
        CampaignCipher.issuer(campaign), tmp_path / "c.csv", 60, png_dir=tmp_path / "png"
    )
    for row in _rows(tmp_path / "c.csv"):
        pixels = np.asarray(Image.open(tmp_path / "png" / f"{row['code']}.png").convert("L"))
        assert [r.text for r in zxingcpp.read_barcodes(pixels)] == [row["code"]]
        assert [r.data.decode() for r in pyzbar.decode(pixels)] == [row["code"]]


def test_every_qr_on_the_pdf_sheet_decodes_with_both_decoders(
    make_campaign: CampaignFactory, tmp_path: Path
) -> None:
    campaign, _key = make_campaign()
    count = pdf_sheet.PER_PAGE * 2 + 5  # two full pages and a partial one
    mint.mint_to_files(
        CampaignCipher.issuer(campaign), tmp_path / "c.csv", count, pdf=tmp_path / "c.pdf"
    )
    expected = {r["code"] for r in _rows(tmp_path / "c.csv")}
    seen_zxing: set[str] = set()
    seen_zbar: set[str] = set()
    pdf = pypdfium2.PdfDocument(tmp_path / "c.pdf")
    assert len(pdf) == 3
    for page in pdf:
        # 150 dpi: an office scanner, or a phone camera at a short distance
        pixels = np.asarray(page.render(scale=150 / 72, grayscale=True).to_pil().convert("L"))
        seen_zxing |= {r.text for r in zxingcpp.read_barcodes(pixels)}
        seen_zbar |= {r.data.decode() for r in pyzbar.decode(pixels)}
        text = page.get_textpage().get_text_range()
        assert "sheet" in text
    assert seen_zxing == expected
    assert seen_zbar == expected
    # the printed text under each QR is the code itself, for people who type it
    all_text = "".join(p.get_textpage().get_text_range() for p in pdf)
    assert all(code in all_text for code in expected)


def test_blurred_low_quality_camera_frame_still_reads(
    make_campaign: CampaignFactory, tmp_path: Path
) -> None:
    """A crumpled pack under a kiosk camera: downscaled, blurred, JPEG quality 30."""
    from PIL import ImageFilter

    campaign, _key = make_campaign()
    mint.mint_to_files(
        CampaignCipher.issuer(campaign), tmp_path / "c.csv", 5, png_dir=tmp_path / "png"
    )
    for row in _rows(tmp_path / "c.csv"):
        img = Image.open(tmp_path / "png" / f"{row['code']}.png").convert("L")
        frame = Image.new("L", (640, 480), 200)
        frame.paste(
            img.resize((150, 150)).rotate(8, fillcolor=200).filter(ImageFilter.GaussianBlur(1)),
            (240, 160),
        )
        frame.save(tmp_path / "frame.jpg", quality=30)
        pixels = np.asarray(Image.open(tmp_path / "frame.jpg").convert("L"))
        assert [r.text for r in zxingcpp.read_barcodes(pixels)] == [row["code"]]
