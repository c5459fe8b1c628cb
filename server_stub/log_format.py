"""The server's log lines stay one line each, whatever a request carried.

A path, a header or a username reaches the log as the client sent it. Decoded, a path may hold
CR LF (a forged line after it), an ANSI escape (a terminal that shows the log rewrites what is
on screen) or any other control character. The formatter writes every such character of a
message as a visible escape (`\\r`, `\\n`, `\\x1b`, `\\x85`); a traceback, which the server
writes and not the client, keeps its lines.
"""

from __future__ import annotations

import logging

_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}
# C0, DEL, C1, and the two characters Unicode counts as line and paragraph breaks
_CONTROLS = [*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]
_ESCAPES = {c: _NAMED.get(chr(c), f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _CONTROLS}


def escaped(text: str) -> str:
    """`text` with every control character written as an escape."""
    return text.translate(_ESCAPES)


class OneLineFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escaped(record.message)
        return super().formatMessage(record)
