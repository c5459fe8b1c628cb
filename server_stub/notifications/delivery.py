"""What the SMS gateway says became of a message: its delivery reports.

The gateway POSTs `{"id": ..., "status": ...}` to `/v1/sms/report` with `Authorization: Bearer
$INSTORE_SMS_TOKEN`, the token the server sends it messages with. A status only moves forward:
`sending` (the gateway is being asked) -> `sent` (it took the message) -> one final status,
`delivered`, `undelivered`, `failed` or `expired`, which nothing changes afterwards. Gateways
repeat reports and send them out of order, so a report of the status a message already has is
answered as taken, and one that would move it back is refused (409) and changes nothing.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Engine, select, update

from server_stub import metrics
from server_stub.database.connection import reader, writing
from server_stub.database.schema import sms_messages
from server_stub.errors import ApiError
from server_stub.limits.throttle import Throttle
from server_stub.notifications.sms import SENDING, SENT, TOKEN_VARIABLE

FINAL = ("delivered", "undelivered", "failed", "expired")
# how far along each status is; a report moves a message only to a later step
STEP = {SENDING: 0, SENT: 1, **dict.fromkeys(FINAL, 2)}
REPORTED = (SENT, *FINAL)  # what a gateway may report
CREDENTIAL = "SMS report token"  # what the throttle counts wrong ones as (10 in 10 min)


class Report(BaseModel):
    """A delivery report as the gateway sends it; other fields it adds are ignored."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")  # ours are hex
    status: str = Field(min_length=1, max_length=32)


def check_token(authorization: str, token: str, throttle: Throttle, source: str) -> None:
    """Let a report in only with `Authorization: Bearer TOKEN` (`token`: sms.gateway_token()).
    Without a token set, nothing is let in (503). Wrong tokens are counted per address: past
    10 in 10 minutes it gets 429, whatever it sends (the throttle the metrics token goes
    through). The token is long and random, so checking before the count lands costs nothing:
    a read per report, not a write."""
    if not token:
        raise ApiError(
            503, "no_token_set",
            f"no token set: start the server with ${TOKEN_VARIABLE} to take delivery reports",
        )  # fmt: skip
    throttle.hold(source, CREDENTIAL)
    # as bytes: compare_digest refuses a str with non-ASCII text a client may send
    if not hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        metrics.wrong_credential(CREDENTIAL, throttle.failed(source, CREDENTIAL))
        raise ApiError(
            401, "wrong_token", f"a delivery report needs Authorization: Bearer ${TOKEN_VARIABLE}"
        )


def record_report(engine: Engine, message_id: str, status: str) -> dict[str, Any]:
    """Move message `message_id` to `status` if that is a step forward; what it now is, and
    whether this report changed it. 422 for a status no gateway reports, 404 for an id never
    sent, 409 for a step back (a final status never changes)."""
    status = status.strip().lower()
    if status not in REPORTED:
        raise ApiError(
            422, "bad_status", f"status must be one of {', '.join(REPORTED)}, not {status[:32]!r}"
        )
    earlier = [s for s, step in STEP.items() if step < STEP[status]]
    t = sms_messages
    with writing(engine) as conn:
        # one statement decides: two reports at once cannot both move the same message
        moved = conn.execute(
            update(t).where(t.c.id == message_id, t.c.status.in_(earlier))
            .values(status=status, updated=time.time())
        ).rowcount  # fmt: skip
    if moved:
        return {"id": message_id, "status": status, "changed": True}
    with reader(engine).connect() as conn:
        now = conn.execute(select(t.c.status).where(t.c.id == message_id)).scalar()
    if now is None:
        raise ApiError(404, "unknown_sms", "no message was sent with this id")
    if now == status:  # the gateway repeating itself
        return {"id": message_id, "status": status, "changed": False}
    # only a final status is ever past a report: every earlier one moves (see STEP)
    raise ApiError(409, "status_final", f"the message is already {now}; that does not change")
