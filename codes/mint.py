"""Minting: serials -> codes, streamed to CSV, and optionally to PNG files and a printable sheet.

The CSV is `code,serial`: it goes to the printer, who must not be able to pick out the prizes.
Only `with_tiers` adds the tier column, for the brand's own records; the PNG names and the sheet
never carry a tier.

Codes are made in chunks (one AES call per Feistel round per chunk), and each chunk's CSV rows are
assembled as one byte matrix, so memory stays flat for any run and a million codes take about a
second. Outputs are written to temporary files and renamed at the end: a failed run leaves no
half-written file that could be sent to a printer, and the campaign's issued count moves only after
every file is complete.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from codes import campaign as campaign_file
from codes import qr
from codes.campaign import Campaign
from codes.campaign_cipher import CampaignCipher
from codes.common.errors import InstoreError
from codes.pdf_sheet import SheetWriter

CHUNK = 1 << 15
CSV_HEADER = b"code,serial\n"
CSV_HEADER_WITH_TIERS = b"code,serial,tier\n"


@dataclass(frozen=True)
class MintedChunk:
    serials: npt.NDArray[np.uint64]
    tiers: npt.NDArray[np.intp]
    text: npt.NDArray[np.uint8]  # (count, width) printed codes as ASCII

    def codes(self) -> list[str]:
        width = self.text.shape[1]
        texts: list[str] = self.text.view(f"S{width}").ravel().astype(str).tolist()
        return texts


@dataclass
class MintReport:
    campaign: str
    start: int
    count: int
    csv: str
    png_dir: str | None = None
    pdf: str | None = None
    seconds: float = 0.0
    reprinted: int = 0  # serials in this run that had been issued before
    with_tiers: bool = False  # the CSV names each code's tier: not for the printer
    issued: int = 0
    tiers: dict[str, int] = field(default_factory=dict)  # every tier, with 0 where it got none
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What a print shop reads: the run, its prizes, and where the files went."""
        extras = "".join(
            f"; {label} {value}"
            for label, value in (("PNGs in", self.png_dir), ("sheet", self.pdf))
            if value
        )
        reprint = f" ({self.reprinted:,} of them reprints)" if self.reprinted else ""
        tiers = ", ".join(f"{n} {c:,}" for n, c in self.tiers.items())
        lines = [
            f"minted {self.count:,} codes{reprint}, serials {self.start:,} to"
            f" {self.start + self.count - 1:,}, into {self.csv}{extras}; {self.issued:,} issued"
            f" so far ({self.seconds:.2f} s)",
            f"this run holds: {tiers}",
        ]
        return "\n".join(lines + [f"warning: {w}" for w in self.warnings])


def mint_chunks(
    cipher: CampaignCipher, start: int, count: int, chunk: int = CHUNK
) -> Iterator[MintedChunk]:
    """Codes for serials start .. start+count-1, a chunk at a time."""
    for first in range(start, start + count, chunk):
        serials = np.arange(first, min(first + chunk, start + count), dtype=np.uint64)
        tiers, text = cipher.encode_batch(serials)
        yield MintedChunk(serials, tiers, text)


def csv_rows(chunk: MintedChunk, tier_names: list[str] | None = None) -> bytes:
    """`code,serial` lines of one chunk (`code,serial,tier` given the tier names), built as a
    byte matrix and flattened."""
    count, code_w = chunk.text.shape
    serials = chunk.serials
    digits_w = len(str(int(serials[-1])))
    names = [n.encode("ascii") for n in tier_names or []]
    name_w = max((len(n) for n in names), default=0)
    width = code_w + 1 + digits_w + (1 + name_w if names else 0) + 1
    rows = np.empty((count, width), dtype=np.uint8)
    keep = np.ones((count, width), dtype=bool)

    rows[:, :code_w] = chunk.text
    col = code_w
    rows[:, col] = ord(",")
    col += 1
    # serial in decimal, right-aligned; leading zeros dropped through `keep`
    remaining = serials.copy()
    for k in range(digits_w - 1, -1, -1):
        rows[:, col + k] = (remaining % np.uint64(10)).astype(np.uint8) + ord("0")
        remaining //= np.uint64(10)
    lengths = np.searchsorted(10 ** np.arange(1, 21, dtype=np.uint64), serials, side="right") + 1
    keep[:, col : col + digits_w] = np.arange(digits_w) >= (digits_w - lengths)[:, None]
    col += digits_w
    if names:
        rows[:, col] = ord(",")
        col += 1
        name_table = np.zeros((len(names), name_w), dtype=np.uint8)
        name_keep = np.zeros((len(names), name_w), dtype=bool)
        for i, n in enumerate(names):
            name_table[i, : len(n)] = np.frombuffer(n, dtype=np.uint8)
            name_keep[i, : len(n)] = True
        rows[:, col : col + name_w] = name_table[chunk.tiers]
        keep[:, col : col + name_w] = name_keep[chunk.tiers]
    rows[:, -1] = ord("\n")
    return rows[keep].tobytes()


def check_range(campaign: Campaign, start: int, count: int) -> None:
    if count < 1:
        raise InstoreError("bad_count", "the count must be at least 1")
    if start < 0:
        raise InstoreError("bad_start", "the start serial cannot be negative")
    if start + count > campaign.capacity:
        left = max(0, campaign.capacity - start)
        raise InstoreError(
            "over_capacity",
            f"campaign {campaign.id} has room for {campaign.capacity:,} codes;"
            f" from serial {start:,} only {left:,} are left",
        )


def check_outputs(
    out_csv: Path, pdf: Path | None = None, png_dir: Path | None = None, force: bool = False
) -> None:
    """Refuse, before any work, an output that would replace a file or is not of its kind."""
    for path, suffix, kind in ((out_csv, ".csv", "the codes' CSV"), (pdf, ".pdf", "the sheet")):
        if path is None:
            continue
        if path.suffix.lower() != suffix:
            raise InstoreError(
                "bad_output", f"{kind} must be a {suffix} file; {path} is not (name it *{suffix})"
            )
        if path.is_dir():
            raise InstoreError("bad_output", f"{path} is a folder; name a {suffix} file")
        if path.exists() and not force:
            raise InstoreError(
                "exists",
                f"{path} already exists; choose another name, or add --force to replace it",
            )
    if png_dir is not None and png_dir.exists() and not png_dir.is_dir():
        raise InstoreError("bad_output", f"{png_dir} is a file; --png-dir takes a folder")


def tier_warnings(campaign: Campaign, count: int, per_tier: dict[str, int]) -> list[str]:
    """Why a prize tier (any tier but the remainder) got no code in this run, and what to do."""
    found = []
    totals = dict(zip((t.name for t in campaign.tiers), campaign.tier_counts(), strict=True))
    for tier in campaign.tiers:
        if tier.count is None or per_tier.get(tier.name) or not totals[tier.name]:
            continue
        if tier.every:
            found.append(
                f"no {tier.name} in this run: {tier.name} is {tier.count} in every"
                f" {tier.every:,} codes, and a run of {count:,} is shorter; mint whole multiples"
                f" of {campaign.block():,} codes to give every run its share"
            )
            continue
        one_in = campaign.capacity // totals[tier.name]
        found.append(
            f"no {tier.name} in this run: the plan has {totals[tier.name]:,} {tier.name} in"
            f" {campaign.capacity:,} codes (one in {one_in:,}), so a run of {count:,} holds"
            f" {count / one_in:.2g} on average; plan it as a rate (e.g. {tier.name}:1/{max(1, min(one_in, count)):,})"
            " or give the campaign a smaller --capacity"
        )
    return found


def mint_to_files(
    cipher: CampaignCipher,
    out_csv: Path,
    count: int,
    start: int | None = None,
    png_dir: Path | None = None,
    pdf: Path | None = None,
    force: bool = False,
    with_tiers: bool = False,
) -> tuple[Campaign, MintReport]:
    """Mint `count` codes of the cipher's campaign from `start` (default: the next unissued
    serial) into the files asked; the cipher must hold the plan (the issuer's or the server's).

    Returns the campaign with its issued count moved on (the caller saves it) and a report.
    No file is replaced unless `force`. `with_tiers` adds each code's tier to the CSV, which
    then tells the prizes apart and is for the brand's records, never the printer.
    """
    began = time.perf_counter()
    campaign = cipher.campaign
    start = campaign.issued if start is None else start
    check_range(campaign, start, count)
    check_outputs(out_csv, pdf, png_dir, force)
    names = [t.name for t in campaign.tiers]
    per_tier = np.zeros(len(names), dtype=np.int64)
    if png_dir is not None:
        png_dir.mkdir(parents=True, exist_ok=True)
    tmp_csv = out_csv.with_name(f".{out_csv.name}.part")
    tmp_pdf = pdf.with_name(f".{pdf.name}.part") if pdf else None
    sheet = SheetWriter(tmp_pdf, f"{campaign.id}") if tmp_pdf else None
    try:
        with open(tmp_csv, "wb") as csv_out:
            csv_out.write(CSV_HEADER_WITH_TIERS if with_tiers else CSV_HEADER)
            for chunk in mint_chunks(cipher, start, count):
                csv_out.write(csv_rows(chunk, names if with_tiers else None))
                per_tier += np.bincount(chunk.tiers, minlength=len(names))
                if png_dir is not None or sheet is not None:
                    _pictures(chunk, png_dir, sheet)
            _sync(csv_out)
        if sheet is not None:
            sheet.close()
            os.replace(tmp_pdf, pdf)  # type: ignore[arg-type]
        os.replace(tmp_csv, out_csv)
    except BaseException:
        tmp_csv.unlink(missing_ok=True)
        if tmp_pdf is not None:
            tmp_pdf.unlink(missing_ok=True)
        raise
    updated = replace(campaign, issued=max(campaign.issued, start + count))
    report = MintReport(
        campaign=campaign.id,
        start=start,
        count=count,
        csv=str(out_csv),
        png_dir=str(png_dir) if png_dir else None,
        pdf=str(pdf) if pdf else None,
        seconds=round(time.perf_counter() - began, 3),
        reprinted=max(0, min(campaign.issued, start + count) - start),
        with_tiers=with_tiers,
        issued=updated.issued,
        tiers={n: int(c) for n, c in zip(names, per_tier, strict=True)},
    )
    report.warnings = tier_warnings(campaign, count, report.tiers)
    return updated, report


def mint_campaign_file(
    path: Path,
    out_csv: Path,
    count: int,
    start: int | None = None,
    png_dir: Path | None = None,
    pdf: Path | None = None,
    force: bool = False,
    with_tiers: bool = False,
) -> MintReport:
    """Mint from a campaign file and record the new issued count in it.

    A campaign registered on a server counts its codes there, and only there: two counters
    would hand the same serials to two print runs.
    """
    campaign = campaign_file.load(path)
    if campaign.registered_with:
        raise InstoreError(
            "registered",
            f"campaign {campaign.id} is registered on the server database"
            f" {campaign.registered_with}, which counts its codes; mint with: instore admin --db"
            f" {campaign.registered_with} codes mint {campaign.id} --count {count} --out {out_csv}",
        )
    cipher = CampaignCipher.issuer(campaign)
    updated, report = mint_to_files(cipher, out_csv, count, start, png_dir, pdf, force, with_tiers)
    campaign_file.save(updated, path)
    return report


def _pictures(chunk: MintedChunk, png_dir: Path | None, sheet: SheetWriter | None) -> None:
    for serial, code in zip(chunk.serials.tolist(), chunk.codes(), strict=True):
        if png_dir is not None:
            qr.write_png(code, png_dir / f"{code}.png")
        if sheet is not None:
            sheet.add(code, note=f"serial {serial}")


def _sync(f: BinaryIO) -> None:
    f.flush()
    os.fsync(f.fileno())
