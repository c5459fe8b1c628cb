"""A member's one-time password at a till: a spend above the program's otp_above asks for the
code texted to the member's phone, the server checks it and gives a token used once, and ingest
refuses to let a spend above the threshold pass without one (a conflict, unconfirmed_spend).
A new member's registration at a till asks for the code too. SMS go to the file gateway."""

from __future__ import annotations

import dataclasses
import json
import re
import string
from pathlib import Path

from sqlalchemy import select, update

from codes.common import event_form
from server_stub.database.loyalty_tables import lots
from server_stub.database.loyalty_tables import program as program_table
from server_stub.database.schema import conflicts, events
from server_stub.device_api import code_words
from server_stub.loyalty import members, program
from server_stub.notifications.sms import FileGateway
from sync import outbox
from tests.world import Device, World

PHONE = "+77011234567"


def code_for(folder: Path, phone: str) -> str:
    """The newest code texted to `phone`: the only six-digit number in its text."""
    texts = [json.loads(p.read_text()) for p in folder.glob("*.json")]
    mine = [t for t in texts if t["to"] == phone]
    assert mine, f"no SMS to {phone}"
    newest = max(mine, key=lambda t: t["id"])  # ids grow with time
    (code,) = re.findall(r"\b\d{6}\b", newest["text"])
    return str(code)


def sms_count(folder: Path) -> int:
    return len(list(folder.glob("*.json")))


def coalition(world: World, otp_above: int = 500) -> tuple[Device, Path]:
    """A till online, the program asking a code above `otp_above`, a member with 1000 points."""
    world.setup()
    folder = world.tmp / "sms"
    world.service.sms = FileGateway(folder)
    with world.engine.begin() as conn:
        program.set_program(conn, otp_above=otp_above)
        members.register(conn, PHONE, lang="kk", via="centre", now=0.0)
    till = world.device("s1", "Till A", online=True)
    assert till.terminal.config.otp_above == otp_above
    assert till.terminal.accrue(PHONE, 10_000.0, "R-1").points == 1000
    till.sync()
    return till, folder


def test_a_spend_above_the_threshold_asks_the_members_code(world: World) -> None:
    till, sms = coalition(world)
    asked = till.terminal.spend(PHONE, 800, "tv")
    assert asked.status == "needs_code" and asked.sent_to == "4567" and asked.again_in == 60
    assert "ending 4567" in asked.message and "800" in asked.message
    text = json.loads(next(sms.glob("*.json")).read_text())["text"]
    # the member reads what the code confirms, in their language (Kazakh)
    assert "800 ұпай" in text and "points" not in text, text
    right = code_for(sms, PHONE)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    refused = till.terminal.spend(PHONE, 800, "tv", code=wrong)
    assert refused.status == "wrong_code" and "4 tries left" in refused.message
    assert till.terminal.balance(PHONE).balance == 1000  # nothing spent
    other = till.terminal.spend(PHONE, 900, "tv", code=right)  # the code was for 800
    assert other.status == "wrong_code" and "800" in other.message
    done = till.terminal.spend(PHONE, 800, "tv", code=right)
    assert done.status == "accepted_online", done.message
    till.sync()
    with world.engine.connect() as conn:
        verdict = conn.execute(select(events.c.verdict).where(events.c.event_id == done.event_id))
        assert verdict.scalar_one() == "accepted"
    assert till.terminal.balance(PHONE).balance == 200
    again = till.terminal.spend(PHONE, 150, "mug", code=right)  # below: no code asked or used
    assert again.status == "accepted_online"


def test_below_the_threshold_no_code_is_asked(world: World) -> None:
    till, sms = coalition(world)
    assert till.terminal.spend(PHONE, 500, "radio").status == "accepted_online"
    assert sms_count(sms) == 0


def test_asking_again_waits_a_minute(world: World) -> None:
    till, sms = coalition(world)
    assert till.terminal.spend(PHONE, 800, "tv").status == "needs_code"
    again = till.terminal.send_code(PHONE, "spend", 800)
    assert again.status == "code_wait" and "s" in again.message
    assert sms_count(sms) == 1


def test_offline_such_a_spend_needs_the_server(world: World) -> None:
    till, sms = coalition(world)
    world.transport.down = True
    refused = till.terminal.spend(PHONE, 800, "tv")
    assert refused.status == "needs_online"
    assert refused.message == "This spend needs the member's code; the till is offline."
    assert till.terminal.spend(PHONE, 100, "pen").status == "accepted_offline"  # below: as before
    assert sms_count(sms) == 0


def _replaying(till: Device, token: str) -> None:
    """The till hands the server an old token instead of asking (a rogue or broken till)."""
    till.terminal._points.codes.confirm_spend = lambda *a: token  # type: ignore[method-assign]


def _conflict_of(world: World, event_id: str | None) -> tuple[str, str]:
    with world.engine.connect() as conn:
        row = conn.execute(
            select(events.c.verdict, events.c.reason).where(events.c.event_id == event_id)
        ).one()
        kinds = conn.execute(select(conflicts.c.kind).where(conflicts.c.loser_event == event_id))
        assert kinds.scalar_one() == "unconfirmed_spend"
    return row.verdict, row.reason


def test_a_replayed_or_foreign_confirmation_is_a_conflict(world: World) -> None:
    till, sms = coalition(world, otp_above=100)
    till.terminal.spend(PHONE, 200, "tv")
    first = till.terminal.spend(PHONE, 200, "tv", code=code_for(sms, PHONE))
    assert first.ok
    row = till.ledger.event(str(first.event_id))
    assert row is not None
    token = json.loads(row["payload"])["confirmation"]
    _replaying(till, token)
    replayed = till.terminal.spend(PHONE, 200, "tv", code="000000")
    assert replayed.status == "accepted_online"  # the till wrote it; the server judges it
    other = world.device("s2", "Till B", online=True)
    _replaying(other, token)
    foreign = other.terminal.spend(PHONE, 200, "tv", code="000000")
    till.sync()
    other.sync()
    verdict, reason = _conflict_of(world, replayed.event_id)
    assert verdict == "conflict" and "used already" in reason and str(first.event_id) in reason
    verdict, reason = _conflict_of(world, foreign.event_id)
    assert verdict == "conflict" and "another device" in reason


def test_a_spend_above_the_threshold_without_a_code_is_a_conflict(world: World) -> None:
    till, _ = coalition(world)
    points = till.terminal._points
    points.config = dataclasses.replace(points.config, otp_above=0)  # a till that skips the step
    done = till.terminal.spend(PHONE, 800, "tv")
    till.sync()
    verdict, reason = _conflict_of(world, done.event_id)
    assert verdict == "conflict" and "no one-time password" in reason


def test_a_new_member_registers_at_the_till_with_the_code(world: World) -> None:
    till, sms = coalition(world)
    new = "+77017654321"
    asked = till.terminal.register("8 701 765 43 21", via="till", lang="kk")
    assert asked.status == "needs_code" and asked.member == new and asked.sent_to == "4321"
    wrong = till.terminal.register(new, via="till", code="12")
    assert wrong.status == "wrong_code"
    joined = till.terminal.register(new, via="till", lang="kk", code=code_for(sms, new))
    assert joined.status == "registered" and joined.member == new
    with world.engine.connect() as conn:
        member = members.find(conn, new)
    assert member is not None and member.registered_via == "till" and member.lang == "kk"
    before = sms_count(sms)
    found = till.terminal.register(new, via="kiosk")  # one phone is one member: no code asked
    assert found.status == "member_found" and sms_count(sms) == before
    world.transport.down = True
    offline = till.terminal.register("+77010000001", via="till")
    assert offline.status == "needs_online" and "offline" in offline.message


def test_a_spend_dated_long_ago_still_needs_the_code(world: World) -> None:
    """A spend made before the threshold last changed is not judged against it; a till that
    dates its spend years back (its clock, or a tampered event) is not believed past the
    offline limit, so it cannot skip the member's code that way."""
    till, _ = coalition(world)
    month = 30 * 86400
    with world.engine.begin() as conn:  # the threshold and the member's points are a month old
        conn.execute(update(program_table).values(updated=program_table.c.updated - month))
        conn.execute(update(lots).values(earned_at=lots.c.earned_at - month,
                                         pending_until=lots.c.pending_until - month))  # fmt: skip
    points = till.terminal._points
    points.config = dataclasses.replace(points.config, otp_above=0)  # a till that skips the step
    done = till.terminal.spend(PHONE, 800, "tv")
    (event,) = [e for e in outbox.outgoing(till.ledger, 10) if e["event_id"] == done.event_id]
    back = {**event, "local_time": "2001-01-01T00:00:00+00:00"}
    back["mac"] = event_form.event_mac(
        till.client.secret, {**back, "device_id": till.client.device_id}
    )
    answer = till.client.push([back])
    assert [v.verdict for v in answer.verdicts] == ["conflict"]
    verdict, reason = _conflict_of(world, done.event_id)
    assert verdict == "conflict" and "no one-time password" in reason


def test_a_number_typed_without_its_country_code_is_read_for_the_programs_home_region(
    world: World,
) -> None:
    """A till in a Kazakh program whose screen is in English registers '8 701 765 43 21' as
    +77017654321, not as an Indian number; the member's spend code goes to that phone too."""
    till, sms = coalition(world)
    with world.engine.begin() as conn:
        program.set_program(conn, region="KZ")
    new = "+77017654321"
    asked = till.terminal.register("8 701 765 43 21", via="till", lang="en")
    assert asked.status == "needs_code" and asked.member == new, asked.message
    joined = till.terminal.register("8 701 765 43 21", via="till", lang="en",
                                    code=code_for(sms, new))  # fmt: skip
    assert joined.status == "registered" and joined.member == new
    with world.engine.connect() as conn:
        member = members.find(conn, new)
    assert member is not None and member.lang == "en"


def test_the_code_is_texted_in_the_members_language_or_the_devices(world: World) -> None:
    """A member's code speaks the member's language (members.lang); a phone joining, the
    language the device sends; one we have no words for, English."""
    till, sms = coalition(world)

    def last_text(phone: str) -> str:
        texts = [json.loads(p.read_text()) for p in sms.glob("*.json")]
        return str(max((t for t in texts if t["to"] == phone), key=lambda t: t["id"])["text"])

    till.terminal.spend(PHONE, 1000, "tv")
    kazakh = code_words.say("kk", "spend", points=code_words.points("kk", 1000), code="")
    assert last_text(PHONE).startswith(kazakh[:12]) and "1\u00a0000" in kazakh
    assert till.terminal.register("+77017654321", via="till", lang="ru").status == "needs_code"
    assert "Код для вступления" in last_text("+77017654321")
    assert till.terminal.register("+77017654322", via="kiosk", lang="hi").status == "needs_code"
    assert "कोड" in last_text("+77017654322")
    assert till.terminal.register("+77017654323", via="kiosk", lang="xx").status == "needs_code"
    assert last_text("+77017654323").startswith("Your code to join")


def test_the_code_words_hold_the_same_keys_and_placeholders_in_every_language() -> None:
    english = code_words.catalogue("en")
    for lang in code_words.LANGUAGES:
        words = code_words.catalogue(lang)
        assert words.keys() == english.keys(), lang
        for key, text in words.items():
            named = {n for _, n, _, _ in string.Formatter().parse(text) if n}
            assert named == {n for _, n, _, _ in string.Formatter().parse(english[key]) if n}, (
                lang, key,
            )  # fmt: skip
        for key in ("spend", "join"):  # otp.send_otp's rule: the code once, no other six digits
            made = code_words.say(lang, key, points=code_words.points(lang, 100_000), code="{code}")
            assert made.count("{code}") == 1 and not re.search(r"\d{6}", made), (lang, made)
