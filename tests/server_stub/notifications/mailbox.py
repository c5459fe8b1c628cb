"""A real SMTP server on loopback (aiosmtpd) that keeps what it is sent: stopped and started
again on the same port, slow or refusing an address when a test says so."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.live import free_port


@dataclass
class Received:
    mail: EmailMessage
    to: list[str]
    encrypted: bool  # came over STARTTLS
    login: str | None  # who logged in, if anyone
    session: int  # which connection brought it

    @property
    def message_id(self) -> str:
        return str(self.mail["Message-ID"])

    @property
    def text(self) -> str:
        body = self.mail.get_body(("plain",))
        assert body is not None
        return str(body.get_content())


@dataclass
class Mailbox:
    port: int = field(default_factory=free_port)
    smtp_options: dict[str, Any] = field(default_factory=dict)  # aiosmtpd's SMTP(...) options
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> the reply to its RCPT
    delay_s: float = 0.0  # how long it takes over each message before answering
    on_message: Callable[[Received], None] | None = None  # run before it answers 250
    on_mail: Callable[[], str | None] | None = None  # at MAIL FROM: a reply instead of 250
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Mailbox:
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **self.smtp_options
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def message_ids(self) -> Counter[str]:
        with self._lock:
            return Counter(r.message_id for r in self.received)

    def wait_for(self, count: int, timeout_s: float = 30.0) -> list[Received]:
        """Wait until `count` messages (counted by Message-ID) have come; all received."""
        deadline = time.monotonic() + timeout_s
        while len(self.message_ids()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.message_ids())} of {count} messages arrived")
            time.sleep(0.05)
        with self._lock:
            return list(self.received)


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        mail_options: list[str],
    ) -> str:  # fmt: skip
        said = self.box.on_mail() if self.box.on_mail is not None else None
        if said:
            return said
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:  # fmt: skip
        if address in self.box.refuse:
            return self.box.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        mail = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(mail, EmailMessage)
        login = session.auth_data if session.authenticated else None
        received = Received(
            mail, list(envelope.rcpt_tos), session.ssl is not None,
            login.decode() if isinstance(login, bytes) else None, id(session),
        )  # fmt: skip
        with self.box._lock:
            self.box.received.append(received)
        if self.box.delay_s:
            await asyncio.sleep(self.box.delay_s)
        if self.box.on_message is not None:
            self.box.on_message(received)
        return "250 OK"
