"""Typing and scanning: normalisation, links in QR codes, and what the check symbol catches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codes import crockford
from codes.crockford import ALPHABET, NotACode, normalise


@pytest.mark.parametrize(
    ("typed", "compact"),
    [
        ("HV-7K3M-Q2XA", "HV7K3MQ2XA"),
        ("hv 7k3m q2xa", "HV7K3MQ2XA"),
        (
            "  hv\u20137k3m\u2014q2xa \n",
            "HV7K3MQ2XA",
        ),  # dashes a phone keyboard or a PDF copy makes
        ("HV-OOIL-il10", "HV-00111110".replace("-", "")),
        ("https://win.example.com/c/HV-7K3M-Q2XA", "HV7K3MQ2XA"),
        ("https://win.example.com/claim?code=hv-7k3m-q2xa&utm=x", "HV7K3MQ2XA"),
        ("win.example.com/claim?c=HV7K3MQ2XA", "HV7K3MQ2XA"),
        ("https://win.example.com/c/HV7K3MQ2XA/", "HV7K3MQ2XA"),
    ],
)
def test_normalise_accepts_what_people_type_and_scan(typed: str, compact: str) -> None:
    assert normalise(typed) == compact


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "No code"),
        ("   - - ", "No code"),
        ("A" * 600, "far too long"),
        ("HV-UUUU", "letter U"),
        ("'; DROP TABLE codes;--", "contains"),
        ("ĦV-7K3M", "contains"),
        ("HV-7K3M-😀", "contains"),
        ("https://win.example.com/", "link carries no code"),
        ("[/", "link cannot be read"),  # found by schemathesis: urlsplit raised
    ],
)
def test_normalise_refuses_what_cannot_be_a_code(typed: str, words: str) -> None:
    with pytest.raises(NotACode, match=words):
        normalise(typed)


symbols = st.lists(st.integers(0, 31), min_size=2, max_size=30)


@given(symbols)
def test_appended_check_symbol_passes(values: list[int]) -> None:
    assert crockford.check_passes([*values, crockford.check_symbol_value(values)])


@given(symbols, st.data())
def test_every_substitution_is_caught(values: list[int], data: st.DataObject) -> None:
    code = [*values, crockford.check_symbol_value(values)]
    pos = data.draw(st.integers(0, len(code) - 1))
    new = data.draw(st.integers(0, 31).filter(lambda v: v != code[pos]))
    code[pos] = new
    assert not crockford.check_passes(code)
    assert not crockford.check_passes_text("".join(ALPHABET[v] for v in code))


@given(symbols, st.data())
def test_every_adjacent_transposition_is_caught(values: list[int], data: st.DataObject) -> None:
    code = [*values, crockford.check_symbol_value(values)]
    pos = data.draw(st.integers(0, len(code) - 2))
    if code[pos] == code[pos + 1]:
        return  # swapping equal symbols changes nothing
    code[pos], code[pos + 1] = code[pos + 1], code[pos]
    assert not crockford.check_passes(code)


@given(st.integers(1, 40).flatmap(lambda n: st.lists(st.text(ALPHABET, min_size=n, max_size=n))))
def test_the_batch_check_agrees_with_the_one_code_check(codes: list[str]) -> None:
    # the server re-checks a push's codes in one batch; it must pass exactly what one-by-one does
    valid = [c[:-1] + ALPHABET[crockford.check_symbol_value([ALPHABET.index(x) for x in c[:-1]])]
             for c in codes]  # fmt: skip

    def rows(batch: list[str]) -> list[bool]:
        if not batch:
            return []
        width = len(batch[0])
        read = np.frombuffer("".join(batch).encode(), np.uint8).reshape(len(batch), width)
        return list(crockford.check_passes_rows(read).tolist())

    for batch in (codes, valid):
        assert rows(batch) == [crockford.check_passes_text(c) for c in batch]
    assert all(rows(valid))


_TYPED = st.text(alphabet=ALPHABET + ALPHABET.lower() + "oOiIlL -_.,/?u", min_size=0, max_size=30)


@given(st.lists(_TYPED, min_size=1, max_size=12), st.integers(1, 20))
def test_many_codes_read_at_once_read_as_each_alone(texts: list[str], width: int) -> None:
    def alone(text: str) -> str | None:
        try:
            compact = normalise(text)
        except NotACode:
            return None
        return compact if len(compact) == width else None

    rows = crockford.normalise_rows(texts, width)
    each = [alone(t) for t in texts]
    if rows is not None:
        assert [bytes(row).decode() for row in rows] == each
    else:  # only a link (read one by one) or a text that is no code of this width
        assert None in each or any("/" in t or "?" in t for t in texts)
