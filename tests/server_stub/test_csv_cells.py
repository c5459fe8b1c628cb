"""Report CSVs: no cell runs as a formula in a spreadsheet, wherever the formula hides in it and
whichever separator the spreadsheet splits the cell on again."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from server_stub.records import reports
from server_stub.records.csv_cells import FORMULA, guarded

SPLIT_ON = (",", ";", "\t", "\r", "\n")
# mostly the characters that matter, so hypothesis finds their combinations
TEXT = st.text(alphabet=st.sampled_from("=+-@\t\r\n,;\" 'aZ1(é"), max_size=30) | st.text(
    max_size=30
)


def _runs_as_formula(cell: object) -> bool:
    """Whether a spreadsheet might run some part of this cell: any part it may split off,
    trimmed of spaces and double quotes, that starts with a formula character."""
    text = str(cell)
    return any(
        part.lstrip(' "')[:1] in FORMULA and part.lstrip(' "') != ""
        for sep in SPLIT_ON
        for part in text.split(sep)
    )


@given(TEXT)
def test_no_guarded_cell_runs_as_a_formula_however_it_is_split(text: str) -> None:
    cell = guarded(text)
    assert not _runs_as_formula(cell), repr(cell)
    assert cell.replace("'", "") == text.replace("'", "")  # only quotes are added


@given(st.lists(st.dictionaries(TEXT, TEXT | st.integers(), min_size=1, max_size=4), max_size=4))
def test_every_cell_of_a_written_report_header_and_rows_is_guarded(
    rows: list[dict[str, object]],
) -> None:
    rows = [dict(rows[0]) for _ in rows] if rows else []  # one header for all rows
    header, body = reports.to_csv_rows({"rows": rows})
    out = io.StringIO()
    csv.writer(out).writerows([header, *body])
    for line in csv.reader(io.StringIO(out.getvalue(), newline="")):
        for cell in line:
            assert not _runs_as_formula(cell) or cell.lstrip("-").isdigit(), repr(cell)


def test_the_holes_an_attacker_tried() -> None:
    assert guarded('North;=HYPERLINK("http://x")') == 'North;\'=HYPERLINK("http://x")'
    assert guarded("a, =1+1") == "a, '=1+1"
    assert guarded("\t=cmd") == "'\t'=cmd"
    assert guarded('x;"@SUM(A1)') == "x;\"'@SUM(A1)"
    assert guarded("-5") == "'-5" and guarded(-5) == -5  # a number stays a number
    assert guarded("Till 1") == "Till 1"
