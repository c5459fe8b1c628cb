"""The messages a claim's steps write to the outbox: an SMS and an email (where the winner gave
an address) for each step, in the winner's language, with the claim's number and status link;
one message per step however often it is written, a second pass after a resubmission its own,
none for a step rolled back; and the four languages' texts held to the same kinds and
placeholders."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from server_stub.database.connection import writing
from server_stub.database.schema import outbox as outbox_table
from server_stub.database.schema import prize_claims
from server_stub.errors import ApiError
from server_stub.prizes import claims, outbox
from server_stub.prizes.documents import DocumentStore
from tests.server_stub.prizes.test_claims import PHONE, documents, draft, photo
from tests.world import World

LINK = "https://play.example.com/play/status?claim="


@pytest.fixture
def store(tmp_path: Path) -> DocumentStore:
    return DocumentStore(tmp_path / "documents")


def written(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(outbox_table).order_by("id"))]


def test_every_step_of_a_claim_writes_an_sms_and_an_email_in_the_winners_language(
    world: World, store: DocumentStore
) -> None:
    w = world.setup()
    outbox.set_public_url(w.engine, "https://play.example.com")
    number = claims.file_claim(
        w.engine, store, draft(w, 7, email="asha@example.ru", lang="ru"), documents()
    )
    claims.move(w.engine, number, "in_verification", "vera")
    claims.move(w.engine, number, "rejected", "vera", note="Фото чека размыто.")
    claims.resubmit(w.engine, store, number, PHONE, {"invoice": photo()})
    for status in ("in_verification", "approved"):
        claims.move(w.engine, number, status, "vera")
    claims.move(w.engine, number, "dispatched", "lee", carrier="DHL", tracking="JD0142")
    claims.move(w.engine, number, "delivered", "lee")

    rows = written(w.engine)
    steps = ["received", "in_verification", "rejected", "received|2", "in_verification|2",
             "approved|2", "dispatched|2", "delivered|2"]  # fmt: skip
    assert [r["key"] for r in rows] == [
        f"claim|{number}|{step.split('|')[0]}|{channel}" + ("|2" if "|" in step else "")
        for step in steps for channel in ("sms", "email")
    ]  # fmt: skip
    for row in rows:
        assert row["claim"] == number and row["lang"] == "ru" and row["state"] == "pending"
        assert row["to"] == (PHONE if row["channel"] == "sms" else "asha@example.ru")
        assert number in str(row["body"]) and LINK + number in str(row["body"])
        assert (row["subject"] != "") is (row["channel"] == "email")
    by_kind = {(r["kind"], r["channel"]): str(r["body"]) for r in rows}
    assert by_kind[("claim_received", "email")].startswith("Здравствуйте!")
    assert "Фото чека размыто." in by_kind[("claim_rejected", "sms")]
    assert "DHL" in by_kind[("claim_dispatched", "sms")]
    assert "JD0142" in by_kind[("claim_dispatched", "email")]
    assert {r["subject"] for r in rows if r["kind"] == "claim_approved"} == {
        f"Заявка {number} одобрена", ""
    }  # fmt: skip


def test_a_step_written_again_is_one_message_and_a_winner_without_email_gets_sms_only(
    world: World, store: DocumentStore
) -> None:
    w = world.setup()
    number = claims.file_claim(w.engine, store, draft(w, 7), documents())
    with writing(w.engine) as conn:  # a retried transaction, a step recorded twice
        assert outbox.claim_changed(conn, number, "received", 0.0) == 0
        assert outbox.claim_changed(conn, number, "no_such_status", 0.0) == 0
    (row,) = written(w.engine)
    assert (row["channel"], row["lang"], row["key"]) == (
        "sms",
        "en",
        f"claim|{number}|received|sms",
    )
    assert (
        row["body"]
        == f"We have received your prize claim {number}. Follow it: /play/status?claim={number}"
    )


def test_a_step_rolled_back_leaves_no_message(world: World, store: DocumentStore) -> None:
    w = world.setup()
    number = claims.file_claim(w.engine, store, draft(w, 7, email="a@example.com"), documents())
    with pytest.raises(RuntimeError), writing(w.engine) as conn:
        claims._add_step(conn, number, 0.0, "in_verification", "", "vera")
        raise RuntimeError("the move fails after its step")
    assert {r["kind"] for r in written(w.engine)} == {"claim_received"}
    with pytest.raises(ApiError, match="cannot move"):
        claims.move(w.engine, number, "delivered", "lee")
    assert len(written(w.engine)) == 2


def test_a_long_reason_is_cut_in_the_sms_and_whole_in_the_email(
    world: World, store: DocumentStore
) -> None:
    w = world.setup()
    number = claims.file_claim(w.engine, store, draft(w, 7, email="a@example.com"), documents())
    reason = "The invoice does not show the product. " * 10
    claims.move(w.engine, number, "in_verification", "vera")
    claims.move(w.engine, number, "rejected", "vera", note=reason)
    bodies = {
        r["channel"]: str(r["body"]) for r in written(w.engine) if r["kind"] == "claim_rejected"
    }
    assert reason.strip() in bodies["email"]
    assert (
        reason[:100] in bodies["sms"]
        and reason.strip() not in bodies["sms"]
        and "…" in bodies["sms"]
    )


def test_an_erased_winner_is_sent_nothing_more_and_their_messages_keep_no_address(
    world: World, store: DocumentStore
) -> None:
    w = world.setup()
    number = claims.file_claim(w.engine, store, draft(w, 7, email="a@example.com"), documents())
    with writing(w.engine) as conn:
        assert outbox.forget(conn, number) == 2
        conn.execute(prize_claims.update().values(erased=1.0))
    claims.move(w.engine, number, "in_verification", "vera")
    rows = written(w.engine)
    assert len(rows) == 2
    assert all(r["state"] == "dead" and r["to"] == "" and r["body"] == "" for r in rows)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_four_languages_hold_the_same_kinds_texts_and_placeholders() -> None:
    english = outbox.templates("en")
    assert set(english) == {*outbox.CLAIM_KINDS.values(), outbox.VOUCHER}
    for lang in outbox.LANGUAGES:
        texts = json.loads((outbox.MESSAGES / f"{lang}.json").read_text(encoding="utf-8"))
        assert set(texts) == set(english), lang
        for kind, parts in texts.items():
            assert set(parts) == set(outbox.PARTS), (lang, kind)
            for part, text in parts.items():
                used = _placeholders(text)
                assert used == _placeholders(english[kind][part]), (lang, kind, part)
                assert used <= outbox.PLACEHOLDERS[kind], (lang, kind, part)
                assert text.strip() and "\n" not in (text if part != "email" else "x"), (lang, kind)
                if lang != "en":
                    assert text != english[kind][part], (lang, kind, part)  # translated
            if kind != outbox.VOUCHER:
                for part in ("email", "sms"):
                    assert {"number", "link"} <= _placeholders(parts[part]), (lang, kind, part)
    assert sorted(p.stem for p in outbox.MESSAGES.glob("*.json")) == sorted(outbox.LANGUAGES)


def test_a_language_we_lack_is_written_in_english() -> None:
    texts = outbox.render("de", "claim_delivered", {"number": "CL-1", "link": "L"})
    assert texts["subject"] == "Claim CL-1: delivered"
    assert re.search(r"CL-1.*L$", texts["sms"])
