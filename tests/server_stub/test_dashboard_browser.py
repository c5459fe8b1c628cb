"""The dashboard in a real browser (Debian's chromium, driven by Playwright): sign in as each
role, open every page, and try what an attacker or a curious store manager would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from server_stub.accounts import lockout, users
from server_stub.accounts.users import Role
from server_stub.catalog import store_setup
from server_stub.dashboard import web
from server_stub.records import conflicts, maker_checker
from tests.live import live_server
from tests.world import World

CHROMIUM = "/usr/bin/chromium"  # Debian's; `make system-deps` installs it, nothing is downloaded
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "dashboard"
PASSWORD = "correct horse battery"
ROLES = {
    "ann": ("admin", []),
    "cam": ("campaign_manager", []),
    "sam": ("store_manager", ["s2"]),
    "hel": ("helpdesk", []),
    "vera": ("verifier", []),
    "abe": ("approver", []),
    "lou": ("logistics", []),
}
OUTSIDER = ("nora", "store_manager", ["s3"])  # runs only the store named <script>


@pytest.fixture
def site(world: World) -> Iterator[tuple[World, str]]:
    world.setup()
    store_setup.create_store(world.engine, "s3", "<script>alert(1)</script>")
    north, south = world.device("s1", "Till N"), world.device("s2", "Till S")
    for serial in (1, 2, 3, 9):
        north.terminal.redeem(world.code(serial), actor="ann")
    south.terminal.redeem(world.code(4))
    south.terminal.redeem(world.code(9), actor="bob")  # the same pack at both: a conflict
    assert north.sync().ok and south.sync().ok
    users.create_user(world.engine, OUTSIDER[0], PASSWORD, OUTSIDER[1], OUTSIDER[2])
    for name, (role, stores) in ROLES.items():
        campaigns = ["ice-2026"] if role == "campaign_manager" else []
        users.create_user(world.engine, name, PASSWORD, role, stores, campaigns)
    with live_server(world.engine, world.service) as url:
        yield world, url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _shot(page: Page, name: str) -> None:
    """A picture of the page for people to look at; chromium under load sometimes refuses one
    capture, so it is asked twice."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for attempt in (1, 2):
        try:
            page.screenshot(path=str(SHOTS / name), full_page=True)
            return
        except PlaywrightError:
            if attempt == 2:
                raise
            page.wait_for_timeout(200)


def _sign_in(page: Page, url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/dashboard/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


@pytest.mark.parametrize("name", list(ROLES))
def test_each_role_signs_in_and_opens_every_page(
    site: tuple[World, str], browser: Browser, name: str
) -> None:
    _, url = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    _sign_in(page, url, name)
    role = Role(ROLES[name][0])
    assert page.url == f"{url}{web.HOME.get(role, '/dashboard/')}"  # the office at its work
    mine = [p for p in web.PAGES if role in web.MENU_ROLES[p]]
    assert page.locator("nav a").all_inner_texts() == [web.PAGES[p][0] for p in mine]
    for path, (title, _, _) in web.PAGES.items():
        if path not in mine:  # the page refuses whoever may not see it, in words
            refused = requests.get(f"{url}/dashboard/{path}?format=json", timeout=5,
                                   cookies={c["name"]: c["value"] for c in page.context.cookies()})  # fmt: skip
            assert refused.status_code == 403 and refused.json()["message"], path
            continue
        page.goto(f"{url}/dashboard/{path}")
        assert page.locator("h1").inner_text().startswith(title)
        if path == "":  # the hourly chart's axes are named in words a reader sees
            expect(page.locator(".hourly .axis-name")).to_have_text(
                ["Hour of day (UTC), over the last 7 days", "Redemptions per hour"]
            )
        _shot(page, f"{name}-{path or 'overview'}.png")
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet, upright
    page.goto(f"{url}/dashboard/")
    _shot(page, f"{name}-overview-tablet.png")
    if role in users.OFFICE:  # no store's numbers for the prize office
        assert not errors
        page.close()
        return
    today = page.goto(f"{url}/dashboard/?format=json")
    assert today is not None
    tiles = today.json()["tiles"]
    assert tiles["redemptions_today"] == (1 if name == "sam" else 5)
    assert tiles["open_conflicts"] == 1
    assert not errors  # no script blocked by the CSP, no failed request
    page.close()


def test_a_store_manager_sees_no_other_store(site: tuple[World, str], browser: Browser) -> None:
    _, url = site
    page = browser.new_page()
    _sign_in(page, url, "sam")
    page.goto(f"{url}/dashboard/devices")
    text = page.locator("main").inner_text()
    assert "Till S" in text and "Till N" not in text and "Store s1" not in text
    answer = page.goto(f"{url}/dashboard/devices?format=json")
    assert answer is not None and [s["id"] for s in answer.json()["stores"]] == ["s2"]
    page.close()


def test_a_store_named_script_shows_as_text(site: tuple[World, str], browser: Browser) -> None:
    _, url = site
    page = browser.new_page()
    dialogs: list[str] = []

    def seen(dialog: Dialog) -> None:  # a script that ran would open one
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    _sign_in(page, url, "ann")
    page.goto(f"{url}/dashboard/devices")
    assert "<script>alert(1)</script>" in page.locator("main").inner_text()
    assert not dialogs
    page.close()


def test_ten_wrong_passwords_lock_the_account(site: tuple[World, str], browser: Browser) -> None:
    _, url = site
    page = browser.new_page()
    for _ in range(users.LOCK_AFTER):
        _sign_in(page, url, "hel", "not the password")
    assert "locked for 30 minutes" in page.locator(".error").inner_text()
    _sign_in(page, url, "hel")  # the right password no longer opens it
    assert page.url.startswith(f"{url}/dashboard/login")
    _shot(page, "login-locked.png")
    page.close()


def test_an_admin_sees_who_is_locked_out_and_unlocks_them(
    site: tuple[World, str], browser: Browser
) -> None:
    world, url = site
    for _ in range(users.LOCK_AFTER):  # as the sign-in form would, from another address
        with pytest.raises(users.SignInRefused):
            users.sign_in(world.engine, "hel", "not the password", source="203.0.113.7")
    page = browser.new_page()
    _sign_in(page, url, "ann")
    page.goto(f"{url}/dashboard/locks")
    lock = page.locator("#lock-hel")
    assert "helpdesk; 10 wrong passwords" in lock.inner_text()
    assert "203.0.113.7" in lock.locator("table").inner_text()  # where the guesses came from
    shown = page.goto(f"{url}/dashboard/locks?format=json")
    assert shown is not None and [a["username"] for a in shown.json()["locked"]] == ["hel"]
    page.goto(f"{url}/dashboard/locks")
    _shot(page, "locks.png")
    page.fill("#lock-hel input[name=note]", "Hel phoned: her cat walked on the keyboard")
    with page.expect_navigation():
        page.get_by_role("button", name="Unlock hel").click()
    assert page.url == f"{url}/dashboard/locks"
    main = page.locator("main").inner_text()
    assert "No account is locked" in main and "her cat walked on the keyboard" in main
    assert [(u["username"], u["by"]) for u in lockout.audit(world.engine)] == [("hel", "ann")]
    page.close()
    owner = browser.new_page()
    _sign_in(owner, url, "hel")
    assert owner.url == f"{url}/dashboard/"
    owner.close()


def test_sign_in_without_its_csrf_token_is_refused(site: tuple[World, str]) -> None:
    _, url = site
    forged = requests.post(
        f"{url}/dashboard/login", data={"username": "ann", "password": PASSWORD},
        allow_redirects=False, timeout=5,
    )  # fmt: skip
    assert forged.status_code == 403 and "instore_session" not in forged.cookies


def test_pages_need_a_session_and_carry_security_headers(site: tuple[World, str]) -> None:
    _, url = site
    answer = requests.get(f"{url}/dashboard/", allow_redirects=False, timeout=5)
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/login"
    assert requests.get(f"{url}/dashboard/?format=json", timeout=5).status_code == 401
    login = requests.get(f"{url}/dashboard/login", timeout=5)
    csp = login.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and login.headers["x-content-type-options"] == "nosniff"
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_a_conflict_is_resolved_by_two_people(site: tuple[World, str], browser: Browser) -> None:
    world, url = site
    maker = browser.new_page()
    _sign_in(maker, url, "hel")
    maker.goto(f"{url}/dashboard/conflicts")
    assert "ann" in maker.locator(".conflict").inner_text()  # both cashiers named
    maker.select_option("select[name=action]", "void_winner")
    maker.fill("input[name=note]", "the North till was on a training receipt")
    with maker.expect_navigation():
        maker.get_by_role("button", name="Propose").click()
    assert "awaiting a second person" in maker.locator(".conflict").inner_text()
    assert (
        maker.get_by_role("button", name="Approve: void winner").count() == 0
    )  # helpdesk proposes, never approves
    _shot(maker, "conflicts-proposed.png")
    checker = browser.new_page()
    _sign_in(checker, url, "ann")
    checker.goto(f"{url}/dashboard/conflicts")
    _shot(checker, "conflicts-to-approve.png")
    with checker.expect_navigation():
        checker.get_by_role("button", name="Approve: void winner").click()
    assert "No open conflicts" in checker.locator("main").inner_text()
    done = conflicts.list_conflicts(world.engine, state="resolved")[0]
    assert done["resolution"]["by"] == "hel (proposed), ann (approved)"
    maker.close()
    checker.close()


def test_forms_need_their_csrf_token_and_the_right_store(
    site: tuple[World, str], browser: Browser
) -> None:
    world, url = site
    conflict = conflicts.list_conflicts(world.engine)[0]["id"]
    page = browser.new_page()
    _sign_in(page, url, "nora")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    page.goto(f"{url}/dashboard/conflicts")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    post = f"{url}/dashboard/conflicts/{conflict}/propose"
    no_token = requests.post(post, data={"action": "recover", "note": "x"}, cookies=cookies,
                             allow_redirects=False, timeout=5)  # fmt: skip
    assert no_token.status_code == 403
    other_store = requests.post(post, data={"action": "recover", "note": "x", "csrf": csrf},
                                cookies=cookies, allow_redirects=False, timeout=5)  # fmt: skip
    assert other_store.status_code == 404  # nora runs s3: the conflict is s1's and s2's
    assert (
        maker_checker.visible_conflicts(world.engine, users.sign_in(world.engine, "ann", PASSWORD))[
            0
        ]["pending"]
        is None
    )
    page.close()


def test_the_helpdesk_looks_up_a_code_read_out_over_the_phone(
    site: tuple[World, str], browser: Browser
) -> None:
    world, url = site
    page = browser.new_page()
    _sign_in(page, url, "hel")
    page.goto(f"{url}/dashboard/lookup")
    page.fill("input[name=q]", world.code(9).lower().replace("-", " "))
    with page.expect_navigation():
        page.get_by_role("button", name="Look up").click()
    text = page.locator("main").inner_text()
    assert "Redeemed at s1 by Till N" in text and "bob" in text and "#1" in text
    _shot(page, "lookup-code.png")
    page.close()


def test_a_report_downloads_as_csv_that_reads_back(
    site: tuple[World, str], browser: Browser
) -> None:
    import csv
    import io

    _, url = site
    page = browser.new_page(accept_downloads=True)
    _sign_in(page, url, "cam")
    page.goto(f"{url}/dashboard/reports?what=redemptions&by=store")
    _shot(page, "reports-by-store.png")
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download CSV").click()
    download = waiting.value
    assert download.suggested_filename == "redemptions-by-store.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    # the later side of the double redemption is no second redemption: it is counted beside
    counted = {r["store"]: (int(r["count"]), int(r["double_redemptions"])) for r in rows}
    assert counted == {"s1": (4, 0), "s2": (1, 1)}
    page.close()


def _dashboard_spec() -> dict[str, object]:
    """The dashboard's JSON pages and forms, described for schemathesis (the app's own spec is
    the device API's)."""
    text = {"type": "string"}
    query = [{"name": n, "in": "query", "schema": text} for n in ("format", "q", "what", "by",
             "since", "until", "campaign", "tier", "state", "after")]  # fmt: skip
    form = {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "properties": {n: text for n in ("csrf", "action", "note", "decision",
                                                           "username", "password", "reason",
                                                           "claim")}}}}}}  # fmt: skip
    ident = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    answer = {"responses": {"default": {"description": "a page, JSON or a redirect"}}}
    paths: dict[str, object] = {
        f"/dashboard/{p}": {"get": {"parameters": query, **answer}}
        for p in ("", "devices", "conflicts", "lookup", "reports", "reports.csv", "locks",
                  "claims")
    }  # fmt: skip
    number = [{"name": "number", "in": "path", "required": True, "schema": text}]
    paths["/dashboard/claims/{number}"] = {"get": {"parameters": [*query, *number], **answer}}
    paths["/dashboard/claims/{number}/decision"] = {
        "post": {"parameters": number, **form, **answer}
    }
    paths["/dashboard/claims/bulk"] = {"post": {**form, **answer}}
    paths["/dashboard/login"] = {"post": {**form, **answer}}
    paths["/dashboard/conflicts/{id}/propose"] = {"post": {"parameters": ident, **form, **answer}}
    paths["/dashboard/proposals/{id}/decide"] = {"post": {"parameters": ident, **form, **answer}}
    paths["/dashboard/locks/unlock"] = {"post": {**form, **answer}}
    return {"openapi": "3.0.3", "info": {"title": "dashboard", "version": "1"}, "paths": paths}


def test_no_dashboard_request_makes_a_server_error(site: tuple[World, str]) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    _, url = site
    signed = requests.Session()
    form = signed.get(f"{url}/dashboard/login", timeout=5).text
    csrf = form.split('name="csrf" value="')[1].split('"')[0]
    signed.post(f"{url}/dashboard/login", data={"username": "hel", "password": PASSWORD,
                                                "csrf": csrf}, timeout=10)  # fmt: skip
    cookie = f"instore_session={signed.cookies['instore_session']}"
    schema = schemathesis.openapi.from_dict(_dashboard_spec())
    checked = 0
    for found in schema.get_all_operations():
        operation = found.ok()  # type: ignore[union-attr]

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        def call(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            answer = case.call(base_url=url, headers={"Cookie": cookie}, timeout=10,
                               allow_redirects=False)  # fmt: skip
            assert answer.status_code < 500, (case.path, answer.status_code, answer.text[:300])

        call()
        checked += 1
    assert checked == 15


def test_tiles_refresh_by_themselves_and_sign_out_ends_the_session(
    site: tuple[World, str], browser: Browser
) -> None:
    world, url = site
    page = browser.new_page()
    _sign_in(page, url, "ann")
    tile = page.locator("[data-tile=redemptions_today]")
    assert tile.inner_text() == "5"
    till = world.device("s1", "Till N2")
    till.terminal.redeem(world.code(20))
    assert till.sync().ok
    # no reload: the page's script fetches the numbers every 10 s (a string evaluated in the
    # page would be refused by its CSP, so the locator is polled instead)
    expect(tile).to_have_text("6", timeout=15_000)
    old = {c["name"]: c["value"] for c in page.context.cookies()}
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert page.url == f"{url}/dashboard/login"
    # the session is gone at the server, not only the cookie in this browser
    replayed = requests.get(f"{url}/dashboard/?format=json", cookies=old, timeout=5)
    assert replayed.status_code == 401
    page.close()
