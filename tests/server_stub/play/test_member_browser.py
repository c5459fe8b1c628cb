"""The member's page in a real browser at phone size (Debian's chromium, driven by Playwright),
in each of the four languages: a phone number, its one-time password from the SMS, then the
member's points, what expires when, the history and the prizes; in Kazakh a new phone joins
first. English runs with JavaScript off.

Each step is photographed into the test's tmp dir and checked as the play room's pages are:
the language, the kiosk's fonts, no sideways scrolling, thumb-sized targets, readable contrast,
nothing fetched from another host.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from server_stub.phones.otp import normalise_phone
from server_stub.play import i18n
from tests.server_stub.play.member_world import ASHA, NEW, coalition, history_of
from tests.server_stub.play.shopper import last_password, server_for, sms_folder
from tests.server_stub.play.test_play_browser import CHROMIUM, PHONE_SIZE, _looks_right
from tests.world import World

# each language's member as they would type the number; Kazakh's is new and joins first
PHONES = {"en": ASHA, "hi": "98123 45678", "ru": "+7 916 123-45-67", "kk": NEW}

pytestmark = pytest.mark.parametrize("server_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _words_shown(page: Page, lang: str, *keys: str) -> None:
    shown = page.locator("body").inner_text()
    for key in keys:
        words = i18n.catalogue(lang)[key]
        assert lang == "en" or words != i18n.catalogue("en")[key], key
        assert words in shown, (key, words, shown[:600])


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_a_member_signs_in_and_reads_their_points_at_phone_size(
    world: World, browser: Browser, tmp_path: Path, lang: str
) -> None:
    made = coalition(world)
    number = normalise_phone(PHONES[lang], {"ru": "RU", "kk": "KZ"}.get(lang, "IN"))
    if lang in ("hi", "ru"):
        history_of(world, number, lang, made.now)
    shots = tmp_path / "shots"
    shots.mkdir()
    with server_for(world) as site:
        context = browser.new_context(
            viewport=PHONE_SIZE, device_scale_factor=2, is_mobile=True, has_touch=True,
            java_script_enabled=lang != "en",
        )  # fmt: skip
        page = context.new_page()
        requested: list[str] = []
        problems: list[str] = []
        context.on("request", lambda r: requested.append(r.url))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)  # fmt: skip

        def shot(step: str, *keys: str) -> None:
            _looks_right(page, lang, ())
            _words_shown(page, lang, *keys)
            page.screenshot(path=str(shots / f"{lang}-{step}.png"), full_page=True)

        def press(key: str) -> None:
            with page.expect_navigation():
                page.get_by_role("button", name=i18n.say(lang, key)).click()

        page.goto(f"{site}/member/?lang={lang}")
        shot("phone", "member.intro", "phone.label", "phone.send")
        page.fill("input[name=phone]", PHONES[lang])
        press("phone.send")
        page.fill("input[name=otp]", last_password(sms_folder(world), number))
        press("otp.confirm")
        if lang == "kk":
            shot("join", "member.join_lang", "member.join")
            page.select_option("select[name=lang]", "kk")
            press("member.join")
            shot("joined", "member.title", "member.none_yet", "member.prizes")
        else:
            assert page.locator(".available strong").inner_text() == "420"
            shot("points", "member.title", "member.expiry", "member.history", "member.prizes")
            for line in page.locator(".dated.expiring li").all_inner_texts():
                # the day and month never break apart (spaces that do not break)
                assert re.search(r"\d{1,2}\xa0\w+", line), line
            assert len(page.locator(".moves li").all()) == 7
        assert "7777" not in page.locator("body").inner_text()  # Boris's, never here
        press("codes.leave")
        _words_shown(page, lang, "member.signed_out")
        context.close()
    assert not [u for u in requested if not u.startswith(site + "/")]
    assert not problems, problems
