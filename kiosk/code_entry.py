"""A code typed on the kiosk's keypad: groups formed as it is typed, a typo caught before submit.

The keypad has the code alphabet only (no I, L, O or U: the checker reads those as 1 and 0).
When every symbol is in and the check symbol does not match, the entry names the group to look
at again: the one where changing a single symbol gives a genuine code of this store's campaigns.
"""

from __future__ import annotations

from dataclasses import dataclass

from codes import crockford, layout, typo
from codes.checker import CODE_TAIL, CodeChecker

KEYS = crockford.ALPHABET


@dataclass
class CodeEntry:
    checker: CodeChecker
    prefix: str = ""  # given when every campaign here shares it, else typed first
    symbols: str = ""  # typed after the prefix

    def __post_init__(self) -> None:
        prefixes = self.checker.prefixes
        self.given_prefix = prefixes[0] if len(prefixes) == 1 else ""
        self.prefix = self.prefix or self.given_prefix
        self._suspect: tuple[str, int | None] | None = None

    # -- typing ------------------------------------------------------------------------------

    def press(self, key: str) -> bool:
        """Add one symbol; False when it is not on the keypad or the code is full."""
        key = key.upper()
        if len(key) != 1 or key not in KEYS or self.complete:
            return False
        self.symbols += key
        return True

    def delete(self) -> None:
        self.symbols = self.symbols[:-1]

    def clear(self) -> None:
        self.symbols = ""

    def _split(self) -> tuple[str, str]:
        """(prefix, what follows it): the given prefix, or the known one the typing begins with."""
        if self.prefix:
            return self.prefix, self.symbols
        for prefix in self.checker.prefixes:  # longest first
            if self.symbols.startswith(prefix):
                return prefix, self.symbols[len(prefix) :]
        return "", self.symbols

    @property
    def length(self) -> int:
        """How many symbols the whole code has once typed (after a given prefix)."""
        prefix, _ = self._split()
        if self.prefix:
            return CODE_TAIL
        return (
            len(prefix) + CODE_TAIL
            if prefix
            else max(map(len, self.checker.prefixes or ("",))) + CODE_TAIL
        )

    @property
    def left(self) -> int:
        return self.length - len(self.symbols)

    @property
    def complete(self) -> bool:
        return self.left <= 0

    def compact(self) -> str:
        return self.prefix + self.symbols

    def groups(self) -> list[str]:
        """What the shopper has typed, in the printed groups (the prefix first)."""
        prefix, tail = self._split()
        parts = [prefix] if prefix else []
        pos = 0
        for size in layout.GROUPS:
            if pos >= len(tail):
                break
            parts.append(tail[pos : pos + size])
            pos += size
        return parts

    def display(self) -> str:
        return "-".join(self.groups())

    # -- the typo check ----------------------------------------------------------------------

    @property
    def mistyped(self) -> bool:
        return self.complete and not crockford.check_passes_text(self.compact())

    def suspect_group(self) -> int | None:
        """The group (1 = the first after the prefix) to look at again, or None when the typo
        cannot be placed: the only group where one changed symbol makes a genuine code."""
        if not self.mistyped:
            return None
        compact = self.compact()
        if self._suspect is None or self._suspect[0] != compact:  # asked by hint and screen
            self._suspect = (compact, self._search(compact))
        return self._suspect[1]

    def _search(self, compact: str) -> int | None:
        return typo.suspect_group(self.checker, compact, self._split()[0])
