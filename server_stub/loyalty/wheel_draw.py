"""The bonus wheel's draw, pure: outcomes and their weights, the seed's commitment, and outcome
i of a campaign's sequence, which anyone holding the revealed seed can compute again.

Outcome i = HMAC-SHA256(seed, i as 8 bytes big-endian); its first 8 bytes, read as a number
below 2^64, are scaled onto the weights' total (`value * total >> 64`) and the outcome is the one
whose share of the total that falls in, in the order the outcomes were set. The scaling's bias is
below total / 2^64 (under 10^-13 for any wheel here): the odds shown are the weights.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from server_stub.errors import ApiError

SEED_BYTES = 32
MAX_OUTCOMES = 20
MAX_LABEL = 32  # an outcome's label travels in an event's tier column
MAX_WEIGHT = 1_000_000
_POINTS = re.compile(r"^(\d{1,7}) points?$")

Kind = Literal["points", "prize", "nothing"]


@dataclass(frozen=True)
class Outcome:
    """One slice of the wheel: `50 points` gives points as a lot, `nothing` gives nothing, any
    other label (`cap`) is a small prize the member collects."""

    label: str
    weight: int

    @property
    def points(self) -> int:
        found = _POINTS.match(self.label)
        return int(found.group(1)) if found else 0

    @property
    def kind(self) -> Kind:
        if _POINTS.match(self.label):
            return "points"
        return "nothing" if self.label == "nothing" else "prize"


def parse_outcomes(text: str) -> list[Outcome]:
    """'50 points:40,100 points:10,cap:1,nothing:49' as outcomes, or a clear refusal."""
    outcomes: list[Outcome] = []
    for part in (p.strip() for p in text.split(",")):
        label, colon, weight = part.rpartition(":")
        label = " ".join(label.split())
        if not colon or not label or not weight.strip().isdigit():
            raise _bad(f"{part!r} is not LABEL:WEIGHT (e.g. '50 points:40' or 'cap:1')")
        if len(label) > MAX_LABEL or any(not ch.isprintable() for ch in label):
            raise _bad(f"the label {label!r} must be printable and at most {MAX_LABEL} characters")
        if not 1 <= int(weight) <= MAX_WEIGHT:
            raise _bad(f"the weight of {label!r} must be a whole number from 1 to {MAX_WEIGHT:,}")
        if any(o.label == label for o in outcomes):
            raise _bad(f"the outcome {label!r} is given twice")
        outcomes.append(Outcome(label, int(weight)))
    if not 2 <= len(outcomes) <= MAX_OUTCOMES:
        raise _bad(f"a wheel has 2 to {MAX_OUTCOMES} outcomes, not {len(outcomes)}")
    return outcomes


def spec(outcomes: Sequence[Outcome]) -> str:
    """The outcomes as `parse_outcomes` reads them."""
    return ",".join(f"{o.label}:{o.weight}" for o in outcomes)


def commitment(seed: bytes) -> str:
    """What is published before the wheel turns: SHA-256 of the seed, 64 hex digits."""
    return hashlib.sha256(seed).hexdigest()


def outcome_at(seed: bytes, index: int, outcomes: Sequence[Outcome]) -> Outcome:
    """Outcome `index` of the sequence the seed draws."""
    mac = hmac.new(seed, index.to_bytes(8, "big"), hashlib.sha256).digest()
    total = sum(o.weight for o in outcomes)
    point = (int.from_bytes(mac[:8], "big") * total) >> 64
    for outcome in outcomes:
        if point < outcome.weight:
            return outcome
        point -= outcome.weight
    raise AssertionError("unreachable: point < total")


def counts(seed: bytes, start: int, stop: int, outcomes: Sequence[Outcome]) -> dict[str, int]:
    """How many of each outcome indexes start..stop-1 hold: a sequence's exact budget."""
    found = {o.label: 0 for o in outcomes}
    for i in range(start, stop):
        found[outcome_at(seed, i, outcomes).label] += 1
    return found


def _bad(words: str) -> ApiError:
    return ApiError(422, "bad_outcomes", words)
