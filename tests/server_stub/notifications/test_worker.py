"""The outbox's worker with gateways of our own: each message sent once and marked at once,
refusals for good as dead letters, a gateway down resting its channel and back within the
minute, backoff doubling to 50 s with jitter, the 3 days' limit, messages without a gateway
waiting and saying why, one worker per SQLite database, and logs that name no one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from server_stub.database.connection import writing
from server_stub.database.schema import outbox, sms_messages
from server_stub.notifications import worker as worker_module
from server_stub.notifications.email import EmailFailed, FakeMailbox
from server_stub.notifications.sms import Sms
from server_stub.notifications.worker import CAP_S, Worker, backoff, sms_id
from server_stub.prizes import outbox as writer
from server_stub.prizes import person_erase
from server_stub.prizes.documents import DocumentStore
from tests.server_stub.notifications.outbox_rows import EMAIL, PHONE, FakeGateway, queue, rows


def test_due_messages_go_oldest_first_each_marked_sent_with_ids_from_their_keys(
    engine: Engine,
) -> None:
    texts, mails = queue(engine, 3, "sms"), queue(engine, 2, "email")
    gateway, mailbox = FakeGateway(), FakeMailbox()
    done = Worker(engine, mailbox, gateway).send_due()

    assert (done.sent, done.retried, done.dead) == (5, 0, 0)
    assert [m.id for m in gateway.sent] == [sms_id(k) for k in texts]
    assert [m.key for m in mailbox.sent] == mails and mailbox.batches == 1  # one connection
    assert gateway.sent[0].to == PHONE and gateway.sent[0].kind == "claim_received"
    assert mailbox.sent[0].subject == "Заявка принята" and mailbox.sent[0].lang == "ru"
    assert all(r["state"] == "sent" and r["attempts"] == 1 for r in rows(engine).values())
    with engine.connect() as conn:  # so the gateway's delivery reports find them
        reported = {r.id: r.kind for r in conn.execute(select(sms_messages))}
    assert reported == {sms_id(k): "claim" for k in texts}
    assert Worker(engine, mailbox, gateway).send_due().handled == 0  # nothing twice


def test_a_refusal_for_good_is_a_dead_letter_with_its_reason(engine: Engine) -> None:
    queue(engine, 1, "email")
    queue(engine, 1, "sms")
    refused = EmailFailed("the mail server refused the address (550 no such user)", True)
    done = Worker(engine, FakeMailbox(fail_with=refused), FakeGateway(status=400)).send_due()

    assert done.dead == 2
    found = {r["channel"]: r for r in rows(engine).values()}
    assert found["email"]["state"] == "dead" and "550 no such user" in str(
        found["email"]["last_error"]
    )
    assert found["sms"]["state"] == "dead" and "HTTP" not in str(found["sms"]["last_error"])


@pytest.mark.parametrize("status", [None, 500, 503, 429, 401])
def test_a_gateway_down_rests_its_channel_and_leaves_its_other_messages_as_they_were(
    engine: Engine, status: int | None
) -> None:
    texts, mails = queue(engine, 3, "sms"), queue(engine, 2, "email")
    gateway, mailbox = FakeGateway(status=status), FakeMailbox()
    done = Worker(engine, mailbox, gateway).send_due()

    assert gateway.asked == 1 and (done.sent, done.retried) == (2, 1)  # email went all the same
    found = rows(engine)
    first = found[texts[0]]
    assert first["state"] == "pending" and first["attempts"] == 1
    assert time.time() < float(first["next_at"]) <= time.time() + CAP_S  # type: ignore[arg-type]
    assert all(found[k]["attempts"] == 0 for k in texts[1:])
    assert all(found[k]["state"] == "sent" for k in mails)


def test_a_message_leaves_within_a_minute_of_its_gateways_return(engine: Engine) -> None:
    start = 1_900_000_000.0
    clock = [start]
    keys = queue(engine, 5, "sms", at=start)
    gateway = FakeGateway(status=503)
    worker = Worker(engine, None, gateway, clock=lambda: clock[0], rng=lambda: 1.0)  # longest waits
    back: float | None = None
    sent_at: dict[str, float] = {}
    while len(sent_at) < len(keys) and clock[0] < start + 900:
        if back is not None and clock[0] >= back:
            gateway.status = 0
        asked = gateway.asked
        worker.send_due()
        if back is None and clock[0] >= start + 600 and gateway.asked > asked:
            back = clock[0] + 1  # ten minutes down, then back just after a try: the worst case
        for m in gateway.sent:
            sent_at.setdefault(m.id, clock[0])
        clock[0] += 1.0  # the worker looks once a second
    assert back is not None and len(sent_at) == len(keys)
    assert max(sent_at.values()) - back <= 60
    asked_while_down = gateway.asked - len(keys)
    assert asked_while_down <= 600 / (CAP_S / 2) + 8  # resting, not hammering a gateway down


def test_backoff_doubles_from_2_s_to_at_most_50_s_with_jitter() -> None:
    assert [backoff(n, lambda: 1.0) for n in (1, 2, 3, 4, 5, 6, 7, 20)] == [
        2, 4, 8, 16, 32, 50, 50, 50,
    ]  # fmt: skip
    assert backoff(6, lambda: 0.0) == 25  # shortened by half at most
    waits = {round(backoff(3), 3) for _ in range(50)}
    assert len(waits) > 10 and all(4 <= w <= 8 for w in waits)


def test_a_message_not_sent_in_3_days_is_dead(engine: Engine) -> None:
    queue(engine, 1, "sms", at=time.time() - 3 * 86_400 - 60)
    done = Worker(engine, None, FakeGateway(status=None)).send_due()
    (row,) = rows(engine).values()
    assert done.dead == 1 and row["state"] == "dead"
    assert str(row["last_error"]).startswith("not sent in 3 days; last: cannot reach it")


def test_without_a_mail_server_emails_wait_and_say_why_and_go_once_one_is_set(
    engine: Engine,
) -> None:
    mails, texts = queue(engine, 2, "email"), queue(engine, 1, "sms")
    gateway = FakeGateway()
    done = Worker(engine, None, gateway).send_due()
    found = rows(engine)
    assert done.sent == 1 and found[texts[0]]["state"] == "sent"
    for key in mails:
        assert found[key]["state"] == "pending" and found[key]["attempts"] == 0
        assert found[key]["last_error"] == "waiting: no mail server is set (--smtp)"
    mailbox = FakeMailbox()
    assert Worker(engine, mailbox, gateway).send_due().sent == 2
    assert [m.key for m in mailbox.sent] == mails
    assert all(r["last_error"] == "" for r in rows(engine).values())


def test_the_log_says_counts_and_gateways_words_never_a_number_an_address_or_a_text(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    queue(engine, 2, "sms")
    queue(engine, 2, "email")
    caplog.set_level(logging.INFO, "instore.server.outbox")
    Worker(engine, FakeMailbox(), FakeGateway(status=503)).send_due()
    with writing(engine) as conn:
        conn.execute(update(outbox).values(next_at=0))
    Worker(engine, FakeMailbox(), FakeGateway()).send_due()
    said = caplog.text
    assert "2 sent, 1 to try again" in said and "sms: the gateway said no" in said
    assert "outbox: 2 sent, 0 to try again, 0 dead" in said
    for secret in (PHONE, PHONE[-4:], EMAIL, "asha", "заявка", "CL-TEST"):
        assert secret not in said


def test_on_sqlite_a_second_worker_waits_until_the_first_stops(
    engine: Engine, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, "instore.server.outbox")
    monkeypatch.setattr(worker_module, "POLL_S", 0.05)
    first_gateway, second_gateway = FakeGateway(), FakeGateway()
    first = Worker(engine, None, first_gateway, poll_s=0.05)
    second = Worker(engine, None, second_gateway, poll_s=0.05)
    running = first.start()
    deadline = time.monotonic() + 10
    while "outbox worker started" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    waiting = second.start()
    deadline = time.monotonic() + 10
    while "another worker sends" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    keys = queue(engine, 3, "sms")
    _until(lambda: len(first_gateway.sent) == 3)
    assert second_gateway.sent == []
    assert [m.id for m in first_gateway.sent] == [sms_id(k) for k in keys]
    first.stop.set()
    running.join(10)
    with writing(engine) as conn:
        conn.execute(outbox.insert().values(
            key="voucher|web-1|sms", channel="sms", to=PHONE, kind="voucher", lang="en",
            body="You won", state="pending", next_at=0, created=time.time(),
        ))  # fmt: skip
    _until(lambda: len(second_gateway.sent) == 1)
    second.stop.set()
    waiting.join(10)
    assert [m.id for m in second_gateway.sent] == [sms_id("voucher|web-1|sms")]


def test_the_status_messages_of_a_claim_go_through_a_worker(engine: Engine) -> None:
    """The writer's rows as the worker reads them: the voucher SMS of a web win."""
    with writing(engine) as conn:
        assert writer.voucher_won(conn, PHONE, "web-abc", "Music, 3 months", "MUSIC-1", "ru", 0.0)
        assert not writer.voucher_won(
            conn, PHONE, "web-abc", "Music, 3 months", "MUSIC-1", "ru", 0.0
        )
    gateway = FakeGateway()
    Worker(engine, None, gateway).send_due()
    (sent,) = gateway.sent
    assert sent.text == "Вы выиграли: Music, 3 months! Ваш ваучер: MUSIC-1"
    assert (sent.kind, sent.to, sent.id) == ("voucher", PHONE, sms_id("voucher|web-abc|sms"))


def _until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_phone_erased_while_its_message_is_in_flight_is_not_kept_by_the_worker(
    engine: Engine, tmp_path: Path
) -> None:
    """An erasure that lands while the gateway has the message in hand (SQLite: the worker holds
    no row lock while sending) leaves the phone nowhere, not even in the SMS sent."""
    queue(engine, 1, "sms")

    class ErasedMeanwhile(FakeGateway):
        def send(self, message: Sms) -> None:
            super().send(message)
            person_erase.erase(engine, DocumentStore(tmp_path / "documents"), PHONE, "dpo")

    assert Worker(engine, None, ErasedMeanwhile()).send_due().sent == 1
    with engine.connect() as conn:
        assert PHONE not in conn.execute(select(sms_messages.c.phone)).scalars().all()
        assert conn.execute(select(outbox.c.to, outbox.c.state)).all() == [("", "dead")]
