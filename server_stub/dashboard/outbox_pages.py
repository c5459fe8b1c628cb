"""The dashboard's page of messages to winners: waiting, sent, and those that could not be sent:
a server function the template lays out and ?format=json answers.

Admins and the helpdesk only. The helpdesk sees a phone's last 4 digits and an email's first
letter and domain, enough to match what a winner says on the phone; an admin sees them whole.
Nobody sees a message's text here: it may hold a voucher.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from server_stub.accounts.users import Role, Viewer
from server_stub.errors import ApiError
from server_stub.notifications import outbox_reads
from server_stub.prizes.claims import normal_number

DEAD_SHOWN = 100
PENDING_SHOWN = 20
SEES = frozenset({Role.ADMIN, Role.HELPDESK})


def outbox_page(engine: Engine, viewer: Viewer, query: Mapping[str, str]) -> dict[str, Any]:
    """Counts by state and channel, the dead letters with their errors (newest first), the
    messages waiting longest, and with ?claim=CL-... every message of that claim."""
    if viewer.role not in SEES:
        raise ApiError(403, "not_allowed", "Only an admin or the helpdesk sees the messages.")
    now = time.time()
    whole = viewer.role is Role.ADMIN
    asked = query.get("claim", "").strip()[:40]
    claim = (normal_number(asked) or asked.upper()) if asked else ""
    counts = outbox_reads.counts(engine)
    pending = outbox_reads.messages(engine, "pending", PENDING_SHOWN, oldest_first=True)
    of_claim = outbox_reads.messages(engine, claim=claim, limit=50) if claim else []
    return {
        "viewer": {"username": viewer.username, "role": viewer.role.value},
        "counts": {state: {"total": sum(c.values()), **c} for state, c in counts.items()},
        "dead": [_shown(m, whole) for m in outbox_reads.messages(engine, "dead", DEAD_SHOWN)],
        "pending": [_shown(m, whole) for m in pending],
        "oldest_pending_s": now - pending[0]["created"] if pending else None,
        "claim": claim,
        "claim_messages": [_shown(m, whole) for m in of_claim],
        "addresses_whole": whole,
        "as_of": now,
    }


def _shown(message: dict[str, Any], whole: bool) -> dict[str, Any]:
    if whole:
        return message
    to = message["to"]
    hidden = outbox_reads.masked(message["channel"], to)
    # a mail server's refusal may say the address back
    error = message["last_error"].replace(to, hidden) if to else message["last_error"]
    return {**message, "to": hidden, "last_error": error}
