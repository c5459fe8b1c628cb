"""CSV cells a spreadsheet shows as text, never runs as a formula.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and some strip a leading tab
or CR first), and an import may split a cell again on `,`, `;`, tab or a line break, so
`North;=HYPERLINK(...)` is two cells there, the second a formula. A store, a cashier or a
member id is text anyone at a till can type, so every text cell is guarded: a `'` goes before
each such character at the start of the cell or of any part an import might split off
(spaces and double quotes before it skipped, as an import may trim them). Nothing else
changes: the text minus the added quotes is the text given. Numbers stay numbers.
"""

from __future__ import annotations

from typing import Any

FORMULA = frozenset("=+-@\t\r")
SEPARATORS = frozenset(",;\t\r\n")
_SKIPPED = frozenset(' "')  # what an import may trim before the first character


def guarded(value: Any) -> Any:
    """`value` as a CSV cell: text with a `'` before every character that would start a
    formula; anything else as it is."""
    if not isinstance(value, str):
        return value
    out: list[str] = []
    at_start = True  # of the cell, or of a part an import may split off
    for ch in value:
        if at_start and ch in FORMULA:
            out.append("'")
        out.append(ch)
        if ch in SEPARATORS:
            at_start = True
        elif ch not in _SKIPPED:
            at_start = False
    return "".join(out)
