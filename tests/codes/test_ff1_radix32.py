"""The batched radix-32 path is bit-identical to the reference FF1."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codes import ff1
from codes.ff1_radix32 import MAX_SYMBOLS, MIN_SYMBOLS, Radix32FF1

keys = st.sampled_from([16, 24, 32]).flatmap(lambda n: st.binary(min_size=n, max_size=n))


@settings(max_examples=150, deadline=None)
@given(
    key=keys, tweak=st.binary(max_size=48), n=st.integers(MIN_SYMBOLS, MAX_SYMBOLS), data=st.data()
)
def test_batch_and_single_match_reference(
    key: bytes, tweak: bytes, n: int, data: st.DataObject
) -> None:
    rows = data.draw(
        st.lists(st.lists(st.integers(0, 31), min_size=n, max_size=n), min_size=1, max_size=6)
    )
    fast = Radix32FF1(key, tweak, n)
    halves = [fast.split(row) for row in rows]
    a = np.array([h[0] for h in halves], dtype=np.uint64)
    b = np.array([h[1] for h in halves], dtype=np.uint64)
    ca, cb = fast.encrypt_batch(a, b)
    for i, row in enumerate(rows):
        expected = ff1.encrypt(key, tweak, 32, row)
        assert fast.join(int(ca[i]), int(cb[i])) == expected
        assert fast.join(*fast.encrypt_int(*halves[i])) == expected
        assert fast.join(*fast.decrypt_int(int(ca[i]), int(cb[i]))) == row
    pa, pb = fast.decrypt_batch(ca, cb)
    assert pa.tolist() == a.tolist() and pb.tolist() == b.tolist()


def test_a_large_batch_matches_one_by_one() -> None:
    fast = Radix32FF1(bytes(range(32)), b"ice-2026", 16)
    a = np.arange(5000, dtype=np.uint64) * np.uint64(7919)
    b = np.arange(5000, dtype=np.uint64) * np.uint64(104729)
    ca, cb = fast.encrypt_batch(a, b)
    for i in (0, 1, 2499, 4999):
        assert (int(ca[i]), int(cb[i])) == fast.encrypt_int(int(a[i]), int(b[i]))


@pytest.mark.parametrize("n", [3, 25])
def test_lengths_outside_the_fast_path_are_refused(n: int) -> None:
    with pytest.raises(ValueError, match="symbols"):
        Radix32FF1(bytes(16), b"", n)
