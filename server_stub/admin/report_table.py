"""`instore admin report` for people: the report as a table with column headings, stores and
devices by name, money with two decimals and no bare '-' (--json and --csv keep the data as is)."""

from __future__ import annotations

from typing import Any

# columns that hold money: said with two decimals
MONEY = frozenset({"value", "double_redemption_cost", "cost", "budget"})
# a heading where the column's own name would not say it
_HEADINGS = {
    "count": "count",
    "double_redemption_cost": "double redemption cost",
    "rate": "redeemed %",
    "used": "budget used %",
}


def heading(column: str) -> str:
    return _HEADINGS.get(column, column.replace("_", " "))


def cell(column: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if column in MONEY:
        return f"{float(value):,.2f}"
    if column in ("rate", "used"):
        return f"{float(value) * 100:.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def table(headings: list[str], rows: list[list[str]], numeric: list[bool]) -> list[str]:
    """Columns as wide as their widest cell, numbers right-aligned, two spaces between."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headings)]

    def line(cells: list[str]) -> str:
        shown = (
            c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric, strict=True)
        )
        return "  " + "  ".join(shown).rstrip()

    return [line(headings), *(line(r) for r in rows)]


def lines(result: dict[str, Any], names: dict[str, str]) -> list[str]:
    """Every line of a report; `names` by id for the grouping (stores' or devices' names)."""
    by = str(result["by"])
    out = [f"{str(result['report']).capitalize()} by {by}:"]
    rows = result["rows"]
    if not rows:
        out.append("  nothing to report yet")
    else:
        measures = [c for c in rows[0] if c not in ("key", "name")]
        body = []
        for row in rows:
            key = str(row["key"]) or "(none)"
            name = row.get("name") or names.get(key, "")
            first = f"{name} ({key})" if name and name != key else key
            body.append([first, *(cell(c, row.get(c)) for c in measures)])
        out += table([by, *map(heading, measures)], body, [False, *([True] * len(measures))])
    if result.get("report") == "conflicts" and "open" in result:
        out.append(f"  open now: {result['open']:,}")
    budget = result.get("budget") or []
    if budget:
        columns = ["issued", "redeemed", "rate", "cost", "double_redemptions",
                   "double_redemption_cost", "budget", "used"]  # fmt: skip
        body = [[str(b["campaign"]), *(cell(c, b.get(c)) for c in columns)] for b in budget]
        out += ["", "Reward cost against each campaign's budget:"]
        out += table(["campaign", *map(heading, columns)], body, [False, *([True] * len(columns))])
        if any(b.get("budget") is None for b in budget):
            out.append(
                "  (a blank budget: none was set; `admin campaign create --budget` sets one)"
            )
    return out
