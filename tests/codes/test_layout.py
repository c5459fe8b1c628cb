"""The bits inside a code, and the printed text made one at a time or by the million."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from codes import layout
from codes.crockford import ALPHABET


@given(
    version=st.integers(0, layout.MAX_KEY_VERSION),
    tier=st.integers(0, layout.MAX_TIERS - 1),
    serial=st.integers(0, layout.MAX_SERIALS - 1),
)
def test_pack_unpack_round_trip(version: int, tier: int, serial: int) -> None:
    a, b = layout.pack(version, tier, serial)
    assert a < 2**40 and b < 2**40
    assert layout.unpack(a, b) == (version, tier, serial, layout.REDUNDANCY)
    pa, pb = layout.pack_batch(
        version, np.array([tier], dtype=np.intp), np.array([serial], dtype=np.uint64)
    )
    assert (int(pa[0]), int(pb[0])) == (a, b)


@given(
    prefix=st.text(ALPHABET, min_size=1, max_size=layout.MAX_PREFIX),
    halves=st.lists(
        st.tuples(st.integers(0, 2**40 - 1), st.integers(0, 2**40 - 1)), min_size=1, max_size=8
    ),
)
def test_batch_text_matches_single_text(prefix: str, halves: list[tuple[int, int]]) -> None:
    a = np.array([h[0] for h in halves], dtype=np.uint64)
    b = np.array([h[1] for h in halves], dtype=np.uint64)
    texts = layout.format_batch(prefix, a, b)
    for row, (x, y) in zip(texts, halves, strict=True):
        assert bytes(row).decode() == layout.format_code(prefix, x, y)


def test_printed_shape() -> None:
    text = layout.format_code("HV", 0x123456789A, 0xFEDCBA9876)
    assert len(text) == layout.text_width("HV")
    assert [len(g) for g in text.split("-")] == [2, 4, 4, 4, 5]


def test_serial_capacity_reaches_ten_billion() -> None:
    assert layout.MAX_SERIALS >= 10**10
