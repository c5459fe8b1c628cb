"""The menus' words: four languages with the same keys and placeholders, and every screen held
to 182 characters in Russian and Kazakh when the names in it run long (a long program name, long
prize and partner names, big numbers): the text is cut with "…", the options never."""

from __future__ import annotations

import json
import string
import time

import pytest
from sqlalchemy import Engine

from server_stub.catalog.device_config import set_config
from server_stub.database.connection import writing
from server_stub.device_api.service import SyncService
from server_stub.loyalty import members
from server_stub.loyalty.program import set_program
from server_stub.ussd import texts
from server_stub.ussd.reply import LIMIT, Reply
from server_stub.ussd.service import UssdService
from tests.server_stub.ussd.session import PHONE_IN, Dial, member_with_points


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _forms(entry: texts.Entry) -> list[str]:
    return list(entry.values()) if isinstance(entry, dict) else [entry]


# the plural forms each language's counted words take (expiry.plural's)
FORMS = {"en": {"one", "many"}, "hi": {"one", "many"}, "ru": {"one", "few", "many"},
         "kk": {"one", "many"}}  # fmt: skip


def test_the_four_languages_hold_the_same_keys_and_placeholders() -> None:
    english = texts.catalogue("en")
    assert set(texts.LANGUAGES) == {p.stem for p in texts.HERE.glob("*.json")}
    for lang in texts.LANGUAGES:
        words = json.loads((texts.HERE / f"{lang}.json").read_text(encoding="utf-8"))
        assert set(words) == set(english), lang
        for key, entry in words.items():
            if isinstance(entry, dict):  # by plural form: every form the language has
                assert set(entry) == FORMS[lang], (lang, key)
            for text in _forms(entry):
                assert _placeholders(text) == _placeholders(_forms(english[key])[0]), (lang, key)
                assert text.strip() and "\n" not in text, (lang, key)


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", ["1 point is not ready", "2 points are not ready", "21 points are not ready"]),
        ("hi", ["1 पॉइंट अभी खर्च नहीं हो सकता।", "2 पॉइंट अभी खर्च नहीं हो सकते।",
                "21 पॉइंट अभी खर्च नहीं हो सकते।"]),
        ("ru", ["1 балл пока", "2 балла пока", "21 балл пока", "5 баллов пока", "11 баллов пока",
                "12 баллов пока", "22 балла пока"]),
    ],
)  # fmt: skip
def test_counts_take_their_languages_plural_forms(lang: str, said: list[str]) -> None:
    for words in said:
        n = int(words.split()[0])
        assert texts.say(lang, "balance.pending", pending=n).startswith(words), (lang, n)
    assert texts.say("en", "balance.points", available=1) == "You have 1 point."
    assert texts.say("en", "balance.expiring", points=1, date="31 December") == (
        "1 point expires on 31 December."
    )
    assert texts.say("ru", "balance.expiring", points=3, date="31 декабря") == (
        "31 декабря сгорят 3 балла."
    )
    assert texts.say("en", "prizes.line", name="Cap", points=1) == "Cap: 1 pt"
    assert texts.say("kk", "balance.points", available=1) == "Сізде 1 ұпай бар."  # noqa: RUF001


def test_a_reply_cuts_its_text_and_keeps_its_options() -> None:
    reply = Reply("я" * 300, ("1. Ещё", "0. Назад"))
    assert len(reply.body) == LIMIT and reply.body.endswith("…\n1. Ещё\n0. Назад")
    assert Reply("short", ("0. Back",)).body == "CON short\n0. Back"
    assert Reply("bye", end=True).body == "END bye"


@pytest.fixture
def long_names(engine: Engine) -> UssdService:
    now = time.time()
    with writing(engine) as conn:
        set_program(conn, name="Коалиционная программа лояльности «Бонусы без границ» " * 3)
    member_with_points(engine, PHONE_IN, "ru", now)
    long = "Беспроводные наушники: шумоподавление, зарядный футляр, цвет графит "
    prizes = [{"id": f"p{i}", "name": f"{long}{i}", "points": 10**9 + i} for i in range(9)]
    set_config(engine, None, catalogue=prizes)
    return UssdService(engine, SyncService(engine))


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_screen_fits_182_characters_in_russian_and_kazakh(
    engine: Engine, long_names: UssdService, lang: str
) -> None:
    with writing(engine) as conn:
        member = members.find(conn, PHONE_IN)
        assert member is not None
        members.set_lang(conn, member.id, lang)
    dial = Dial(long_names, PHONE_IN)
    walk = ["1", "77", "0", "2", "x", "0", "3", "9", "x", "9", "0", "0", "0", "4", "ZZZZ", "0",
            "5", "x"]  # fmt: skip
    bodies = [dial.open(), *(dial.answer(typed) for typed in walk)]
    assert all(len(body) <= LIMIT for body in bodies)  # Dial checks each too
    cut = [body for body in bodies if "…" in body]
    assert cut and max(len(body) for body in bodies) >= LIMIT - 10  # the limit was reached
    prize_pages = [b for b in bodies if texts.say(lang, "prizes.title") in b]
    assert len({b for b in prize_pages}) >= 3  # long names: a few to a page, paged with 9
    for body in bodies:
        assert body.rstrip().endswith(("0. " + texts.say(lang, "option.back"),
                                       "0. " + texts.say(lang, "option.exit"))), body  # fmt: skip
