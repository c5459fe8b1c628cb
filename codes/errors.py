"""The one error type of codes/: a stable error code for machines and a sentence for people."""

from __future__ import annotations


class CodesError(Exception):
    """Bad input or a missing file; `code` is stable, `message` is for a person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
