"""The cipher's second look at pushed codes: a push's batch gets the answers each code gets alone."""

from __future__ import annotations

import dataclasses
import random
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from codes import campaign as campaign_file
from codes import layout
from codes.campaign import parse_tiers
from codes.campaign_cipher import CampaignCipher
from server_stub.device_api import recheck
from server_stub.device_api.recheck import Claimed, Rechecker

_made = campaign_file.create(
    Path(tempfile.mkdtemp()) / "c.toml", "lids", "HV", parse_tiers("gold:20,music:*"), capacity=1000
)
CAMPAIGN = dataclasses.replace(_made.campaign, issued=100)
CIPHER = CampaignCipher.issuer(CAMPAIGN)
CHECKER = Rechecker([(CAMPAIGN, _made.key)])
TIERS = [t.name for t in CAMPAIGN.tiers]
KINDS = ["good", "typed", "no_tier", "wrong_serial", "wrong_tier", "forged", "typo"]


def claimed(kind: str, serial: int, rng: random.Random) -> Claimed:
    """One pushed redemption of the given kind: serials from 100 on were never issued."""
    code, tier = CIPHER.encode(serial), TIERS[CIPHER.plan.tier_of(serial)]
    if kind == "typed":  # as a cashier types it: lower case, spaces, O for 0
        code = code.lower().replace("-", " ").replace("0", "o")
    elif kind == "no_tier":
        tier = None  # type: ignore[assignment]
    elif kind == "wrong_serial":
        serial += 1
    elif kind == "wrong_tier":
        tier = "silver" if rng.random() < 0.5 else TIERS[1 - TIERS.index(tier)]
    elif kind == "forged":  # a valid check symbol on a body the key never made
        code = layout.format_code("HV", rng.getrandbits(40), rng.getrandbits(40))
    elif kind == "typo":
        at = rng.choice([i for i, ch in enumerate(code) if i > 2 and ch != "-"])  # not the prefix
        code = code[:at] + ("7" if code[at] != "7" else "8") + code[at + 1 :]
    elif kind == "odd":  # none of the batch goes the quick way then
        code = rng.choice([f"https://lids.example/r?c={code}", "not a code", code + "X"])
    return Claimed("lids", code, serial, tier)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(KINDS), st.sampled_from([99, 100]) | st.integers(0, 199)),
        min_size=recheck.FEW,
        max_size=40,
    ),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_a_batch_gets_the_answers_each_code_gets_alone(
    picks: list[tuple[str, int]], odd_one: bool, rng: random.Random
) -> None:
    items = [claimed(kind, serial, rng) for kind, serial in picks]
    if odd_one:
        items.append(claimed("odd", 5, rng))
    assert (CHECKER._as_printed(CIPHER, items) is None) == odd_one  # which way the batch went
    alone = [CHECKER.check([item])[0] for item in items]
    assert CHECKER.check(items) == alone
    for (kind, serial), reason in zip(picks, alone, strict=False):
        if kind in ("good", "typed", "no_tier"):
            assert (reason is None) == (serial < 100), (kind, serial, reason)
        else:
            assert reason is not None, (kind, serial)


def test_a_batch_whose_every_code_fails_its_check_symbol_gets_a_reason_each() -> None:
    rng = random.Random(7)
    for odd_one in (False, True):  # the numpy way, and the one-by-one way
        items = [claimed("typo", serial, rng) for serial in range(recheck.FEW + 2)]
        if odd_one:
            items.append(Claimed("lids", "not a code", 5, None))
        reasons = CHECKER.check(items)
        assert all(r is not None and r.startswith("invalid") for r in reasons[: recheck.FEW + 2])
