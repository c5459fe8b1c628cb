"""One person's data by their phone: `instore admin person export` gives all of it, and `erase`
leaves counts and the audit trail but nothing of the person in any table (every table's text is
searched), refuses a prize being shipped unless forced, and cannot be half done."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, update

from instore_cli import main as instore
from server_stub.database.schema import (
    WEB_DEVICE,
    balances,
    claim_documents,
    claim_timeline,
    conflicts,
    devices,
    event_counts,
    events,
    feed,
    member_stores,
    metadata,
    otp_codes,
    outbox,
    play_sessions,
    prize_claims,
    sms_messages,
)
from server_stub.device_api.service import SyncService
from server_stub.errors import ApiError
from server_stub.notifications.sms import gateway_for
from server_stub.phones import otp
from server_stub.play import visits, web_redeem
from server_stub.prizes import claims, person_erase
from server_stub.prizes.documents import DocumentStore
from tests.server_stub.play.shopper import TIERS, serial_of_tier
from tests.server_stub.prizes.test_claims import documents, draft
from tests.world import World

PHONE = "+919812345678"
DETAILS = {
    "name": "Zinnia Quartermaine", "address": "42 Quokka Lane\nZyxville 560001",
    "email": "zinnia.q@example.org", "id_number": "ZQ 9988 7766",
    "invoice_number": "INV-ZQ-5511", "city": "Zyxville",
}  # fmt: skip
# nothing of these may be left anywhere after the erasure
SECRETS = (
    PHONE, PHONE[3:], "Zinnia", "Quartermaine", "Quokka", "Zyxville", "zinnia.q",
    "ZQ 9988 7766", "INV-ZQ-5511",
)  # fmt: skip


class Person:
    """A winner's whole footprint: a password and its SMS, a visit, a won code on the web and
    a mistyped one, two claims (one in verification with a note naming them, one approved),
    messages, a loyalty balance, and a till's event past a gap in its chain."""

    def __init__(self, w: World, tmp_path: Path) -> None:
        self.w, self.engine = w, w.engine
        self.store = DocumentStore(tmp_path / "documents")
        service = SyncService(self.engine)
        with self.engine.connect() as conn:
            rechecker = service.rechecker(conn)
        checker = web_redeem.CheckerCache().checker(rechecker)
        otp.send_otp(self.engine, gateway_for(f"file://{tmp_path / 'sms'}"), PHONE, "play",
                     source="203.0.113.9")  # fmt: skip
        visits.confirm(
            self.engine, visits.await_phone(self.engine, visits.anonymous(), PHONE), PHONE
        )
        gold, other = (serial_of_tier(w, "gold", n) for n in (0, 1))
        won = web_redeem.redeem(self.engine, rechecker, checker, PHONE, w.code(gold))
        web_redeem.redeem(self.engine, rechecker, checker, PHONE, "HV-NOT-A-CODE")
        self.numbers = [
            claims.file_claim(self.engine, self.store, draft(
                w, serial, event_id=event, phone=PHONE, lang="hi", listed=True, **DETAILS,
            ), documents())
            for serial, event in ((gold, won.event_id), (other, f"web-{other}"))
        ]  # fmt: skip
        first, second = self.numbers
        claims.move(self.engine, first, "in_verification", "vera",
                    note=f"Called Zinnia Quartermaine on {PHONE}: ID ZQ 9988 7766 is fine")  # fmt: skip
        claims.move(self.engine, second, "in_verification", "vera")
        claims.move(self.engine, second, "approved", "april")
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(insert(outbox), [
                _message("test|voucher|sms", "sms", PHONE, None, "pending", now),
                _message(f"test|{second}|email", "email", DETAILS["email"], second,
                         "sent", now),
                # a dead letter: the mail server's refusal says the address back
                _message(f"test|{first}|email", "email", DETAILS["email"], first, "dead", now,
                         "the mail server at mx.example.org:25 refused the address (550 5.1.1"
                         " <zinnia.q@example.org>: Recipient address rejected)"),
            ])  # fmt: skip
            conn.execute(insert(balances).values(member=PHONE, balance=120, updated=now))
            conn.execute(insert(member_stores).values(member=PHONE, store_id="s1"))
            conn.execute(insert(feed).values(kind="balance", target_store="s1",
                                             data=json.dumps([PHONE, 120]), created=now))  # fmt: skip
            conn.execute(insert(conflicts).values(kind="overdraft", member=PHONE, loser_event="e1",
                                                  loser_device="d1", created=now))  # fmt: skip
            conn.execute(insert(devices).values(id="till-9", store_id="s1", name="Till 9",
                                                created=now, chain_hash="0" * 64, max_seq=5))  # fmt: skip
            conn.execute(insert(events).values(
                event_id="till-9-5", device_id="till-9", seq=5, kind="accrue",
                payload=json.dumps({"context": {"member": PHONE}, "amount": 125}), local_time="x",
                prev_hash="a" * 64, mac="b" * 64, received=now, verdict="accepted", store_id="s1",
                member=PHONE,
            ))  # fmt: skip

    def rows(self, table: Any, *where: Any) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
            )

    def left_anywhere(self) -> list[str]:
        """Each table and secret still found in any of its rows' text."""
        found = []
        with self.engine.connect() as conn:
            for table in metadata.sorted_tables:
                text = "\n".join(str(tuple(r)) for r in conn.execute(select(table)))
                found += [f"{table.name}: {s}" for s in SECRETS if s.lower() in text.lower()]
        return found


def _message(
    key: str, channel: str, to: str, claim: str | None, state: str, now: float, error: str = ""
) -> dict[str, Any]:
    return {"key": key, "channel": channel, "to": to, "kind": "claim_approved", "claim": claim,
            "subject": "Zinnia, your prize", "body": "Dear Zinnia Quartermaine", "state": state,
            "next_at": now, "created": now, "last_error": error}  # fmt: skip


@pytest.fixture
def someone(world: World, tmp_path: Path) -> Person:
    return Person(world.setup(tiers=TIERS), tmp_path)


def _cli(engine: Engine, store: DocumentStore, *words: str) -> list[str]:
    return ["admin", "--db", str(engine.url), "person", *words, "--phone", "+91 98123 45678",
            "--documents-dir", str(store.root)]  # fmt: skip


def test_export_has_everything_held_about_the_phone(
    someone: Person, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "export"
    assert (
        instore([*_cli(someone.engine, someone.store, "export", "--out", str(out)), "--json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["phone"] == PHONE
    assert [c["number"] for c in data["claims"]] == someone.numbers
    first = data["claims"][0]
    assert {k: first[k] for k in DETAILS} == DETAILS and first["lang"] == "hi"
    assert [s["status"] for s in first["timeline"]] == ["received", "in_verification"]
    assert (
        "Called Zinnia" in first["timeline"][1]["note"] and first["timeline"][1]["actor"] == "vera"
    )
    assert sorted(d["kind"] for d in first["documents"]) == ["id_back", "id_front", "invoice"]
    for claim in data["claims"]:  # the files too, under the names the JSON gives
        for document in claim["documents"]:
            copied = (out / document["file"]).read_bytes()
            assert copied == someone.store.read(document["stored"])
            assert (out / document["file"]).stat().st_mode & 0o077 == 0
    sent = {(m["channel"], m["to"]) for m in data["messages"]}
    assert {("sms", PHONE), ("email", DETAILS["email"])} <= sent
    assert [s["kind"] for s in data["sms"]] == ["otp"]
    assert data["one_time_passwords"]["count"] == 1 and data["visits"]["open"] == 1
    assert {a["what"] for a in data["attempts"]} >= {"otp_phone", "otp_wait", "play_wrong_code"}
    assert {r["event_id"] for r in data["redemptions"]} >= {"till-9-5"}
    assert any(r["tier"] == "gold" and r["code"] for r in data["redemptions"])
    assert data["loyalty"] == {"balance": 120, "stores": ["s1"], "conflicts": [1]}


def test_erasure_keeps_counts_and_audit_lines_but_not_the_person(
    someone: Person, capsys: pytest.CaptureFixture[str]
) -> None:
    engine, store = someone.engine, someone.store
    first, second = someone.numbers
    counts_before = _counts(someone)
    lines_before = someone.rows(claim_timeline)

    # without --yes: only what it would do
    assert instore(_cli(engine, store, "erase")) == 1
    said = capsys.readouterr()
    assert f"claim {first} (in_verification): withdrawn" in said.out and "add --yes" in said.err
    # a prize being shipped is refused without --force; nothing is erased
    assert instore(_cli(engine, store, "erase", "--yes")) == 1
    assert second in capsys.readouterr().err
    assert (
        someone.left_anywhere()
        and someone.rows(prize_claims, prize_claims.c.erased.is_not(None)) == 0
    )

    assert (
        instore([*_cli(engine, store, "erase", "--yes", "--force", "--by", "dpo"), "--json"]) == 0
    )
    done = json.loads(capsys.readouterr().out)
    assert done["erased"] and done["claims"] == 2 and done["withdrawn"] == 1
    assert done["documents"] == 6 and done["waiting"] == 1
    # the till's event past its chain's gap keeps its signed payload until the gap closes
    assert someone.left_anywhere() == ["events: " + PHONE, "events: " + PHONE[3:]]
    with engine.begin() as conn:
        conn.execute(update(devices).where(devices.c.id == "till-9").values(chain_seq=5))
    assert instore([*_cli(engine, store, "erase", "--yes", "--json")]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["claims"], again["redemptions"], again["waiting"]) == (0, 1, 0)
    assert someone.left_anywhere() == []

    # what stays: every row and count, under one placeholder per phone, and the audit trail
    assert _counts(someone) == counts_before
    with engine.connect() as conn:
        kept = conn.execute(select(prize_claims).order_by(prize_claims.c.created)).all()
        steps = conn.execute(
            select(claim_timeline.c.number, claim_timeline.c.status, claim_timeline.c.note,
                   claim_timeline.c.actor).order_by(claim_timeline.c.id)
        ).all()  # fmt: skip
        files = conn.execute(select(claim_documents.c.stored, claim_documents.c.deleted)).all()
        messages = conn.execute(
            select(outbox.c.to, outbox.c.state, outbox.c.body, outbox.c.last_error)
        ).all()
    assert {c.phone for c in kept} == {done["phone"]} and done["phone"].startswith("erased:")
    assert [(c.status, c.erased is not None, c.listed) for c in kept] == [
        ("rejected", True, False), ("approved", True, False),
    ]  # fmt: skip
    assert len(steps) == lines_before + 2
    # one line per claim, in the claims' order (two filed at one moment: either may come first)
    assert sorted((s.status, s.actor) for s in steps[-2:]) == [
        ("approved", "dpo"),
        ("rejected", "dpo"),
    ]
    assert all("erased on request" in s.note for s in steps[-2:])
    assert any(s.note.startswith("Called [erased] on [erased]") for s in steps)
    assert all(f.deleted is not None and not (store.root / f.stored).exists() for f in files)
    assert all(m.to == "" and m.body == "" for m in messages)
    assert all(m.state in ("dead", "sent") for m in messages)  # none waits to be sent
    refusals = [m.last_error for m in messages if "550" in m.last_error]  # the gateway's words
    assert refusals == ["the mail server at mx.example.org:25 refused the address (550 5.1.1"
                        " <[erased]>: Recipient address rejected)"]  # fmt: skip
    assert someone.rows(play_sessions) == 0  # signed out
    # nobody can follow the claims with the old phone, nor list them
    assert claims.status_page(engine, first, PHONE) is None
    assert claims.claims_of_phone(engine, PHONE) == []


def test_erasing_a_phone_nobody_knows_is_refused_in_words_and_changes_nothing(
    someone: Person, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _counts(someone)
    with pytest.raises(ApiError) as refused:
        person_erase.erase(someone.engine, someone.store, "+919800000009", "dpo")
    assert (refused.value.status, refused.value.code) == (404, "unknown_person")
    words = ["admin", "--db", str(someone.engine.url), "person", "erase", "--phone",
             "+91 98000 00009", "--documents-dir", str(someone.store.root)]  # fmt: skip
    for more in ([], ["--yes"], ["--yes", "--force"]):
        assert instore([*words, *more]) == 1
        said = capsys.readouterr()
        assert "nothing is held about +919800000009" in said.err and "Traceback" not in said.err
    assert instore([*words, "--yes", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"] == "unknown_person"
    assert _counts(someone) == before and someone.left_anywhere()


def test_the_placeholder_is_the_same_for_the_same_phone_and_reads_nothing_back(
    someone: Person,
) -> None:
    with someone.engine.begin() as conn:
        one, two = (person_erase.erased_phone(conn, PHONE) for _ in range(2))
        other = person_erase.erased_phone(conn, "+919800000009")
    assert one == two != other and PHONE[3:] not in one and len(one) <= 32


def _counts(someone: Person) -> dict[str, int]:
    with someone.engine.connect() as conn:
        redeemed = conn.execute(select(func.sum(event_counts.c.count))).scalar_one()
    return {
        "claims": someone.rows(prize_claims), "documents": someone.rows(claim_documents),
        "events": someone.rows(events), "web": someone.rows(events, events.c.device_id == WEB_DEVICE),
        "passwords": someone.rows(otp_codes), "sms": someone.rows(sms_messages),
        "messages": someone.rows(outbox), "counted": int(redeemed),
    }  # fmt: skip
