"""Tiers: exact planned counts, and prizes spread through serials instead of clustered."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from codes.tiers import SEED_BYTES, TierPlan

SEED = bytes(range(SEED_BYTES))


@settings(deadline=None)
@given(
    counts=st.lists(st.integers(0, 3000), min_size=1, max_size=6).filter(lambda c: sum(c) > 0),
    seed=st.binary(min_size=SEED_BYTES, max_size=SEED_BYTES),
)
def test_each_tier_gets_exactly_its_count(counts: list[int], seed: bytes) -> None:
    plan = TierPlan(counts, seed)
    tiers = plan.tiers_of(np.arange(sum(counts), dtype=np.uint64))
    assert np.bincount(tiers, minlength=len(counts)).tolist() == counts


def test_single_serials_agree_with_batches() -> None:
    plan = TierPlan([7, 300, 10_000_000_000 - 307], SEED)
    serials = np.array([0, 1, 2, 999, 123_456_789, 9_999_999_999], dtype=np.uint64)
    assert plan.tiers_of(serials).tolist() == [plan.tier_of(int(s)) for s in serials]


def test_no_print_batch_of_1000_hoards_a_rare_tier() -> None:
    # 1% gold, 10% silver over 200,000 codes: each batch of 1,000 should hold ~10 and ~100.
    plan = TierPlan([2_000, 20_000, 178_000], SEED)
    batches = plan.tiers_of(np.arange(200_000, dtype=np.uint64)).reshape(200, 1000)
    gold = (batches == 0).sum(axis=1)
    silver = (batches == 1).sum(axis=1)
    assert gold.max() <= 25 and silver.max() <= 140  # share 10 and 100: never a cluster
    assert gold.min() >= 1 and silver.min() >= 65  # and no batch left without prizes


def test_different_seeds_shuffle_differently() -> None:
    a = TierPlan([500, 500], SEED).tiers_of(np.arange(1000, dtype=np.uint64))
    b = TierPlan([500, 500], bytes(SEED_BYTES)).tiers_of(np.arange(1000, dtype=np.uint64))
    assert (a != b).sum() > 300


@settings(deadline=None)
@given(
    block=st.lists(st.integers(0, 300), min_size=1, max_size=4).filter(lambda c: sum(c) > 0),
    blocks=st.integers(1, 6),
    seed=st.binary(min_size=SEED_BYTES, max_size=SEED_BYTES),
)
def test_a_plan_of_rates_gives_every_block_exactly_its_share(
    block: list[int], blocks: int, seed: bytes
) -> None:
    plan = TierPlan(block, seed)
    serials = np.arange(sum(block) * blocks, dtype=np.uint64)
    tiers = plan.tiers_of(serials).reshape(blocks, sum(block))
    for row in tiers:
        assert np.bincount(row, minlength=len(block)).tolist() == block
    assert tiers.tolist() == [
        [plan.tier_of(int(s)) for s in chunk] for chunk in serials.reshape(blocks, -1)
    ]


def test_blocks_are_shuffled_differently() -> None:
    plan = TierPlan([1, 9_999], SEED)
    golds = np.nonzero(plan.tiers_of(np.arange(100_000, dtype=np.uint64)) == 0)[0] % 10_000
    assert len(golds) == 10 and len(set(golds.tolist())) > 5  # not the same place in every run
