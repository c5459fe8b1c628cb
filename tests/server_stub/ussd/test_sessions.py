"""Whole USSD sessions driven as Africa's Talking drives them (every input so far joined by `*`),
through the engine without HTTP, on SQLite and PostgreSQL: joining, the balance with what
expires, the last three transactions, bad input, `0` going back, a timeout and its resume, a
gateway's retry, the limits, and a printed code checked without its prize said."""

from __future__ import annotations

import time

import pytest

from server_stub.catalog.device_config import set_config
from server_stub.database.connection import writing
from server_stub.loyalty import members
from server_stub.loyalty.program import set_program
from server_stub.ussd import sessions
from server_stub.ussd.menus import WRONG_CODES
from server_stub.ussd.service import STEPS, Call, UssdService
from tests.server_stub.play.shopper import TIERS, serial_of_tier
from tests.server_stub.ussd.session import PHONE_IN, PHONE_KZ, Dial, member_with_points
from tests.world import World


@pytest.fixture
def ussd(world: World) -> UssdService:
    world.setup(tiers=TIERS)
    return UssdService(world.engine, world.service)


def test_an_unknown_phone_joins_in_its_language_and_a_second_join_finds_the_first(
    world: World, ussd: UssdService
) -> None:
    dial = Dial(ussd, PHONE_KZ)
    first = dial.open()
    assert first.startswith("CON ") and "1. Қосылу" in first  # a Kazakh number greeted in Kazakh
    assert "Тілді таңдаңыз" in dial.answer("1")
    confirm = "CON Вступить в Loyalty program с номером +7701123****?"  # noqa: RUF001
    assert dial.answer("3").startswith(confirm)
    joined = dial.answer("1")
    assert "Теперь вы участник" in joined and "1. Баланс" in joined and "0. Выход" in joined
    with world.engine.connect() as conn:
        member = members.find(conn, PHONE_KZ)
    assert member is not None and (member.lang, member.registered_via) == ("ru", "ussd")

    again = Dial(ussd, "8 701 123 45 67".replace(" ", "").replace("8", "+7", 1))
    assert "1. Баланс" in again.open()  # a member now: no offer to join
    assert dial.answer("0") == "END Спасибо. До свидания."


def test_the_balance_says_what_expires_when_and_history_the_last_three(
    world: World, ussd: UssdService
) -> None:
    now = time.time()
    member_with_points(world.engine, PHONE_IN, "en", now)
    dial = Dial(ussd, PHONE_IN, now)
    assert dial.open().startswith("CON Loyalty program\n1. Balance\n2. Last 3 transactions")
    balance = dial.answer("1")
    lines = balance.splitlines()
    assert lines[0] == "CON You have 400 points." and lines[-1] == "0. Back"
    assert lines[1] == "50 points are not ready to spend yet."
    assert lines[2].startswith("100 points expire on ")  # the oldest lot, less the spend of 20
    assert lines[3].startswith("300 points expire on ")
    assert dial.answer("0").startswith("CON Loyalty program")
    history = dial.answer("2").splitlines()
    assert history[0] == "CON Last transactions:" and len(history) == 5
    assert history[1].endswith("-20 spent Mobile Operator…")  # newest first
    assert history[2].endswith("+50 earned Fuel Co")
    assert history[3].endswith("+300 earned Mobile Operator…")


def test_bad_input_shows_the_same_menu_with_a_short_note(ussd: UssdService) -> None:
    dial = Dial(ussd, PHONE_IN)
    menu = dial.open()
    for typed, note in (("abc", "Type a number from the menu."), ("7", "No such choice."),
                        ("", "Type a number from the menu."), ("\u0661", "Type a number from the menu."),
                        ("1" * 65, "That was too long."), ("0009", "No such choice.")):  # fmt: skip
        assert dial.answer(typed) == menu.replace("CON ", f"CON {note}\n", 1), typed
    assert dial.answer("2").startswith("CON No prizes yet.")
    assert dial.answer("x").startswith("CON Type a number from the menu.\nNo prizes yet.")
    assert dial.answer("0") == menu  # 0 goes back


def test_a_session_cut_off_resumes_from_its_last_menu_within_minutes_once(
    world: World, ussd: UssdService
) -> None:
    prizes = [{"id": f"p{i}", "name": f"Prize number {i}", "points": 100 * i} for i in range(1, 13)]
    set_config(world.engine, None, catalogue=prizes)
    now = time.time()
    dropped = Dial(ussd, PHONE_IN, now)
    dropped.open()
    dropped.answer("2")
    page_two = dropped.answer("9")
    assert "Prize number" in page_two and "Prize number 1:" not in page_two
    # the network drops the call; the same phone dials again two minutes later
    later = Dial(ussd, PHONE_IN, now + 120)
    assert later.open() == "CON You were cut off.\n1. Continue where you left off\n2. Main menu"
    assert later.answer("1") == page_two
    assert later.answer("0").startswith("CON Prizes for points:\nPrize number 1:")  # page one
    # that session was cut off in turn, at page one; "2" starts afresh, and a place is offered
    # once: the next session, after one that ended at the main menu, begins there
    third = Dial(ussd, PHONE_IN, now + 130)
    assert third.open().startswith("CON You were cut off.")
    assert third.answer("2").startswith("CON Welcome to")
    assert Dial(ussd, PHONE_IN, now + 140).open().startswith("CON Welcome to")

    # too late, or ended by the person: no offer
    stale = Dial(ussd, PHONE_IN, now + 200)
    stale.open()
    stale.answer("3")
    assert Dial(ussd, PHONE_IN, now + 200 + sessions.RESUME_S + 1).open().startswith("CON Welc")
    ended = Dial(ussd, PHONE_IN, now + 1000)
    ended.open()
    ended.answer("3")
    ended.answer("0")
    ended.answer("0")
    assert ended.replies[-1].end
    assert Dial(ussd, PHONE_IN, now + 1010).open().startswith("CON Welcome to")


def test_a_gateways_retry_gets_the_same_reply_and_a_session_stays_its_phones(
    ussd: UssdService,
) -> None:
    dial = Dial(ussd, PHONE_IN)
    dial.open()
    shown = dial.answer("3")
    assert ussd.answer(Call(dial.session_id, PHONE_IN, ("3",)), dial.now).body == shown
    assert dial.answer("0").startswith("CON Welcome")
    other = ussd.answer(Call(dial.session_id, "+919876500000", ("3", "0", "1")), dial.now)
    assert other.end and "could not read" in other.body
    assert ussd.answer(Call("bad id with spaces", PHONE_IN, ()), dial.now).end
    assert ussd.answer(Call("s-1", "12", ()), dial.now).body == (
        "END This service needs a mobile number."
    )


def test_a_phone_past_its_requests_waits_and_a_blocked_member_is_told(
    world: World, ussd: UssdService
) -> None:
    now = time.time()
    dial = Dial(ussd, PHONE_IN, now)
    dial.open()
    for i in range(STEPS.most - 1):
        assert dial.answer("1" if i % 2 == 0 else "0").startswith("CON ")
    assert dial.answer("0").startswith("END Too many requests. Please try again in 10 min.")
    assert Dial(ussd, PHONE_IN, now + 60).open().startswith("END Too many requests")
    assert Dial(ussd, "+919876500001", now + 60).open().startswith("CON ")  # another phone

    with writing(world.engine) as conn:
        member, _ = members.register(conn, PHONE_KZ, lang="kk", via="centre", now=now)
        members.block(conn, member.id, "fraud", now)
    assert Dial(ussd, PHONE_KZ, now).open().startswith("END Қатысуыңыз бұғатталған.")


def test_a_printed_code_is_unused_used_or_not_ours_and_its_prize_is_never_said(
    world: World, ussd: UssdService
) -> None:
    gold = world.code(serial_of_tier(world, "gold"))
    dial = Dial(ussd, PHONE_IN)
    dial.open()
    assert dial.answer("3") == "CON Type the code printed on your pack:\n0. Back"
    unused = dial.answer(gold.lower().replace("-", " "))
    assert unused.startswith(f"CON Code {gold} is valid and not used yet.")
    assert "gold" not in unused.lower() and "coin" not in unused.lower()
    assert dial.answer("1").startswith("CON Type the code")

    till = world.device("s1", "Till 1", online=True)
    assert till.terminal.redeem(gold).status.value == "accepted_online"
    assert dial.answer(gold).startswith(f"CON Code {gold} has already been used.\n1. Check")

    dial.answer("1")
    typo = gold[:-1] + ("Z" if gold[-1] != "Z" else "Y")
    assert dial.answer(typo).startswith("CON A symbol looks wrong.")
    assert dial.answer("ZZZZZZZZ").startswith("CON That is not one of our codes.")
    for _ in range(WRONG_CODES.most - 2):
        dial.answer("ZZZZZZZZ")
    assert dial.answer(gold) == "END Too many wrong codes. Please try again in an hour."


def test_a_gateways_number_without_its_plus_is_read_for_the_programs_home_region(
    world: World, ussd: UssdService
) -> None:
    """Many gateways send the MSISDN without "+" (77011234567): in a Kazakh program that is
    the member +77011234567, not a number refused as Indian."""
    now = time.time()
    member_with_points(world.engine, PHONE_KZ, "kk", now)
    with writing(world.engine) as conn:
        set_program(conn, region="KZ")
    for sent in ("77011234567", "+77011234567"):
        assert Dial(ussd, sent, now).open().startswith("CON "), sent
    balance = Dial(ussd, "77011234567", now)
    balance.open()
    assert balance.answer("1").startswith("CON Сізде 400 ұпай бар.")  # noqa: RUF001  (Kazakh)
