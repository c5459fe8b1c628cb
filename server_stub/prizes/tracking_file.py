"""Reading the shipping partner's tracking file: a CSV whose first line names the columns `claim`,
`carrier`, `tracking` and `delivered_on`, in any order, beside any others (the dispatch export's
own columns come back with it and are ignored).

Whatever is wrong with the file as a whole (too large, too many rows, not text, no such header)
refuses it whole, before any claim moves, in words that say what to do. What is wrong with one row
is for `dispatch` to say, by its line. The file is read as a spreadsheet saves it: UTF-8 with or
without a byte-order mark (or UTF-16 with one, Excel's "Unicode text"), lines ending in LF, CR LF
or CR, cells separated by commas, semicolons (Excel where a comma is the decimal mark) or tabs,
whichever the header line uses.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from server_stub.errors import ApiError
from server_stub.records.csv_cells import FORMULA

COLUMNS = ("claim", "carrier", "tracking", "delivered_on")
MAX_BYTES = 2 * 1024 * 1024  # 10,000 rows of the export with their addresses fit
MAX_ROWS = 5_000  # a day's parcels, many times over; an upload of that many takes ~30 s here
DELIMITERS = (",", ";", "\t")
_XLSX = b"PK\x03\x04"  # a zip: a workbook, not its CSV
_UTF16 = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class TrackingRow:
    """One row as the partner wrote it: its line as a spreadsheet numbers its rows (the header
    is 1; an address of two lines is one row) and its four cells, trimmed, a formula guard's
    quote taken off."""

    line: int
    claim: str
    carrier: str
    tracking: str
    delivered_on: str


def read_tracking(data: bytes) -> list[TrackingRow]:
    """The file's rows, blank ones left out; 413 `too_large` or 422 `bad_tracking_file` for a
    file refused whole."""
    if len(data) > MAX_BYTES:
        raise ApiError(
            413, "too_large",
            f"The file is over {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files.",
        )  # fmt: skip
    text = _text(data)
    if not text.strip():
        raise _bad(f"The file is empty: its first line must name the columns {_named()}.")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[TrackingRow] = []
    where: dict[str, int] | None = None
    line = 0
    try:
        for line, cells in enumerate(reader, start=1):
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue  # a blank line
            if where is None:
                where = _columns(cells)
                continue
            if len(rows) == MAX_ROWS:
                raise _bad(f"The file holds more than {MAX_ROWS:,} rows: split it.")
            rows.append(_row(line, cells, where))
    except csv.Error as exc:  # a cell past csv's field limit (128 KB): no tracking file's
        raise _bad(f"Line {line + 1}: not a CSV line ({exc}).") from None
    if not rows:
        raise _bad("The file holds no rows, only its header: most likely the wrong file.")
    return rows


def _text(data: bytes) -> str:
    if data.startswith(_XLSX):
        raise _bad(
            "This is a spreadsheet workbook, not a CSV file: save it as 'CSV UTF-8' (in Excel:"
            " File, Save As, CSV UTF-8) and send that."
        )
    try:
        text = data.decode("utf-16") if data.startswith(_UTF16) else data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _bad(
            f"Line {line} is not UTF-8 text: save the file as 'CSV UTF-8' (in Excel: File, Save"
            " As, CSV UTF-8) and send it again."
        ) from None
    if "\x00" in text:  # csv would read it as text; no spreadsheet writes one into a CSV
        line = text[: text.index("\x00")].count("\n") + 1
        raise _bad(f"Line {line} holds a NUL byte: this is not a CSV text file.")
    return text


def _header_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def _names(line: str, delimiter: str) -> list[str]:
    try:
        cells = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error as exc:  # a cell past csv's field limit (128 KB): no header's
        raise _bad(f"The first line is not a CSV line ({exc}).") from None
    return [_unguarded(cell.strip()).lower().replace(" ", "_").replace("-", "_") for cell in cells]


def _delimiter(text: str) -> str:
    """The separator whose cells in the first line name every column; else the file is refused,
    saying which columns it lacks."""
    line = _header_line(text)
    for delimiter in DELIMITERS:
        if set(COLUMNS) <= set(_names(line, delimiter)):
            return delimiter
    found = max((_names(line, d) for d in DELIMITERS), key=len)
    missing = [c for c in COLUMNS if c not in found]
    raise _bad(
        f"The first line must name the columns {_named()} (in any order; other columns are"
        f" left alone). It names {', '.join(repr(n[:40]) for n in found[:12]) or 'nothing'},"
        f" without {', '.join(missing)}."
    )


def _columns(cells: list[str]) -> dict[str, int]:
    names = [_unguarded(c).lower().replace(" ", "_").replace("-", "_") for c in cells]
    twice = [c for c in COLUMNS if names.count(c) > 1]
    if twice:
        raise _bad(f"The first line names the column {twice[0]!r} twice: which one counts?")
    return {c: names.index(c) for c in COLUMNS}


def _row(line: int, cells: list[str], where: dict[str, int]) -> TrackingRow:
    def cell(column: str) -> str:
        at = where[column]
        return _unguarded(cells[at]) if at < len(cells) else ""

    return TrackingRow(line, cell("claim"), cell("carrier"), cell("tracking"), cell("delivered_on"))


def _unguarded(cell: str) -> str:
    """The cell without the quote a formula guard (ours, `csv_cells.guarded`, or a partner's)
    put before its first character, so a file exported and sent back reads as it was."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA else cell


def _named() -> str:
    return ", ".join(COLUMNS[:-1]) + f" and {COLUMNS[-1]}"


def _bad(message: str) -> ApiError:
    return ApiError(422, "bad_tracking_file", message)
