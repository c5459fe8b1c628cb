"""Guessing dashboard passwords over HTTP, as an attacker would, and lifting a lock from the
shell: a burst of guesses gets no more than 10 checks, a name nobody has is answered as a real
one, and `instore admin user unlock` lets the owner back in."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from server_stub.accounts import lockout, users
from server_stub.database.connection import migrate, open_engine, writing
from server_stub.limits import counters
from server_stub.limits.throttle import SIGN_IN_ADDRESS
from tests.codes.test_cli import instore
from tests.live import live_server
from tests.world import World

PASSWORD = "correct horse battery"


def _sign_in(url: str, name: str, password: str) -> tuple[int, str]:
    """(status, where it sends the browser) for one sign-in, with its form's CSRF token."""
    browser = requests.Session()
    form = browser.get(f"{url}/dashboard/login", timeout=10).text
    csrf = form.split('name="csrf" value="')[1].split('"')[0]
    answer = browser.post(
        f"{url}/dashboard/login", data={"username": name, "password": password, "csrf": csrf},
        allow_redirects=False, timeout=30,
    )  # fmt: skip
    return answer.status_code, answer.headers.get("location", "")


def test_sixty_guesses_at_once_over_http_get_ten_checks(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the count was read and written back plus one: of 300 guesses 180 were checked."""
    world.setup()
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    checked: list[str] = []
    check, guard = users._verify, threading.Lock()

    def counted(stored: str, password: str) -> bool:
        with guard:
            checked.append(password)
        return check(stored, password)

    monkeypatch.setattr(users, "_verify", counted)
    with live_server(world.engine, world.service) as url, ThreadPoolExecutor(60) as pool:
        answers = list(pool.map(lambda i: _sign_in(url, "ann", f"guess {i}"), range(60)))
    assert len(checked) == users.LOCK_AFTER
    wrong = answers.count((303, "/dashboard/login?error=wrong"))
    locked = answers.count((303, "/dashboard/login?error=locked"))
    held = [a for a in answers if a[0] == 429]  # this address, past its 50 in an hour
    assert wrong == 9 and locked + len(held) == 51 and len(held) <= 60 - SIGN_IN_ADDRESS.most


def test_an_address_past_its_wrong_passwords_is_told_when_to_come_back(world: World) -> None:
    world.setup()
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    with writing(world.engine) as conn:  # 50 names tried from this machine in the last hour
        for _ in range(SIGN_IN_ADDRESS.most):
            counters.take(conn, SIGN_IN_ADDRESS, "127.0.0.1")
    with live_server(world.engine, world.service) as url:
        browser = requests.Session()
        form = browser.get(f"{url}/dashboard/login", timeout=10).text
        csrf = form.split('name="csrf" value="')[1].split('"')[0]
        held = browser.post(f"{url}/dashboard/login", timeout=10, allow_redirects=False,
                            data={"username": "ann", "password": PASSWORD, "csrf": csrf})  # fmt: skip
    assert held.status_code == 429 and 3000 < int(held.headers["retry-after"]) <= 3600
    assert "Too many wrong passwords from this address; try again in 60 min." in held.text
    assert 'name="csrf"' in held.text  # the sign-in form again, for when the hour is up


def test_a_name_nobody_has_is_answered_as_a_real_one_over_http(world: World) -> None:
    """Word for word: the sign-in page says only what its link names (?error=...)."""
    world.setup()
    users.create_user(world.engine, "hel", PASSWORD, "helpdesk")
    said: dict[str, list[tuple[int, str]]] = {"hel": [], "nobody": []}
    with live_server(world.engine, world.service) as url:
        for _ in range(users.LOCK_AFTER + 1):
            for name in said:
                said[name].append(_sign_in(url, name, "not the password"))
        page = requests.get(f"{url}{said['nobody'][-1][1]}", timeout=10).text
    assert said["hel"] == said["nobody"]
    assert said["nobody"][-2:] == [(303, "/dashboard/login?error=locked")] * 2
    assert "locked for 30 minutes after too many wrong passwords" in page


def test_an_admin_unlocks_an_account_from_the_shell(tmp_path: Path) -> None:
    db = tmp_path / "server.db"
    engine = open_engine(str(db))
    migrate(engine)
    users.create_user(engine, "nora", PASSWORD, "admin")
    for _ in range(users.LOCK_AFTER):
        with pytest.raises(users.SignInRefused):
            users.sign_in(engine, "nora", "guess", source="203.0.113.7")
    unlock = ("admin", "--db", str(db), "user", "unlock", "nora", "--by", "ann")
    done = instore(*unlock, "--note", "Nora phoned from the North store", cwd=tmp_path)
    assert done.returncode == 0 and "user nora unlocked" in done.stdout, done.stderr
    assert users.sign_in(engine, "nora", PASSWORD).username == "nora"
    [line] = lockout.audit(engine)
    assert (line["by"], line["note"]) == ("ann", "Nora phoned from the North store")
    again = instore(*unlock, "--note", "again", cwd=tmp_path)
    assert again.returncode == 2 and "user 'nora' is not locked" in again.stderr
    assert "Traceback" not in again.stderr
    engine.dispose()
