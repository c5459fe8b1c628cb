"""What every part's CLI shares: printing results, and argument types with plain-words errors.

It lives in codes/, the bottom layer, so terminal, sync, server and POS commands can all use it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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


def when(text: str) -> datetime:
    """An argparse type for dates and times: 2026-12-31, 2026-12-31T18:00, or relative to today
    ("today", "tomorrow", "+90d", "+6w"); no time zone means UTC."""
    word = text.strip().lower()
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if word in ("today", "tomorrow"):
        return today + timedelta(days=word == "tomorrow")
    if word.startswith("+") and word[-1:] in ("d", "w") and word[1:-1].isdigit():
        return today + timedelta(days=int(word[1:-1]) * (7 if word[-1] == "w" else 1))
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date like 2026-12-31, today or +90d"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
