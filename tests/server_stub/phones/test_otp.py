"""One-time passwords as a shopper and as an attacker meet them: a code texted once, working once
for 10 minutes; five wrong tries end it, however many arrive at once; codes come no faster than
one a minute and no more than the hourly limits allow per phone, per address and per number
prefix, across server processes; only a peppered hash is stored and the code is logged nowhere."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, select

from server_stub.database.connection import migrate, open_engine
from server_stub.database.schema import meta, otp_codes, sms_messages
from server_stub.errors import ApiError
from server_stub.notifications.sms import FileGateway, SendFailed, Sms
from server_stub.phones import otp

NOW = 1_800_000_000.0
PHONE = "+919876543210"
ADDRESS = "203.0.113.7"
WORDS = "Your code is {code}. It works for 10 minutes. Do not share it."
SIX = re.compile(r"(?<!\d)\d{6}(?!\d)")


@pytest.fixture
def gateway(tmp_path: Path) -> FileGateway:
    return FileGateway(tmp_path / "sms")


class Failing:
    """A gateway that takes nothing."""

    def send(self, message: Sms) -> None:
        raise SendFailed("the gateway is down")


def message(gateway: FileGateway, sms_id: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((gateway.folder / f"{sms_id}.json").read_text())
    return data


def send(
    engine: Engine, gateway: FileGateway, phone: str = PHONE, now: float = NOW,
    source: str = ADDRESS, purpose: str = "play", **options: Any,
) -> str:  # fmt: skip
    """Ask for a code and read it from the text message, as the shopper would."""
    sent = otp.send_otp(engine, gateway, phone, purpose, source=source, now=now, **options)
    codes: list[str] = SIX.findall(message(gateway, sent.sms_id)["text"])
    assert len(codes) == 1
    return codes[0]


def other(code: str) -> str:
    """A code that is not `code`."""
    return f"{(int(code) + 1) % 10**6:06d}"


def refusal(call: Callable[..., object], *args: Any, **kwargs: Any) -> ApiError:
    """What `call(*args, **kwargs)` was refused with."""
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_a_right_code_works_once_and_only_once(engine: Engine, gateway: FileGateway) -> None:
    sent = otp.send_otp(engine, gateway, PHONE, "play", source=ADDRESS, words=WORDS, now=NOW)
    text = message(gateway, sent.sms_id)
    assert (text["to"], text["kind"]) == (PHONE, "otp")
    (code,) = SIX.findall(text["text"])  # exactly one six-digit number: the code
    assert re.findall(r"\d+", text["text"]) == [code, "10"]
    assert sent.expires == NOW + 600

    otp.check_otp(engine, PHONE, "play", code, now=NOW + 5)  # returns: right
    again = refusal(lambda: otp.check_otp(engine, PHONE, "play", code, now=NOW + 6))
    assert (again.status, again.code) == (410, "otp_expired")
    assert "used" in again.message


def test_a_code_is_for_its_phone_and_purpose_only(engine: Engine, gateway: FileGateway) -> None:
    code = send(engine, gateway)
    for phone, purpose in ((PHONE, "claim"), ("+919876543211", "play")):
        none = refusal(otp.check_otp, engine, phone, purpose, code, now=NOW + 1)
        assert (none.status, none.code) == (404, "otp_none")
    otp.check_otp(engine, PHONE, "play", f" {code[:3]} {code[3:]} ", now=NOW + 1)  # spaced out


def test_a_code_works_for_ten_minutes(engine: Engine, gateway: FileGateway) -> None:
    code = send(engine, gateway, now=NOW)
    otp.check_otp(engine, PHONE, "play", code, now=NOW + 599)
    code = send(engine, gateway, now=NOW + 1000)
    late = refusal(lambda: otp.check_otp(engine, PHONE, "play", code, now=NOW + 1600))
    assert (late.status, late.code) == (410, "otp_expired")
    assert "expired" in late.message


def test_five_wrong_tries_end_the_code_even_for_the_right_one(
    engine: Engine, gateway: FileGateway
) -> None:
    code = send(engine, gateway)
    said = [refusal(lambda: otp.check_otp(engine, PHONE, "play", other(code), now=NOW + 1))
            for _ in "1234"]  # fmt: skip
    assert [(e.status, e.code) for e in said] == [(401, "otp_wrong")] * 4
    assert [e.message for e in said] == [
        "wrong code, 4 tries left", "wrong code, 3 tries left", "wrong code, 2 tries left",
        "wrong code, 1 try left",
    ]  # fmt: skip
    fifth = refusal(lambda: otp.check_otp(engine, PHONE, "play", "12", now=NOW + 1))
    assert (fifth.status, fifth.code) == (429, "otp_spent")
    right = refusal(lambda: otp.check_otp(engine, PHONE, "play", code, now=NOW + 2))
    assert (right.status, right.code) == (429, "otp_spent")
    assert "new one" in right.message
    # a new code starts afresh
    fresh = send(engine, gateway, now=NOW + 61)
    otp.check_otp(engine, PHONE, "play", fresh, now=NOW + 62)


def test_a_hundred_guesses_at_once_get_five_judged(
    server_url: str, gateway: FileGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_engine(server_url)
    migrate(engine)
    code = send(engine, gateway)
    compared, lock = [0], threading.Lock()

    def counted(a: str, b: str) -> bool:
        with lock:
            compared[0] += 1
        return hmac.compare_digest(a, b)

    monkeypatch.setattr(otp, "hmac", SimpleNamespace(new=hmac.new, compare_digest=counted))
    wrong = [f"{(int(code) + 1 + i) % 10**6:06d}" for i in range(100)]

    def guess(typed: str) -> str:
        try:
            otp.check_otp(engine, PHONE, "play", typed, now=NOW + 1)
        except ApiError as exc:
            return exc.code
        return "right"

    with ThreadPoolExecutor(25) as pool:
        answers = list(pool.map(guess, wrong))
    assert compared[0] == 5
    assert answers.count("otp_wrong") == 4 and answers.count("otp_spent") == 96
    with engine.connect() as conn:
        assert conn.execute(select(otp_codes.c.tries)).scalar_one() == 5
    spent = refusal(lambda: otp.check_otp(engine, PHONE, "play", code, now=NOW + 2))
    assert spent.code == "otp_spent"
    engine.dispose()


def test_a_new_code_comes_60_seconds_after_the_last(engine: Engine, gateway: FileGateway) -> None:
    first = send(engine, gateway, now=NOW)
    early = refusal(lambda: send(engine, gateway, now=NOW + 10, source="198.51.100.1"))
    assert (early.status, early.code, early.headers) == (429, "otp_wait", {"Retry-After": "50"})
    assert "50 s" in early.message
    send(engine, gateway, purpose="claim", now=NOW + 10)  # another purpose has its own wait
    second = send(engine, gateway, now=NOW + 60)
    if second != first:  # the new code ends the one before (one time in a million they match)
        old = refusal(lambda: otp.check_otp(engine, PHONE, "play", first, now=NOW + 61))
        assert old.code == "otp_wrong"
    otp.check_otp(engine, PHONE, "play", second, now=NOW + 61)
    assert len(list(gateway.folder.glob("*.json"))) == 3


def test_a_failed_text_can_be_asked_again_at_once_but_counts_for_the_hour(
    engine: Engine, gateway: FileGateway
) -> None:
    for i in range(5):
        failed = refusal(otp.send_otp, engine, Failing(), PHONE, "play", ADDRESS, now=NOW + i)
        assert (failed.status, failed.code) == (503, "sms_failed")
        none = refusal(otp.check_otp, engine, PHONE, "play", "123456", now=NOW + i)
        assert none.code == "otp_none"  # no code of a failed text works
    limit = refusal(lambda: send(engine, gateway, now=NOW + 5))
    assert (limit.status, limit.code) == (429, "otp_limit")
    with engine.connect() as conn:
        statuses = conn.execute(select(sms_messages.c.status)).scalars().all()
    assert statuses == ["failed"] * 5


def test_the_sixth_code_to_a_phone_in_an_hour_is_refused(
    engine: Engine, gateway: FileGateway
) -> None:
    for i in range(5):  # each a minute apart, from addresses of their own
        send(engine, gateway, now=NOW + 61 * i, source=f"198.51.100.{i}")
    sixth = refusal(lambda: send(engine, gateway, now=NOW + 400, source="192.0.2.99"))
    assert (sixth.status, sixth.code) == (429, "otp_limit")
    wait = int(sixth.headers["Retry-After"])
    assert wait == 61 * 4 + 3600 - 400  # an hour from the code that reached the limit
    assert "to this number" in sixth.message and f"{round(wait / 60)} min" in sixth.message
    send(engine, gateway, phone="+919876543299", now=NOW + 400)  # other numbers are not held
    send(engine, gateway, now=NOW + 400 + wait)


def test_the_21st_code_from_one_address_is_refused(engine: Engine, gateway: FileGateway) -> None:
    phones = [f"+91{9_000_000_000 + i * 10**6 + i}" for i in range(22)]  # prefixes of their own
    for phone in phones[:20]:
        send(engine, gateway, phone=phone, source=ADDRESS)
    refused = refusal(lambda: send(engine, gateway, phone=phones[20], source=ADDRESS))
    assert (refused.status, refused.code) == (429, "otp_limit")
    assert "from this connection" in refused.message and "Retry-After" in refused.headers
    send(engine, gateway, phone=phones[20], source="198.51.100.1")
    # an IPv6 client holds its whole /64: its addresses count as one
    for i, phone in enumerate(phones[:20]):
        send(engine, gateway, phone=phone, source=f"2001:db8:0:1::{i + 1:x}", purpose="claim")
    six = refusal(lambda: send(engine, gateway, phone=phones[21], source="2001:db8:0:1:ff::1"))
    assert six.code == "otp_limit"


def test_pumping_across_one_prefix_is_stopped(engine: Engine, gateway: FileGateway) -> None:
    numbers = [f"+9198765{i:05d}" for i in range(31)]  # differing only in the last digits
    for i, phone in enumerate(numbers[:30]):
        send(engine, gateway, phone=phone, source=f"198.51.{i}.{i + 1}", now=NOW + i)
    pumped = refusal(lambda: send(engine, gateway, phone=numbers[30], source="192.0.2.1"))
    assert (pumped.status, pumped.code) == (429, "otp_limit")
    assert "numbers like this one" in pumped.message
    assert len(list(gateway.folder.glob("*.json"))) == 30  # nothing more was texted
    send(engine, gateway, phone="+919876612345", source="192.0.2.1")  # another prefix


def test_a_campaign_texts_only_the_countries_it_lists(engine: Engine, gateway: FileGateway) -> None:
    kazakh = "+77011234567"
    refused = refusal(lambda: send(engine, gateway, phone=kazakh, countries=("IN",)))
    assert (refused.status, refused.code) == (422, "country_not_served")
    assert not gateway.folder.exists()  # nothing was sent
    send(engine, gateway, phone=PHONE, countries=("in",))
    send(engine, gateway, phone=kazakh, countries=("IN", "KZ"))
    send(engine, gateway, phone="+79161234567", countries=())  # no list: any country


@pytest.mark.parametrize(
    "typed, region, phone",
    [
        ("98765 43210", "IN", PHONE),
        ("+91 98765-43210", "KZ", PHONE),
        ("098765 43210", "IN", PHONE),
        ("०९८७६५४३२१०", "IN", PHONE),  # Devanagari digits
        ("8 701 123 45 67", "KZ", "+77011234567"),
    ],
)
def test_a_phone_is_read_as_typed(typed: str, region: str, phone: str) -> None:
    assert otp.normalise_phone(typed, region=region) == phone


@pytest.mark.parametrize(
    "typed",
    [
        "", "12345", "hello", "+91 98765", "9" * 50,
        "022 2345 6789", "1800 123 4567",  # a landline, a toll-free number
        "+44 909 879 0123", "+44 56 1234 5678",  # premium rate (what pumping earns by), VoIP
    ],
)  # fmt: skip
def test_a_phone_that_cannot_get_a_text_is_refused(typed: str) -> None:
    refused = refusal(lambda: otp.normalise_phone(typed, region="IN"))
    assert (refused.status, refused.code) == (422, "bad_phone")


def test_only_a_peppered_hash_is_stored_and_the_code_is_logged_nowhere(
    engine: Engine, gateway: FileGateway, caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)  # SQLAlchemy's statements and their parameters too
    code = send(engine, gateway)
    said = [refusal(lambda: otp.check_otp(engine, PHONE, "play", other(code), now=NOW + 1))]
    said.append(refusal(lambda: send(engine, gateway, now=NOW + 2)))
    otp.check_otp(engine, PHONE, "play", code, now=NOW + 3)
    said.append(refusal(lambda: otp.check_otp(engine, PHONE, "play", code, now=NOW + 4)))
    said.append(
        refusal(lambda: otp.send_otp(engine, Failing(), PHONE, "claim", source=ADDRESS, now=NOW))
    )
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(otp_codes.select())]
        texts = [tuple(r) for r in conn.execute(sms_messages.select())]
        pepper = conn.execute(select(meta.c.value).where(meta.c.key == "otp_pepper")).scalar_one()
    (stored,) = rows
    assert code not in repr(rows) + repr(texts)
    assert (
        stored[3] != hashlib.sha256(code.encode()).hexdigest()
    )  # not guessable without the pepper
    keyed = hmac.new(bytes.fromhex(pepper), f"{PHONE}\nplay\n{code}".encode(), hashlib.sha256)
    assert stored[3] == keyed.hexdigest()
    assert caplog.records  # the log was captured, and it speaks of the codes sent
    logged = caplog.text + "".join(capfd.readouterr())
    assert "one-time password sent" in logged
    assert code not in logged
    ours = "".join(r.getMessage() for r in caplog.records if r.name.startswith("instore"))
    assert "+91987654****" in ours and PHONE not in ours  # the number only masked
    assert all(code not in f"{e} {e.message} {e.headers}" for e in said)


def test_limits_and_tries_hold_across_two_server_processes(
    server_url: str, gateway: FileGateway
) -> None:
    one, two = open_engine(server_url), open_engine(server_url)  # as two processes hold them
    migrate(one)
    code = send(one, gateway, now=NOW)
    early = refusal(lambda: send(two, gateway, now=NOW + 30))
    assert early.code == "otp_wait"
    answers = [
        refusal(otp.check_otp, engine, PHONE, "play", other(code), now=NOW + 1).code
        for engine in (one, two, one, two, one)
    ]
    assert answers == ["otp_wrong"] * 4 + ["otp_spent"]  # one count of tries for both
    assert refusal(lambda: otp.check_otp(one, PHONE, "play", code, now=NOW + 1)).code == (
        "otp_spent"
    )
    for i in range(1, 5):  # four more codes, through either process: five in the hour
        send((one, two)[i % 2], gateway, now=NOW + 61 * i, source=f"198.51.100.{i}")
    for engine in (one, two):
        assert refusal(send, engine, gateway, now=NOW + 400).code == "otp_limit"
    one.dispose()
    two.dispose()


def test_codes_older_than_a_day_are_purged(
    engine: Engine, gateway: FileGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(engine, gateway, now=NOW - 86_401)
    send(engine, gateway, now=NOW - 3600)
    monkeypatch.setattr(otp, "_purged", [0.0])
    send(engine, gateway, phone="+919876543299", now=NOW)
    with engine.connect() as conn:
        kept = conn.execute(select(otp_codes.c.created).order_by(otp_codes.c.id)).scalars().all()
    assert kept == [NOW - 3600, NOW]
