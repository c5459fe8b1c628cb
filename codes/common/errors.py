"""The project's error type: a stable error code for machines and a sentence for people.

It lives in codes/, the bottom layer, so every part raises it and every CLI reports it alike.
"""

from __future__ import annotations


class InstoreError(Exception):
    """Bad input or a missing file; `code` is stable, `message` is for a person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
