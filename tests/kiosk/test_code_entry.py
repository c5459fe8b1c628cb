"""The keypad's code: groups as typed, the alphabet only, and the group to look at again."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from codes import crockford
from kiosk.code_entry import KEYS, CodeEntry
from tests.kiosk.conftest import Issued


def test_the_keypad_has_no_letters_people_mix_up() -> None:
    assert not set("ILOU") & set(KEYS) and len(KEYS) == 32


def test_groups_form_as_the_shopper_types(issued: Issued) -> None:
    entry = CodeEntry(issued.checker)
    assert entry.prefix == "HV" and entry.display() == "HV"
    for symbol in "1FYT5":
        assert entry.press(symbol)
    assert not entry.press("O") and not entry.press("-")  # not on the keypad
    assert entry.display() == "HV-1FYT-5" and entry.left == 12
    entry.delete()
    assert entry.display() == "HV-1FYT"


@settings(max_examples=40, deadline=None)
@given(serial=st.integers(0, 999), position=st.integers(0, 16), shift=st.integers(1, 31))
def test_a_single_slip_names_its_group(
    issued: Issued, serial: int, position: int, shift: int
) -> None:
    compact = crockford.normalise(issued.code(serial))[2:]
    wrong = KEYS[(KEYS.index(compact[position]) + shift) % 32]
    entry = CodeEntry(issued.checker)
    for symbol in compact[:position] + wrong + compact[position + 1 :]:
        entry.press(symbol)
    assert entry.complete and entry.mistyped
    assert entry.suspect_group() == (1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4)[position]


def test_a_right_code_is_not_mistyped(issued: Issued) -> None:
    entry = CodeEntry(issued.checker)
    for symbol in crockford.normalise(issued.code(3))[2:]:
        entry.press(symbol)
    assert entry.complete and not entry.mistyped and entry.suspect_group() is None
