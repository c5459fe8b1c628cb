"""What every part's CLI shares: a result printed for people or machines, a count in words, and
a whole-number argument with a plain-words error.

It lives in codes/, the one layer the terminal, sync, server, POS and kiosk commands may all
import (codes' own CLI uses it too); anything only one CLI needs lives in that CLI.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any


def emit(data: dict[str, Any], as_json: bool, text: str) -> None:
    """One result: a JSON line for machines, or a sentence for people; flushed at once."""
    print(json.dumps(data, default=str) if as_json else text, flush=True)


def counted(number: int, noun: str, plural: str = "") -> str:
    """`1 point`, `2 points`, `1,000 codes`: a count a person reads, grammatical."""
    return f"{number:,} {noun if abs(number) == 1 else plural or noun + 's'}"


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type for counts and serials; accepts 1_000 and 1,000."""

    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", "").replace(",", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return parse
