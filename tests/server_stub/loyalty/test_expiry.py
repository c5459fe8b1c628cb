"""Points expiry: the sweep expires what is due in batches and a second sweep changes nothing;
members hear once per expiry date, in their language, a set number of days ahead, and only
those with a phone who are not blocked; two sweeps at once do each thing once; the server's
sweeping thread stops when told."""

from __future__ import annotations

import string
import threading
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, select

from server_stub.database.loyalty_tables import lot_uses, lots
from server_stub.database.loyalty_tables import members as members_table
from server_stub.database.schema import outbox
from server_stub.loyalty import expiry, members
from server_stub.loyalty import lots as lot
from server_stub.loyalty.program import program, set_program


def at(year: int, month: int, day: int) -> float:
    return datetime(year, month, day, tzinfo=UTC).timestamp()


EARNED = at(2025, 12, 10)  # with 12 months: spendable through 31 December 2026
NOW = at(2026, 12, 5)  # 26 days before: inside the 30 days' notice


def member(conn: Connection, phone: str | None, lang: str = "en", card: str | None = None) -> int:
    if phone is None:
        conn.execute(members_table.insert().values(card=card, registered_via="sync", created=1.0))
        return int(
            conn.execute(
                select(members_table.c.id).where(members_table.c.card == card)
            ).scalar_one()
        )
    return members.register(conn, phone, lang=lang, card=card, via="centre", now=1.0)[0].id


def earn(conn: Connection, member_id: int, points: int, when: float, event: str) -> None:
    lot.earn(conn, member_id, points, partner_id="house", store_id="north", event_id=event,
             at=when, program=program(conn))  # fmt: skip


def messages(engine: Engine) -> list[tuple[str, str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.key, outbox.c.to, outbox.c.lang, outbox.c.body).order_by(outbox.c.id)
        ).all()
    return [(r.key, r.to, r.lang, r.body) for r in rows]


def test_a_sweep_expires_what_is_due_in_batches_and_a_second_changes_nothing(db: Engine) -> None:
    with db.begin() as conn:
        set_program(conn, expiry_months=1, expiry_notice_days=0)
        ann = member(conn, "+77011234567")
        for i in range(5):
            earn(conn, ann, 10 + i, at(2026, 1, 3 + i), f"old-{i}")  # expire 1 March 2026
        earn(conn, ann, 7, at(2026, 2, 1), "newer")  # expires 1 April
    done = expiry.sweep(db, now=at(2026, 3, 2), grace=0, batch=2)
    assert (done.lots, done.reminders) == (5, 0)
    assert "5 lot(s) of points expired" in done.summary()
    assert expiry.sweep(db, now=at(2026, 3, 2), grace=0, batch=2) == expiry.Swept(0, 0)
    with db.connect() as conn:
        held = lot.balance(conn, ann, at(2026, 3, 2))
        expired = conn.execute(
            select(func.sum(lot_uses.c.points)).where(lot_uses.c.kind == "expire")
        ).scalar_one()
    assert (held.available, expired) == (7, 10 + 11 + 12 + 13 + 14)


def test_members_are_told_once_per_expiry_date_in_their_language(db: Engine) -> None:
    with db.begin() as conn:
        set_program(conn, expiry_notice_days=30)
        ru = member(conn, "+77011234567", "ru")
        en = member(conn, "+919876543210", "en")
        kk = member(conn, "+77017654321", "kk")
        blocked = member(conn, "+77019998877", "en")
        members.block(conn, blocked, "card stolen", 1.0)
        no_phone = member(conn, None, card="M1001")
        for m in (ru, en, kk, blocked, no_phone):
            earn(conn, m, 120, EARNED, f"a-{m}")
        earn(conn, ru, 1, EARNED + 86_400, f"b-{ru}")  # same date: one text of 121 points
        earn(conn, en, 50, at(2026, 1, 2), f"c-{en}")  # 31 January 2027: not yet
    assert (
        expiry.sweep(db, now=at(2026, 11, 30), grace=0).reminders == 0
    )  # 31 days ahead: too early
    assert expiry.sweep(db, now=NOW, grace=0).reminders == 3
    sent = messages(db)
    assert [(to, lang, body) for _, to, lang, body in sent] == [
        ("+77011234567", "ru", "121 балл сгорит 31 декабря."),
        ("+919876543210", "en", "120 points expire on 31 December."),
        ("+77017654321", "kk", "120 ұпайдың мерзімі 31 желтоқсан күні бітеді."),
    ]
    assert sent[0][0] == f"expiry|{ru}|{round(at(2027, 1, 1))}|sms"
    # again, a day later, after a spend: nothing new for that date
    with db.begin() as conn:
        assert lot.spend(conn, en, 20, event_id="s-1", redeemer="house", store_id="north",
                         at=NOW) == 0  # fmt: skip
    assert expiry.sweep(db, now=NOW + 86_400, grace=0).reminders == 0
    assert messages(db) == sent
    # January's points: told in January's window, and the year named when it is next year's
    assert expiry.sweep(db, now=at(2027, 1, 2), grace=0).reminders == 1
    assert messages(db)[-1][3] == "50 points expire on 31 January."
    assert expiry.reminder("en", 50, at(2027, 2, 1), NOW) == "50 points expire on 31 January 2027."


def test_no_text_when_the_program_gives_no_notice(db: Engine) -> None:
    with db.begin() as conn:
        set_program(conn, expiry_notice_days=0)
        earn(conn, member(conn, "+77011234567"), 120, EARNED, "a")
    assert expiry.sweep(db, now=NOW, grace=0).reminders == 0 and messages(db) == []


def test_two_sweeps_at_once_expire_and_tell_each_thing_once(db: Engine) -> None:
    with db.begin() as conn:
        set_program(conn, expiry_months=1, expiry_notice_days=30)
        for i in range(20):
            m = member(conn, f"+7701123{i:04d}")
            earn(conn, m, 5, at(2026, 1, 5), f"old-{i}")  # due at 1 March
            earn(conn, m, 9, at(2026, 2, 5), f"soon-{i}")  # 1 April: tell by 2 March
    results: list[expiry.Swept] = []
    go = threading.Barrier(2)

    def run() -> None:
        go.wait()
        results.append(expiry.sweep(db, now=at(2026, 3, 5), grace=0, batch=3))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(r.lots for r in results) == 20 and sum(r.reminders for r in results) == 20
    with db.connect() as conn:
        uses = conn.execute(select(func.count()).select_from(lot_uses)).scalar_one()
        left = conn.execute(select(func.sum(lots.c.remaining))).scalar_one()
    assert (uses, left, len(messages(db))) == (20, 20 * 9, 20)


def test_the_languages_hold_the_same_words_and_fit_one_text() -> None:
    english = expiry.texts("en")
    for lang in expiry.LANGUAGES:
        words = expiry.texts(lang)
        assert words.keys() == english.keys() and len(words["months"]) == 12, lang
        for key in ("sms_one", "sms_few", "sms_many"):
            named = {n for _, n, _, _ in string.Formatter().parse(words[key]) if n}
            assert named == {"points", "date"}, (lang, key)
        for points in (1, 3, 21, 120, 1_234_567):
            text = expiry.reminder(lang, points, at(2027, 10, 1), NOW)
            assert len(text) <= 70, text  # one SMS even in UCS-2 (Cyrillic, Devanagari)
    assert expiry.reminder("ru", 3, at(2027, 1, 1), NOW) == "3 балла сгорят 31 декабря."
    assert expiry.reminder("ru", 11, at(2027, 1, 1), NOW) == "11 баллов сгорят 31 декабря."
    assert expiry.reminder("hi", 120, at(2027, 1, 1), NOW) == "120 अंक 31 दिसंबर को समाप्त हो जाएंगे।"
    assert expiry.reminder("xx", 2, at(2027, 1, 1), NOW) == "2 points expire on 31 December."


def test_the_servers_sweeping_thread_runs_and_stops(db: Engine) -> None:
    with db.begin() as conn:
        set_program(conn, expiry_months=1, expiry_notice_days=0)
        earn(conn, member(conn, "+77011234567"), 5, at(2020, 1, 5), "long-ago")
    thread, stop = expiry.start_sweeping(db, first_after_s=0.0, every_s=0.05)
    try:
        for _ in range(100):
            with db.connect() as conn:
                if conn.execute(select(lots.c.remaining)).scalar_one() == 0:
                    break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    with db.connect() as conn:
        assert conn.execute(select(lots.c.remaining)).scalar_one() == 0


def test_an_expired_lot_waits_out_the_offline_window_for_a_till_that_spent_it_before(
    db: Engine,
) -> None:
    """A till offline on the last evening spends points valid until midnight and syncs the next
    day: the sweep after midnight has left the lot alone (the longest a till may stay offline,
    72 hours unless set), so the spend finds its points; the sweep after that window expires
    what is left. The balance leaves the lot out from midnight all the same."""
    with db.begin() as conn:
        set_program(conn, expiry_months=1, expiry_notice_days=0)
        ann = member(conn, "+77011234567")
        earn(conn, ann, 100, at(2026, 1, 10), "january")  # spendable through 28 February
    assert expiry.sweep(db, now=at(2026, 3, 1) + 300).lots == 0
    with db.begin() as conn:
        assert lot.balance(conn, ann, at(2026, 3, 1) + 300).available == 0
        short = lot.spend(conn, ann, 80, event_id="evening", redeemer="house", store_id="north",
                          at=at(2026, 3, 1) - 3600)  # fmt: skip
    assert short == 0
    assert expiry.sweep(db, now=at(2026, 3, 3)).lots == 0  # still inside the 72 hours
    assert expiry.sweep(db, now=at(2026, 3, 4) + 60).lots == 1
    with db.connect() as conn:
        expired = conn.execute(
            select(func.sum(lot_uses.c.points)).where(lot_uses.c.kind == "expire")
        ).scalar_one()
    assert expired == 20
