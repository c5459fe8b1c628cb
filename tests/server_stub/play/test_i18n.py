"""The shopper's web speaks every language whole: each catalogue has the English keys, keeps the
parameters the program fills, and the one-time password SMS carries no number but the code, in
one message."""

from __future__ import annotations

import re
import string

import pytest

from server_stub.play import i18n

TRANSLATIONS = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT]
CODE = "482913"


def placeholders(words: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(words) if field is not None}


@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_every_language_has_exactly_the_english_keys(lang: str) -> None:
    english, words = set(i18n.catalogue("en")), set(i18n.catalogue(lang))
    assert not english - words, f"{lang} misses {sorted(english - words)}"
    assert not words - english, f"{lang} has keys English lacks: {sorted(words - english)}"


@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_every_translation_keeps_the_english_placeholders(lang: str) -> None:
    english = i18n.catalogue("en")
    for key, words in i18n.catalogue(lang).items():
        assert isinstance(words, str) and words.strip(), f"{lang} {key} is empty"
        assert placeholders(words) == placeholders(english.get(key, words)), (
            f"{lang} {key}: {words!r}"
        )
        # Said in its own language, not quietly replaced by the English fallback.
        params = dict.fromkeys(placeholders(words), "X")
        assert i18n.say(lang, key, **params) == words.format(**params)


@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_each_language_names_itself(lang: str) -> None:
    names = {other: i18n.catalogue(other)["language.name"] for other in i18n.LANGUAGES}
    assert list(names.values()).count(names[lang]) == 1
    assert not names[lang].isascii(), f"{lang} is named in Latin letters: {names[lang]}"


@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_the_password_sms_holds_the_code_and_no_other_digit(lang: str) -> None:
    words = i18n.catalogue(lang)["sms.otp"]
    assert "code" in placeholders(words)
    assert not [c for c in words if c.isdigit()], f"{lang} sms.otp has a digit: {words!r}"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_sent_password_sms_has_one_six_digit_number_and_fits_one_message(lang: str) -> None:
    text = i18n.say(lang, "sms.otp", code=CODE)
    assert re.findall(r"(?<!\d)\d{6}(?!\d)", text) == [CODE]
    # One SMS: 160 characters in the GSM alphabet, 70 once the text needs Unicode.
    assert len(text) <= (160 if text.isascii() else 70), f"{lang}: {len(text)} characters"
