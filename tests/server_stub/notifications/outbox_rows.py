"""Messages in the outbox for the worker's tests, as the prize office writes them, and an SMS
gateway of our own that takes them or refuses as told."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from server_stub.database.connection import writing
from server_stub.database.schema import outbox
from server_stub.notifications.sms import SendFailed, Sms

PHONE, EMAIL = "+919876543210", "asha@example.com"


@dataclass
class FakeGateway:
    """An SMS gateway that keeps what it takes, or refuses as told."""

    sent: list[Sms] = field(default_factory=list)
    status: int | None = 0  # 0: takes it; None: cannot be reached; else the HTTP status
    asked: int = 0

    def send(self, message: Sms) -> None:
        self.asked += 1
        if self.status == 0:
            self.sent.append(message)
            return
        raise SendFailed("the gateway said no" if self.status else "cannot reach it", self.status)


def queue(
    engine: Engine, count: int, channel: str, at: float | None = None, first: int = 0
) -> list[str]:
    """`count` messages of one channel in the outbox, as the prize office writes them; keys."""
    at = time.time() if at is None else at
    keys = [f"claim|CL-TEST{i:04d}|received|{channel}" for i in range(first, first + count)]
    with writing(engine) as conn:
        conn.execute(outbox.insert(), [
            {"key": key, "channel": channel, "to": PHONE if channel == "sms" else EMAIL,
             "kind": "claim_received", "claim": key.split("|")[1], "lang": "ru",
             "subject": "Заявка принята" if channel == "email" else "",
             "body": f"Ваша заявка {key.split('|')[1]} принята", "state": "pending",
             "attempts": 0, "next_at": at - (count - i) * 0.001, "created": at}
            for i, key in enumerate(keys)
        ])  # fmt: skip
    return keys


def rows(engine: Engine) -> dict[str, dict[str, object]]:
    with engine.connect() as conn:
        return {r.key: dict(r._mapping) for r in conn.execute(select(outbox))}
