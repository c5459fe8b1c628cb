"""Where a mistyped code's typo is: the one printed group in which changing a single symbol
gives a genuine code of the campaigns a checker knows.

The kiosk's keypad and the shopper's web both tell the shopper which group to look at again.
"""

from __future__ import annotations

from codes import crockford, layout
from codes.checker import CheckStatus, CodeChecker

_NOT_GENUINE = (CheckStatus.MISTYPED, CheckStatus.INVALID, CheckStatus.UNKNOWN_CAMPAIGN)


def suspect_group(checker: CodeChecker, compact: str, prefix: str) -> int | None:
    """The group (1 = the first after the prefix) holding the typo of `compact` (the whole code,
    prefix first, without dashes), or None when the check passes or the typo cannot be placed."""
    if crockford.check_passes_text(compact):
        return None
    start = len(prefix)
    found: set[int] = set()
    for position in range(start, len(compact)):
        for symbol in crockford.ALPHABET:
            if symbol == compact[position]:
                continue
            candidate = compact[:position] + symbol + compact[position + 1 :]
            if not crockford.check_passes_text(candidate):
                continue
            if checker.check(candidate).status not in _NOT_GENUINE:
                found.add(group_of(position - start))
                if len(found) > 1:
                    return None
    return found.pop() if len(found) == 1 else None


def group_of(offset: int) -> int:
    """The printed group (1 = the first after the prefix) of a symbol's offset after the prefix."""
    end = 0
    for number, size in enumerate(layout.GROUPS, start=1):
        end += size
        if offset < end:
            return number
    return len(layout.GROUPS)
