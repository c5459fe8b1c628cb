"""FF1 against NIST's published samples, and its refusals of inputs NIST does not allow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codes import ff1

# NIST SP 800-38G sample vectors (public data), kept beside the test so a clone needs nothing else.
VECTORS = Path(__file__).resolve().parent / "vectors" / "ff1_nist_samples.json"


def _samples() -> list[dict[str, Any]]:
    samples: list[dict[str, Any]] = json.loads(VECTORS.read_text())
    return samples


def test_all_nine_nist_samples_are_present() -> None:
    assert [s["sample"] for s in _samples()] == list(range(1, 10))


@pytest.mark.parametrize("sample", _samples(), ids=lambda s: f"sample{s['sample']}")
def test_nist_sample_encrypts_and_decrypts(sample: dict[str, Any]) -> None:
    key, tweak = bytes.fromhex(sample["key_hex"]), bytes.fromhex(sample["tweak_hex"])
    assert ff1.encrypt(key, tweak, sample["radix"], sample["plaintext"]) == sample["ciphertext"]
    assert ff1.decrypt(key, tweak, sample["radix"], sample["ciphertext"]) == sample["plaintext"]


@given(
    key=st.binary(min_size=16, max_size=16) | st.binary(min_size=32, max_size=32),
    tweak=st.binary(max_size=40),
    radix=st.integers(2, 65536),
    data=st.data(),
)
def test_decrypt_undoes_encrypt(key: bytes, tweak: bytes, radix: int, data: st.DataObject) -> None:
    length = 2
    while radix**length < ff1.MIN_DOMAIN:
        length += 1
    n = data.draw(st.integers(length, length + 20))
    digits = data.draw(st.lists(st.integers(0, radix - 1), min_size=n, max_size=n))
    cipher = ff1.encrypt(key, tweak, radix, digits)
    assert len(cipher) == n and all(0 <= d < radix for d in cipher)
    assert ff1.decrypt(key, tweak, radix, cipher) == digits


KEY = bytes(16)


@pytest.mark.parametrize(
    ("key", "radix", "digits", "words"),
    [
        (bytes(15), 10, [0] * 10, "16, 24 or 32 bytes"),
        (bytes(33), 10, [0] * 10, "16, 24 or 32 bytes"),
        (KEY, 10, [0] * 5, "below NIST's minimum"),
        (KEY, 32, [0] * 3, "below NIST's minimum"),
        (KEY, 1, [0] * 30, "radix"),
        (KEY, 65537, [0] * 2, "radix"),
        (KEY, 10, [0] * 9 + [10], "out of range"),
        (KEY, 10, [0] * 9 + [-1], "out of range"),
    ],
)
def test_bad_inputs_raise_clear_value_errors(
    key: bytes, radix: int, digits: list[int], words: str
) -> None:
    for fn in (ff1.encrypt, ff1.decrypt):
        with pytest.raises(ValueError, match=words):
            fn(key, b"", radix, digits)


def test_minimum_domain_is_accepted_at_the_boundary() -> None:
    assert len(ff1.encrypt(KEY, b"", 10, [1] * 6)) == 6  # 10**6 exactly
