"""Dashboard users: roles and scopes, argon2 passwords, lockout, sessions."""

from __future__ import annotations

import time

import pytest

from server_stub.accounts import sessions, users
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
