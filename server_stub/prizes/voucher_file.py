"""Reading a partner's voucher file: a CSV with one column headed `voucher`, one voucher a line.

The whole file is checked before anything is loaded, so a bad line leaves the pool as it was and
the message names the line to fix.
"""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path
from typing import TextIO

from server_stub.errors import ApiError

HEADER = "voucher"
MAX_LENGTH = 128  # the vouchers table's column


def read_vouchers(path: Path) -> list[str]:
    """Every voucher of the file in order, surrounding spaces and blank lines dropped (a voucher
    written twice comes twice: the pool skips the second)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            return _read(f, path)
    except UnicodeDecodeError as exc:
        raise _bad(f"{path} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None


def _read(f: TextIO, path: Path) -> list[str]:
    reader = csv.reader(f)
    found: list[str] = []
    header = False
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue  # a blank line
            if not header:
                if cells[0].lower() != HEADER or any(cells[1:]):
                    raise _bad(
                        f"{path}, line {reader.line_num}: the first line must be the header"
                        f" '{HEADER}' (one column), not {','.join(row)[:60]!r}"
                    )
                header = True
                continue
            found.append(_checked(cells, f"{path}, line {reader.line_num}"))
    except csv.Error as exc:  # a NUL byte, a quote never closed
        raise _bad(f"{path}, line {reader.line_num}: not a CSV line ({exc})") from None
    if not header:
        raise _bad(f"{path} is empty: write the header '{HEADER}', then one voucher a line")
    if not found:  # a pool of nothing is a mistake, most likely the wrong file
        raise _bad(f"{path} holds no vouchers, only its header")
    return found


def _checked(cells: list[str], where: str) -> str:
    voucher = cells[0]
    if not voucher or any(cells[1:]):
        raise _bad(f"{where}: one voucher a line, in one column (this line has more)")
    if len(voucher) > MAX_LENGTH:
        raise _bad(
            f"{where}: a voucher is at most {MAX_LENGTH} characters; this one has {len(voucher)}"
        )
    for char in voucher:
        # control and invisible characters: a shopper could not type or read the voucher
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise _bad(
                f"{where}: the voucher holds a control or invisible character (U+{ord(char):04X})"
            )
    return voucher


def _bad(message: str) -> ApiError:
    return ApiError(422, "bad_voucher_file", message)
