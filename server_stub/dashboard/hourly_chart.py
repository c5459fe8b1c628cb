"""The overview's chart of redemptions by hour, laid out for the page: bars on a round scale, the
scale's numbers, the hours of the day and the days named under them, and the axes' names.

Everything a reader needs is text in the SVG (numbers, hours, days, "redemptions per hour",
"hour of day (UTC)") and in the figure's caption, not only shapes. The page's CSP allows no
inline style, so positions are the SVG's own coordinates: a fixed 1000-wide view box that keeps
its aspect ratio, so the words are never stretched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

WIDTH, HEIGHT = 1000, 270  # the view box
LEFT, RIGHT, TOP, BOTTOM = 80, 975, 12, 192  # the plot's edges inside it
HOUR_EVERY = 6  # an hour of the day is named every 6 hours: 00, 06, 12, 18
Y_LABEL = "Redemptions per hour"
X_LABEL = "Hour of day (UTC), over the last 7 days"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str  # "Tue 1 Dec 14:00 UTC: 3 redemptions", shown on hover and read aloud


@dataclass(frozen=True)
class Tick:
    at: float  # x for the hours and days, y for the scale
    label: str


@dataclass(frozen=True)
class HourlyChart:
    top: int  # the scale's highest number, round
    bars: tuple[Bar, ...]
    scale: tuple[Tick, ...]  # 0 up to top
    hours: tuple[Tick, ...]  # 00, 06, 12, 18 under their hour
    days: tuple[Tick, ...]  # each day's name under the middle of its hours on the chart
    busiest: str  # in words, for the caption
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    plot_top: int = TOP
    bottom: int = BOTTOM
    y_label: str = Y_LABEL
    x_label: str = X_LABEL


def round_scale(most: int) -> tuple[int, int]:
    """The scale's top and step: the busiest hour rounded up on steps of 1, 2 or 5 times a power
    of ten, in at most five steps (7 -> 0, 2, 4, 6, 8)."""
    if most <= 0:
        return 1, 1
    power = 10 ** max(0, math.floor(math.log10(most)) - 1)
    step = next(s * power for s in (1, 2, 5, 10, 20, 50) if most / (s * power) <= 5)
    return math.ceil(most / step) * step, step


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}"  # "Tue 1 Dec": no zero, no locale


def chart(hourly: list[dict[str, Any]]) -> HourlyChart:
    """The chart of `overview()["hourly"]`: one bar an hour, oldest first."""
    hours = [datetime.fromisoformat(h["hour"]) for h in hourly]
    counts = [int(h["redemptions"]) for h in hourly]
    top, step = round_scale(max(counts, default=0))
    slot = (RIGHT - LEFT) / max(1, len(hourly))
    tall = BOTTOM - TOP
    bars = tuple(
        Bar(
            x=round(LEFT + i * slot + slot * 0.1, 2),
            y=round(BOTTOM - n / top * tall, 2),
            width=round(slot * 0.8, 2),
            height=round(n / top * tall, 2),
            title=f"{_day(moment)} {moment:%H}:00 UTC: {n} redemption{'' if n == 1 else 's'}",
        )
        for i, (moment, n) in enumerate(zip(hours, counts, strict=True))
    )
    scale = tuple(
        Tick(at=round(BOTTOM - value / top * tall, 2), label=str(value))
        for value in range(0, top + 1, step)
    )
    hour_ticks = tuple(
        Tick(at=round(LEFT + i * slot, 2), label=f"{moment:%H}")
        for i, moment in enumerate(hours)
        if moment.hour % HOUR_EVERY == 0
    )
    days: list[Tick] = []
    for i, moment in enumerate(hours):
        if i == 0 or moment.hour == 0:
            shown = min(24 - moment.hour, len(hours) - i)  # of this day's hours on the chart
            if shown >= HOUR_EVERY * 2:  # a day's end too short to hold its name goes unnamed
                days.append(Tick(at=round(LEFT + (i + shown / 2) * slot, 2), label=_day(moment)))
    most = max(counts, default=0)
    if most:  # the first hour with the most, if several tie
        moment = hours[counts.index(most)]
        said = f"the busiest hour was {_day(moment)} {moment:%H}:00 UTC, with {most}"
    else:
        said = "no redemptions yet"
    return HourlyChart(top, bars, scale, hour_ticks, tuple(days), said)
