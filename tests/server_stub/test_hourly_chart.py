"""The overview's chart of redemptions by hour names its axes and their units in text: the
scale's numbers and "Redemptions per hour" up the side, the hours of the day and the days along
the bottom with "Hour of day (UTC)", and a caption saying what a bar is and the busiest hour."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from server_stub.accounts import users
from server_stub.dashboard import hourly_chart, pages, web
from tests.world import World

# the seven days up to Tue 8 Dec 2026 13:00 UTC, as overview() gives them: 168 hours
START = datetime(2026, 12, 1, 14, tzinfo=UTC)


def _hourly(counts: dict[int, int]) -> list[dict[str, object]]:
    return [
        {"hour": (START + timedelta(hours=i)).isoformat(timespec="minutes"),
         "redemptions": counts.get(i, 0)}
        for i in range(7 * 24)
    ]  # fmt: skip


def test_the_scale_is_round_and_the_bars_stand_on_it() -> None:
    seen = hourly_chart.chart(_hourly({10: 7, 11: 3}))
    assert seen.top == 8 and [t.label for t in seen.scale] == ["0", "2", "4", "6", "8"]
    tallest, third = seen.bars[10], seen.bars[11]
    assert tallest.height == round(7 / 8 * (seen.bottom - seen.plot_top), 2)
    assert tallest.y + tallest.height == seen.bottom and third.height < tallest.height
    assert tallest.title == "Wed 2 Dec 00:00 UTC: 7 redemptions"
    assert seen.busiest == "the busiest hour was Wed 2 Dec 00:00 UTC, with 7"
    assert [hourly_chart.round_scale(n)[0] for n in (1, 3, 12, 99, 150, 1000)] == [
        1, 3, 15, 100, 150, 1000,
    ]  # fmt: skip


def test_the_hours_of_the_day_and_the_days_are_named_along_the_bottom() -> None:
    seen = hourly_chart.chart(_hourly({0: 1}))
    assert [t.label for t in seen.hours[:5]] == ["18", "00", "06", "12", "18"]
    assert all(seen.left <= t.at <= seen.right for t in seen.hours)
    # Tue 1 Dec has 10 of its hours on the chart, too few for its name; Tue 8 Dec has 14
    assert [t.label for t in seen.days] == [
        "Wed 2 Dec", "Thu 3 Dec", "Fri 4 Dec", "Sat 5 Dec", "Sun 6 Dec", "Mon 7 Dec", "Tue 8 Dec",
    ]  # fmt: skip
    midnight = next(t.at for t in seen.hours if t.label == "00")
    assert seen.days[0].at > midnight  # under the middle of its day, right of its midnight


class _Words(HTMLParser):
    """The text of each element with a class inside the chart, and the figure's caption."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.words: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(dict(attrs).get("class") or tag)

    def handle_endtag(self, tag: str) -> None:
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if data.strip() and self.open:
            where = next((c for c in reversed(self.open) if c in {
                "scale", "hours", "days", "axis-name", "figcaption", "title"}), None)  # fmt: skip
            if where:
                self.words.setdefault(where, []).append(data.strip())


def test_the_overview_page_draws_the_chart_with_its_axes_named(world: World) -> None:
    world.setup()
    north = world.device("s1", "Till N")
    for serial in (1, 2, 3):
        north.terminal.redeem(world.code(serial))
    assert north.sync().ok
    users.create_user(world.engine, "ann", "correct horse battery", "admin", [])
    ann = users.sign_in(world.engine, "ann", "correct horse battery")
    html = web.page_html("overview.html", title="Overview", here="", csrf="-", viewer=ann,
                         data=pages.overview(world.engine, ann))  # fmt: skip
    parsed = _Words()
    parsed.feed(html[html.index("<figure") : html.index("</figure>") + 9])
    words = parsed.words
    assert words["axis-name"] == ["Hour of day (UTC), over the last 7 days", "Redemptions per hour"]
    assert words["scale"] == ["0", "1", "2", "3"]
    assert {"00", "06", "12", "18"} <= set(words["hours"]) and len(words["days"]) >= 6
    now = datetime.now(UTC)
    assert f"{now:%a} {now.day} {now:%b}" in words["days"] or now.hour < 11  # today, named
    assert words["title"] == [f"{now:%a} {now.day} {now:%b} {now:%H}:00 UTC: 3 redemptions"]
    caption = " ".join(words["figcaption"])
    assert "on a scale of 0 to 3 redemptions" in caption and "with 3" in caption
    assert re.search(r'aria-label="Redemptions per hour[^"]*hour of day \(UTC\)', html)
