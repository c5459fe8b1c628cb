"""The dispatch page in Chromium, as logistics works it: the file to ship downloaded by its link,
filled in as the shipping partner would, uploaded through the page's form, the answer read.
Screenshots go to tests/artifacts/dispatch/ for people to look at."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from server_stub.accounts import users
from tests.live import live_server
from tests.server_stub.prizes.test_dispatch import CAMPAIGN, claim_maker, state
from tests.server_stub.test_dashboard_browser import PASSWORD, _sign_in, browser

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "dispatch"
__all__ = ["browser"]  # the module's chromium, shared with the dashboard's browser tests


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    make = claim_maker(engine, tmp_path)
    numbers = [make(name='=HYPERLINK("http://evil.example")'), make(name="अनीता शर्मा"), make()]
    make("dispatched"), make("delivered"), make("approved", campaign="lollies-2026")
    users.create_user(engine, "lou", PASSWORD, "logistics")
    with live_server(engine) as url:
        yield url, numbers


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_logistics_ships_from_the_page(
    site: tuple[str, list[str]], browser: Browser, engine: Engine, tmp_path: Path
) -> None:
    url, (evil, hindi, waiting) = site
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    _sign_in(page, url, "lou")
    page.goto(f"{url}/dashboard/dispatch")
    expect(page.locator("#campaigns")).to_contain_text("Download to ship (3)")
    _shot(page, "dispatch.png")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download to ship (3)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith(f"dispatch-{CAMPAIGN}-to-ship-")
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"), newline="")))
    assert [r["name"] for r in rows] == ["'=HYPERLINK(\"http://evil.example\")", "अनीता शर्मा",
                                         "A. Shopper"]  # fmt: skip
    today = page.evaluate("new Date().toISOString().slice(0, 10)")
    for row in rows:  # the partner ships two and delivers one the same day; one row is mistyped
        if row["claim"] == evil:
            row.update(carrier="India Post", tracking="EE123456789IN", delivered_on=today)
        elif row["claim"] == hindi:
            row.update(carrier="Blue Dart", tracking="", delivered_on="")
    back = tmp_path / "from-partner.csv"
    with back.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    page.set_input_files("input[name=csv]", str(back))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-result")).to_contain_text("1 claim dispatched, 1 delivered")
    bad = page.locator("#bad-rows tr", has_text=hindi)  # line 3, as the spreadsheet shows it
    expect(bad.locator("td")).to_have_text(["3", hindi, "carrier without a tracking number"])
    _shot(page, "dispatch-imported.png")
    assert state(engine, evil)[0] == "delivered" and state(engine, hindi)[0] == "approved"
    assert state(engine, waiting)[0] == "approved"
    page.set_input_files("input[name=csv]", str(back))  # again: nothing changes, and it says so
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-result")).to_contain_text("Nothing changed; 1 row already")
    _shot(page, "dispatch-again.png")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("AWB,Courier\nEE1IN,India Post\n")
    page.set_input_files("input[name=csv]", str(wrong))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("p.error")).to_contain_text("Nothing was imported. The first line must")
    _shot(page, "dispatch-refused.png")
