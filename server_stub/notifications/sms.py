"""The SMS gateway behind a small interface, and the messages sent through it.

`gateway_for(url)` makes the gateway `instore server --sms-gateway URL` names: `file:///DIR`
writes each message as `DIR/<id>.json` (`to`, `text`, `kind`, `id`), which the demo and the tests
read. `send_sms` records each message (never its text: it may hold a one-time password) and
hands it to the gateway.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from sqlalchemy import Engine

from server_stub.database.connection import writing
from server_stub.database.schema import sms_messages
from server_stub.errors import ApiError


@dataclass(frozen=True)
class Sms:
    id: str
    to: str  # E.164: +919876543210
    text: str
    kind: str  # otp, voucher, ...


class SendFailed(Exception):
    """The gateway did not take the message; the words say why (never the message's text)."""


class SmsGateway(Protocol):
    def send(self, message: Sms) -> None:
        """Hand the message over, or raise SendFailed."""


class FileGateway:
    """One JSON file per message in a folder: for the demo, the tests, and a store that has
    someone read them out."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: Sms) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            part = self.folder / f".{message.id}.part"
            part.write_text(json.dumps(asdict(message), ensure_ascii=False), encoding="utf-8")
            os.replace(part, self.folder / f"{message.id}.json")  # readers never see half a file
        except OSError as exc:
            raise SendFailed(f"cannot write to {self.folder}: {exc.strerror}") from None


class NoGateway:
    """No gateway set: nothing can be sent, and the shopper is told so."""

    def send(self, message: Sms) -> None:
        raise SendFailed("no SMS gateway is set (instore server --sms-gateway)")


def gateway_for(url: str) -> SmsGateway:
    """The gateway a URL names; "" for none."""
    if not url:
        return NoGateway()
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return FileGateway(Path(unquote(parsed.path)))
    raise ValueError(f"{url!r} is not an SMS gateway this server knows (file:///DIR)")


def send_sms(engine: Engine, gateway: SmsGateway, phone: str, text: str, kind: str) -> str:
    """Send one message and record it; its id. Raises ApiError 503 when the gateway refuses."""
    message = Sms(secrets.token_hex(12), phone, text, kind)
    now = time.time()
    error = ""
    try:
        gateway.send(message)
    except SendFailed as exc:
        error = str(exc)
    with writing(engine) as conn:
        conn.execute(
            sms_messages.insert().values(
                id=message.id, phone=phone, kind=kind, status="failed" if error else "sent",
                error=error, created=now, updated=now,
            )
        )  # fmt: skip
    if error:
        raise ApiError(503, "sms_failed", "the text message could not be sent; try again soon")
    return message.id
