"""A rejection's reason in the winner's language: the four languages hold the same listed
reasons, English is the verifier's own list, and a claim rejected with a listed reason and free
text keeps the reason's code, so its SMS and email say the reason in the claim's language and the
free text as written; English reads as before, and a reason sent again is forgotten."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from server_stub.accounts.users import Role, Viewer
from server_stub.database.schema import outbox as outbox_table
from server_stub.database.schema import prize_claims
from server_stub.play import i18n
from server_stub.prizes import claims, decision_reasons, outbox, verification
from server_stub.prizes.documents import DocumentStore
from tests.server_stub.prizes.test_claims import PHONE, documents, draft, photo, refused
from tests.world import World

VERA = Viewer(1, "vera", Role.VERIFIER)
ABE = Viewer(2, "abe", Role.APPROVER)
NOTE = "The invoice photo is blurred at the bottom."


@pytest.fixture
def store(tmp_path: Path) -> DocumentStore:
    return DocumentStore(tmp_path / "documents")


def rejected(engine: Engine, number: str, reason: str, note: str = NOTE) -> None:
    """Rejected as the dashboard does it: a verifier recommends, an approver decides."""
    verification.recommend(engine, VERA, number, "reject", reason, note)
    verification.decide(engine, ABE, number, "reject", reason, note)


def bodies(engine: Engine, number: str, kind: str = "claim_rejected") -> dict[str, str]:
    t = outbox_table.c
    query = select(t.channel, t.body).where(t.claim == number, t.kind == kind).order_by(t.id)
    with engine.connect() as conn:  # the latest rejection's, after a claim sent again
        return {row.channel: str(row.body) for row in conn.execute(query)}


def code_of(engine: Engine, number: str) -> str | None:
    c = prize_claims.c
    with engine.connect() as conn:
        found = conn.execute(select(c.reason_code).where(c.number == number)).scalar()
    return None if found is None else str(found)


def test_the_four_languages_hold_the_verifiers_reasons_translated() -> None:
    english = decision_reasons.catalogue("en")
    assert english["approve"] == verification.APPROVE_REASONS
    assert english["reject"] | {"other": ""} == verification.REJECT_REASONS
    assert decision_reasons.LANGUAGES == outbox.LANGUAGES == i18n.LANGUAGES
    assert sorted(p.stem for p in decision_reasons.FOLDER.glob("*.json")) == sorted(
        decision_reasons.LANGUAGES
    )
    for lang in decision_reasons.LANGUAGES:
        path = decision_reasons.FOLDER / f"{lang}.json"
        texts = json.loads(path.read_text(encoding="utf-8"))
        assert set(texts) == set(decision_reasons.DECISIONS), lang
        for decision, listed in texts.items():
            assert list(listed) == list(english[decision]), (lang, decision)  # same keys, order
            for code, words in listed.items():
                assert words.strip() == words and words and "\n" not in words, (lang, code)
                # said through the page's catalogue too: no placeholder to trip `format`
                assert not [f for _, f, _, _ in string.Formatter().parse(words) if f is not None]
                assert i18n.say(lang, f"reason.{code}") == words
                # an SMS carries 120 characters of a reason: the listed words always whole
                assert len(words) <= 100, (lang, code, len(words))
                if lang != "en":
                    assert words != english[decision][code] and not words.isascii(), (lang, code)


UNREADABLE = {
    "hi": "एक दस्तावेज़ पढ़ा नहीं जा रहा है। उसकी साफ़ फ़ोटो भेजें।",
    "ru": "Один из документов не читается. Пришлите более чёткое фото.",
}


@pytest.mark.parametrize("lang", sorted(UNREADABLE))
def test_a_rejection_is_told_in_the_claims_language_with_the_free_text_as_written(
    world: World, store: DocumentStore, lang: str
) -> None:
    w, words = world.setup(), UNREADABLE[lang]
    number = claims.file_claim(
        w.engine, store, draft(w, 7, email="asha@example.com", lang=lang), documents()
    )
    rejected(w.engine, number, "unreadable")
    assert code_of(w.engine, number) == "unreadable"
    english = verification.REJECT_REASONS["unreadable"]
    assert claims.show(w.engine, number)["reason"] == f"{english} {NOTE}"  # staff's words kept
    sent = bodies(w.engine, number)
    assert f"{words} {NOTE}" in sent["email"]
    assert f"{words} {NOTE[:-1]}" in sent["sms"]  # its full stop is the SMS's own
    for body in sent.values():
        assert english not in body and "Send a sharper photo" not in body
        assert ".." not in body and "।।" not in body


def test_english_reads_as_before_and_other_has_only_the_free_text(
    world: World, store: DocumentStore
) -> None:
    w = world.setup()
    plain = claims.file_claim(w.engine, store, draft(w, 7, email="a@example.com"), documents())
    rejected(w.engine, plain, "unreadable")
    english = verification.REJECT_REASONS["unreadable"]
    sent = bodies(w.engine, plain)
    assert f"The reason: {english} {NOTE}\n" in sent["email"]
    assert sent["sms"].startswith(
        f"Your prize claim {plain} was not approved: {english} {NOTE[:-1]}. You may send it"
    )  # the SMS's own full stop, not a second one

    own = claims.file_claim(w.engine, store, draft(w, 8, lang="kk"), documents())
    rejected(w.engine, own, "other", "Чекте дүкеннің мөрі жоқ.")
    assert code_of(w.engine, own) == "other"
    assert "мақұлданбады: Чекте дүкеннің мөрі жоқ. Оны" in bodies(w.engine, own)["sms"]


def test_a_reason_of_ones_own_or_stored_before_codes_is_shown_as_written() -> None:
    english = verification.REJECT_REASONS["name_mismatch"]
    assert decision_reasons.split(f"{english} Initials only.", "name_mismatch") == (
        "name_mismatch", "Initials only.",
    )  # fmt: skip
    assert decision_reasons.split(english, None) == (None, english)  # a claim from before 0013
    assert decision_reasons.split("Wrong words.", "name_mismatch") == (None, "Wrong words.")
    assert decision_reasons.split("A cat photo.", "other") == (None, "A cat photo.")
    assert decision_reasons.for_winner("ru", None, english) == english
    assert decision_reasons.for_winner("de", "name_mismatch", english) == english
    assert decision_reasons.for_winner("ru", "name_mismatch", f"{english} Только инициалы.") == (
        "ФИО в документах не совпадает с ФИО в заявке. Только инициалы."  # noqa: RUF001
    )


def test_the_code_is_checked_and_forgotten_when_the_claim_is_sent_again(
    world: World, store: DocumentStore
) -> None:
    w = world.setup()
    number = claims.file_claim(w.engine, store, draft(w, 7, lang="hi"), documents())
    claims.move(w.engine, number, "in_verification", "vera")
    with refused(422, "bad_reason"):
        claims.move(w.engine, number, "rejected", "vera", note="x", reason_code="made_up")
    assert claims.show(w.engine, number)["status"] == "in_verification"
    words = verification.REJECT_REASONS["duplicate"]
    claims.move(w.engine, number, "rejected", "vera", note=words, reason_code="duplicate")
    page = claims.status_page(w.engine, number, PHONE)
    assert page is not None
    assert (page["reason"], page["reason_code"], page["reason_note"]) == (words, "duplicate", "")
    claims.resubmit(w.engine, store, number, PHONE, {"invoice": photo()})
    assert code_of(w.engine, number) is None
    page = claims.status_page(w.engine, number, PHONE)
    assert page is not None and (page["reason"], page["reason_code"]) == ("", None)
    # rejected again with words of the verifier's own: no code, the words as written
    claims.move(w.engine, number, "in_verification", "vera")
    verification.recommend(w.engine, VERA, number, "reject", "Stamp missing.")
    verification.decide(w.engine, ABE, number, "reject", "Stamp missing.")
    assert code_of(w.engine, number) is None
    assert "मंज़ूर नहीं हुआ: Stamp missing। आप" in bodies(w.engine, number)["sms"]
