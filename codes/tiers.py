"""Which reward tier each serial carries: a seeded shuffle of the campaign's plan.

Shuffling a list of 10**10 tier labels is out of the question, so the shuffle is a keyed
permutation of the serial space (a four-round Feistel network over the next even bit width,
cycle-walked back into range) followed by a look-up in the plan's cumulative counts. The result is exactly a
shuffle: each tier gets exactly its planned count, spread evenly through serials and print runs.
The round function only mixes; secrecy comes from the code cipher, which hides the serial.

A plan given as rates repeats every `block` serials: each block is shuffled on its own (the block's
number is mixed into every round), so every run of `block` consecutive serials holds exactly its
share of each tier. A plan given as counts is one block as large as the campaign.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
_MASK64 = (1 << 64) - 1
_ROUNDS = 4
_GOLDEN = 0x9E3779B97F4A7C15  # spreads a block number over all 64 bits
SEED_BYTES = 16 * _ROUNDS


class TierPlan:
    """Maps serials to tier indexes for one campaign's plan and shuffle seed."""

    def __init__(self, counts: Sequence[int], seed: bytes) -> None:
        """`counts`: each tier's count within one block (the whole plan when given as counts)."""
        if not counts or min(counts) < 0 or sum(counts) < 1:
            raise ValueError("a tier plan needs at least one code")
        if len(seed) < SEED_BYTES:
            raise ValueError(f"tier seed must be at least {SEED_BYTES} bytes")
        self.capacity = sum(counts)  # of one block
        self.cumulative = np.cumsum(np.array(counts, dtype=np.uint64))
        self._half_bits = max(1, ((self.capacity - 1).bit_length() + 1) // 2)
        self._half_mask = (1 << self._half_bits) - 1
        # Round r: F(x) = high bits of (x ^ key_r) * mult_r, multiplicative hashing.
        words = [int.from_bytes(seed[8 * i : 8 * i + 8], "big") for i in range(2 * _ROUNDS)]
        self._rounds = [(words[2 * r], words[2 * r + 1] | 1) for r in range(_ROUNDS)]

    def _permute(self, x: int, tweak: int = 0) -> int:
        hb, hm, shift = self._half_bits, self._half_mask, 64 - self._half_bits
        left, right = x >> hb, x & hm
        mix = tweak * _GOLDEN & _MASK64
        for key, mult in self._rounds:
            left, right = right, left ^ (((right ^ key ^ mix) * mult & _MASK64) >> shift)
        return left << hb | right

    def _permute_array(self, x: U64, mix: U64 | None = None) -> U64:
        hb, hm = np.uint64(self._half_bits), np.uint64(self._half_mask)
        shift = np.uint64(64 - self._half_bits)
        left, right = x >> hb, x & hm
        for key, mult in self._rounds:
            f = right ^ np.uint64(key)
            if mix is not None:
                f ^= mix
            f *= np.uint64(mult)
            f >>= shift
            f ^= left
            left, right = right, f
        left <<= hb
        left |= right
        return left

    def position(self, serial: int) -> int:
        """Where this serial lands in its block's shuffled plan."""
        block, offset = divmod(serial, self.capacity)
        x = self._permute(offset, block)
        while x >= self.capacity:  # cycle-walk: stays a permutation of [0, capacity)
            x = self._permute(x, block)
        return x

    def tier_of(self, serial: int) -> int:
        return int(np.searchsorted(self.cumulative, self.position(serial), side="right"))

    def tiers_of(self, serials: U64) -> npt.NDArray[np.intp]:
        serials = np.asarray(serials, dtype=np.uint64)
        size = np.uint64(self.capacity)
        mix = None  # serials of the first block (every serial of a plan of counts): no mixing
        if serials.size and serials.max() >= size:
            mix = (serials // size) * np.uint64(_GOLDEN)
            serials = serials % size
        x = self._permute_array(serials, mix)
        outside = np.nonzero(x >= size)[0]
        while outside.size:
            x[outside] = self._permute_array(x[outside], None if mix is None else mix[outside])
            outside = outside[x[outside] >= size]
        return np.searchsorted(self.cumulative, x, side="right")
