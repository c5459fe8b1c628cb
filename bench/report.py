"""One table for every benchmark: figure, target, verdict, and a ratio to a same-run baseline."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    target: str
    met: bool | None  # None: reported, no target
    ratio: str = ""


def print_table(title: str, baseline: str, rows: list[Row]) -> None:
    print(f"\n{title}\n  baseline: {baseline}")
    width = max(len(r.figure) for r in rows)
    print(f"  {'figure':<{width}}  {'measured':>16}  {'target':>14}  {'':4}  ratio to baseline")
    for r in rows:
        verdict = "" if r.met is None else ("ok" if r.met else "MISS")
        print(
            f"  {r.figure:<{width}}  {r.value:>16}  {r.target:>14}  {verdict:4}  {r.ratio}",
            flush=True,
        )
