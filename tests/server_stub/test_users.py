"""Dashboard users: roles and scopes, argon2 passwords, the lockout and its lifting, sessions."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from sqlalchemy import Engine, text

from server_stub.accounts import lockout, sessions, users
from server_stub.database.connection import _alembic_config, migrate, open_engine
from server_stub.errors import ApiError
from tests.world import World

PASSWORD = "correct horse battery"


def test_a_store_manager_sees_only_their_stores(world: World) -> None:
    world.setup()
    users.create_user(world.engine, "sam", PASSWORD, "store_manager", ["s1"])
    sam = users.sign_in(world.engine, "sam", PASSWORD)
    assert sam.role is users.Role.STORE_MANAGER and sam.stores == {"s1"}
    assert sam.may_see_store("s1") and not sam.may_see_store("s2")
    assert not sam.may_approve


def test_a_user_needs_what_their_role_needs(world: World) -> None:
    world.setup()
    with pytest.raises(ApiError, match="at least one --store"):
        users.create_user(world.engine, "sam", PASSWORD, "store_manager")
    with pytest.raises(ApiError, match="no store 'nowhere'"):
        users.create_user(world.engine, "sam", PASSWORD, "store_manager", ["nowhere"])
    with pytest.raises(ApiError, match="at least 10"):
        users.create_user(world.engine, "sam", "short", "admin")
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    with pytest.raises(ApiError, match="already a user"):
        users.create_user(world.engine, "ann", PASSWORD, "helpdesk")


def test_ten_wrong_passwords_lock_the_account_for_30_minutes(world: World) -> None:
    world.setup()
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    now = time.time()
    for _ in range(users.LOCK_AFTER - 1):
        with pytest.raises(users.SignInRefused, match="wrong password"):
            users.sign_in(world.engine, "ann", "guess", now)
    with pytest.raises(users.SignInRefused, match="locked now"):
        users.sign_in(world.engine, "ann", "guess", now)
    with pytest.raises(users.SignInRefused, match="locked"):  # even the right password
        users.sign_in(world.engine, "ann", PASSWORD, now + 60)
    assert users.sign_in(world.engine, "ann", PASSWORD, now + users.LOCK_S + 1).username == "ann"


def test_the_password_is_kept_as_argon2id_and_checked_in_about_50_ms(world: World) -> None:
    world.setup()
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    from server_stub.database.schema import users as table

    with world.engine.connect() as conn:
        stored = conn.execute(table.select()).one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    started = time.perf_counter()
    users.sign_in(world.engine, "ann", PASSWORD)
    assert time.perf_counter() - started < 0.5


def test_sessions_end_when_idle_disabled_or_reset(world: World) -> None:
    world.setup()
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    ann = users.sign_in(world.engine, "ann", PASSWORD)
    now = time.time()
    token = sessions.open_session(world.engine, ann.id, now)
    assert sessions.session(world.engine, token, now + 60) is not None
    assert sessions.session(world.engine, token, now + 60 + sessions.IDLE_S + 1) is None
    token = sessions.open_session(world.engine, ann.id)
    users.disable_user(world.engine, "ann")
    assert sessions.session(world.engine, token) is None
    with pytest.raises(users.SignInRefused, match="disabled"):
        users.sign_in(world.engine, "ann", PASSWORD)


def _refusal(engine: Engine, name: str, password: str, source: str = "") -> str:
    try:
        users.sign_in(engine, name, password, source=source)
    except users.SignInRefused as refused:
        return refused.why
    return "signed in"


def _said(why: str) -> str:
    """What the sign-in page says for a refusal (dashboard.web)."""
    return "locked" if why.startswith("locked") else "wrong"


@pytest.mark.parametrize("at_once", [30, 100])
def test_wrong_passwords_at_once_are_checked_no_more_than_ten_times(
    world: World, monkeypatch: pytest.MonkeyPatch, at_once: int
) -> None:
    """The count was read, then written back plus one: 30 at once left it at 1, and of 300
    guesses 180 were checked before the lock held. Now each is counted before its check."""
    world.setup()
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    checked: list[str] = []
    check = users._verify

    def counted(stored: str, password: str) -> bool:
        checked.append(password)  # list.append holds under threads
        return check(stored, password)

    monkeypatch.setattr(users, "_verify", counted)
    with ThreadPoolExecutor(at_once) as pool:
        whys = list(pool.map(lambda i: _refusal(world.engine, "ann", f"guess {i}"), range(at_once)))
    assert len(checked) == users.LOCK_AFTER
    assert whys.count("locked") == at_once - users.LOCK_AFTER
    assert _refusal(world.engine, "ann", PASSWORD) == "locked"  # the right one waits too


def test_a_name_nobody_has_is_answered_as_a_real_one_in_words_and_time(world: World) -> None:
    world.setup()
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    said: dict[str, list[str]] = {"ann": [], "nobody": []}
    took: dict[str, list[float]] = {"ann": [], "nobody": []}
    for _ in range(users.LOCK_AFTER + 4):
        for name in said:  # side by side, so the machine's load falls on both alike
            began = time.perf_counter()
            said[name].append(_said(_refusal(world.engine, name, "guess")))
            took[name].append(time.perf_counter() - began)
    assert said["ann"] == said["nobody"] == ["wrong"] * 9 + ["locked"] * 5
    checked = {n: statistics.median(t[:9]) for n, t in took.items()}
    assert abs(checked["ann"] - checked["nobody"]) < 0.25 * max(checked.values()), checked
    held = {n: statistics.median(t[10:]) for n, t in took.items()}
    assert max(held.values()) < 0.5 * min(checked.values()), (held, checked)  # no check at all


def test_an_admin_lifts_a_lock_after_checking_with_its_owner(world: World) -> None:
    world.setup()
    users.create_user(world.engine, "nora", PASSWORD, "store_manager", ["s1"])
    for i in range(users.LOCK_AFTER):
        source = "203.0.113.7" if i < 8 else "198.51.100.2"
        _refusal(world.engine, "nora", "guess", source)
        _refusal(world.engine, "ghost", "guess", source)  # a name nobody has: locked, not listed
    [locked] = lockout.locked_accounts(world.engine)
    assert (locked["username"], locked["role"], locked["wrong_passwords"]) == (
        "nora", "store_manager", 10,
    )  # fmt: skip
    assert locked["until"] - locked["since"] >= users.LOCK_S - 5
    assert [(s["address"], s["attempts"]) for s in locked["sources"]] == [
        ("203.0.113.7", 8), ("198.51.100.2", 2),
    ]  # fmt: skip
    assert [u["locked"] for u in users.list_users(world.engine)] == [True]
    with pytest.raises(ApiError, match="say why"):
        lockout.unlock(world.engine, "nora", "ann", "  ")
    with pytest.raises(ApiError, match="no user 'ghost'"):
        lockout.unlock(world.engine, "ghost", "ann", "no such person")
    lockout.unlock(world.engine, "nora", "ann", "Nora phoned: she mistyped after the holiday")
    assert _refusal(world.engine, "nora", PASSWORD) == "signed in"
    [line] = lockout.audit(world.engine)
    assert (line["username"], line["action"], line["by"]) == ("nora", "unlocked", "ann")
    assert "mistyped" in line["note"] and abs(line["at"] - time.time()) < 60
    with pytest.raises(ApiError, match="not locked") as refused:
        lockout.unlock(world.engine, "nora", "ann", "again")
    assert refused.value.status == 409


def test_a_new_password_lifts_the_lock(world: World) -> None:
    world.setup()
    users.create_user(world.engine, "ann", PASSWORD, "admin")
    for _ in range(users.LOCK_AFTER):
        _refusal(world.engine, "ann", "guess")
    users.reset_password(world.engine, "ann", "another long secret")
    assert _refusal(world.engine, "ann", "another long secret") == "signed in"


def test_a_lock_in_force_before_the_upgrade_stays_in_force(server_url: str) -> None:
    """Migration 0010 moves wrong passwords and locks from `users` to the attempt counters."""
    engine = open_engine(server_url)
    now = time.time()
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0009")
        for name, failed, locked_until in (("ann", 0, now + 600), ("bob", 7, 0), ("cy", 0, 0)):
            conn.execute(
                text("INSERT INTO users (username, password_hash, role, disabled, failed,"
                     " locked_until, created) VALUES (:n, :h, 'admin', false, :f, :l, :c)"),
                {"n": name, "h": users.HASHER.hash(PASSWORD), "f": failed, "l": locked_until,
                 "c": now},
            )  # fmt: skip
    migrate(engine)
    assert [a["username"] for a in lockout.locked_accounts(engine)] == ["ann"]
    assert _refusal(engine, "ann", PASSWORD) == "locked"
    assert [_said(_refusal(engine, "bob", "guess")) for _ in range(4)] == ["wrong"] * 2 + [
        "locked"
    ] * 2  # 7 counted before the upgrade, 3 more lock it
    assert _refusal(engine, "cy", PASSWORD) == "signed in"
    engine.dispose()
