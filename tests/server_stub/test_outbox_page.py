"""The dashboard's Messages page (/dashboard/outbox): counts by state, the dead letters with
their errors, the messages waiting longest and one claim's messages; whole addresses for an
admin, masked for the helpdesk, refused to everyone else; and the page in chromium."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, update

from server_stub.accounts import users
from server_stub.accounts.users import Role, Viewer
from server_stub.dashboard.outbox_pages import outbox_page
from server_stub.database.connection import writing
from server_stub.database.schema import outbox
from server_stub.errors import ApiError
from tests.live import live_server
from tests.server_stub.notifications.outbox_rows import EMAIL, PHONE, queue

ADMIN = Viewer(1, "ann", Role.ADMIN)
HELPDESK = Viewer(2, "hel", Role.HELPDESK)
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "dashboard"
PASSWORD = "correct horse battery"


@pytest.fixture
def messages(engine: Engine) -> Engine:
    """Two SMS and two emails: one of each sent, an email refused for good, an SMS waiting."""
    texts, mails = queue(engine, 2, "sms", at=time.time() - 900), queue(engine, 2, "email", first=2)
    with writing(engine) as conn:
        conn.execute(update(outbox).where(outbox.c.key.in_([texts[1], mails[1]]))
                     .values(state="sent", attempts=1, sent_at=time.time()))  # fmt: skip
        conn.execute(update(outbox).where(outbox.c.key == mails[0]).values(
            state="dead", attempts=1,
            last_error=f"the mail server at mx:25 refused the address (550 {EMAIL} unknown)",
        ))  # fmt: skip
        conn.execute(update(outbox).where(outbox.c.key == texts[0]).values(
            attempts=3, last_error="cannot reach the SMS gateway at sms.example.com",
        ))  # fmt: skip
    return engine


def test_an_admin_sees_counts_dead_letters_and_the_oldest_waiting_with_whole_addresses(
    messages: Engine,
) -> None:
    page = outbox_page(messages, ADMIN, {})
    assert page["counts"] == {
        "pending": {"total": 1, "sms": 1, "email": 0},
        "sent": {"total": 2, "sms": 1, "email": 1},
        "dead": {"total": 1, "sms": 0, "email": 1},
    }
    (dead,) = page["dead"]
    assert dead["to"] == EMAIL and "550" in dead["last_error"] and dead["claim"] == "CL-TEST0002"
    (waiting,) = page["pending"]
    assert waiting["to"] == PHONE and waiting["attempts"] == 3
    assert 890 < page["oldest_pending_s"] < 1000 and page["claim_messages"] == []


def test_the_helpdesk_sees_addresses_masked_even_in_a_mail_servers_words(messages: Engine) -> None:
    page = outbox_page(messages, HELPDESK, {"claim": "cl-test0002"})
    (dead,) = page["dead"]
    assert dead["to"] == "a***@example.com" and EMAIL not in dead["last_error"]
    assert "550 a***@example.com unknown" in dead["last_error"]
    assert page["pending"][0]["to"] == "+********3210"
    assert page["claim"] == "CL-TEST0002"
    assert [m["state"] for m in page["claim_messages"]] == ["dead"]
    assert PHONE not in str(page) and EMAIL not in str(page) and "body" not in str(page)


@pytest.mark.parametrize("role", [r for r in Role if r not in (Role.ADMIN, Role.HELPDESK)])
def test_every_other_role_is_refused(messages: Engine, role: Role) -> None:
    with pytest.raises(ApiError) as refused:
        outbox_page(messages, Viewer(3, "x", role), {})
    assert refused.value.status == 403


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.mark.parametrize("name", ["ann", "hel"])
def test_the_page_in_a_browser_for_an_admin_and_the_helpdesk(
    messages: Engine, browser: Browser, name: str
) -> None:
    users.create_user(messages, name, PASSWORD, "admin" if name == "ann" else "helpdesk", [])
    with live_server(messages) as url:
        page = browser.new_page()
        page.goto(f"{url}/dashboard/login")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{url}/dashboard/outbox?claim=CL-TEST0000")
        text = " ".join(page.locator("main").inner_text().split())
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"outbox-{name}.png"), full_page=True)
        assert "1 waiting" in text and "2 sent" in text and "1 could not be sent" in text
        assert "cannot reach the SMS gateway" in text and "550" in text
        assert (PHONE in text) is (name == "ann") and (EMAIL in text) is (name == "ann")
        assert "Messages" in page.locator("nav").inner_text()
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        data = requests.get(f"{url}/dashboard/outbox?format=json", cookies=cookies, timeout=10)
        assert data.json()["counts"]["dead"]["total"] == 1
        page.close()
