"""Email to winners over SMTP, behind a small interface, and a mailbox of our own for tests.

`SmtpSender` speaks to the mail server `instore server --smtp HOST:PORT` names: one connection
for a batch of messages, STARTTLS whenever the server offers it (port 465 is TLS from the first
byte), and the login in $INSTORE_SMTP_USER and $INSTORE_SMTP_PASSWORD when they are set, never
over a connection that is not encrypted unless the server is on this machine. Each message's
Message-ID comes from its outbox key, so a copy sent again after a crash is the same message
to the mailbox.

A failure says who is at fault (`EmailFailed`): the message itself, for good (a 5xx for this
address or its content: it goes dead letter), or for now (a 4xx: tried again later); or the
mail server as a whole (no connection, a 4xx or 5xx before any address is named, a refused
login or sender): every email waits until it answers again.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from typing import Protocol

USER_VARIABLE = "INSTORE_SMTP_USER"
PASSWORD_VARIABLE = "INSTORE_SMTP_PASSWORD"
TIMEOUT_S = 10.0  # a mail server that says nothing for this long is down for this batch
TLS_PORT = 465  # SMTPS: TLS from the first byte, not STARTTLS
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class Email:
    key: str  # the outbox key: the Message-ID is made from it
    to: str
    subject: str
    body: str
    lang: str = "en"


class EmailFailed(Exception):
    """Not sent. `permanent`: this message will never go (a dead letter). `whole_server`: the
    mail server cannot take any message now (not this message's fault)."""

    def __init__(self, words: str, permanent: bool = False, whole_server: bool = False) -> None:
        super().__init__(words)
        self.permanent = permanent
        self.whole_server = whole_server


class EmailSender(Protocol):
    def send(self, message: Email) -> None:
        """Hand the message over, or raise EmailFailed."""

    def close(self) -> None:
        """End the batch: close the connection, if any."""


def message_id(key: str, domain: str) -> str:
    """The same Message-ID for every copy of one outbox message."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}.outbox@{domain}>"


def parse_server(text: str) -> tuple[str, int]:
    """HOST:PORT (or [IPv6]:PORT) as `--smtp` takes it; ValueError in words otherwise."""
    host, _, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(
            f"{text!r} is not a mail server: write HOST:PORT, e.g. mail.example.com:587"
        )
    return host, int(port)


def check_sender(address: str) -> str:
    """The `--mail-from` address, checked; ValueError in words when it is not one."""
    _name, plain = parseaddr(address)
    if "@" not in plain or not plain.isascii() or any(c.isspace() for c in plain):
        raise ValueError(
            f"{address!r} is not an address to send from, e.g. prizes@example.com or"
            " 'Prize office <prizes@example.com>'"
        )
    return address.strip()


def build(message: Email, sender: str, now: float | None = None) -> bytes:
    """The email as it goes on the wire: plain text in UTF-8 (base64, so any mail server takes
    it, with or without 8BITMIME), its Message-ID from its key. Written out by hand: Python's
    EmailMessage took 3 ms a message, most of a message's time at 200 a second."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    body = base64.encodebytes(message.body.encode()).replace(b"\n", b"\r\n")
    lines = [
        f"From: {_from_header(sender)}",
        f"To: {message.to}",
        f"Subject: {_encoded(message.subject)}",
        f"Date: {formatdate(now, localtime=False)}",
        f"Message-ID: {message_id(message.key, domain)}",
        f"Content-Language: {_one_line(message.lang)}",
        "Auto-Submitted: auto-generated",  # no out-of-office replies to a notification
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


@functools.cache
def _from_header(sender: str) -> str:
    name, address = parseaddr(sender)
    return formataddr((_one_line(name), address), charset="utf-8")


def _encoded(text: str) -> str:
    """A header's words: as they are in ASCII, else RFC 2047 (UTF-8, base64), folded."""
    text = _one_line(text)
    return text if text.isascii() else Header(text, "utf-8", maxlinelen=76).encode()


def _one_line(text: str) -> str:
    return " ".join(text.split())  # no CR or LF can start a header of its own


class SmtpSender:
    """Email through an SMTP server, one connection for as many messages as come before
    `close()`. The login comes from the environment; a TLS certificate is checked against the
    system's authorities (or $SSL_CERT_FILE)."""

    def __init__(
        self, host: str, port: int, sender: str, timeout_s: float = TIMEOUT_S,
        user: str | None = None, password: str | None = None,
    ) -> None:  # fmt: skip
        self.host, self.port, self.sender, self.timeout_s = host, port, sender, timeout_s
        self.user = os.environ.get(USER_VARIABLE, "") if user is None else user
        self.password = os.environ.get(PASSWORD_VARIABLE, "") if password is None else password
        self.envelope = parseaddr(sender)[1]
        self.where = f"{host}:{port}"
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: Email) -> None:
        if not message.to.isascii() or "@" not in message.to:
            raise EmailFailed("the address is not one this server can send to", permanent=True)
        smtp = self._connected()
        data = build(message, self.sender)
        try:
            smtp.sendmail(self.envelope, [message.to], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, words = next(iter(exc.recipients.values()))
            raise self._refused("the address", code, words) from None
        except smtplib.SMTPDataError as exc:
            raise self._refused("the message", exc.smtp_code, exc.smtp_error) from None
        except smtplib.SMTPSenderRefused as exc:  # our --mail-from: every message would fail
            self.close()
            raise EmailFailed(
                f"the mail server at {self.where} refused the sender address"
                f" ({exc.smtp_code} {_said(exc.smtp_error)})", whole_server=True,
            ) from None  # fmt: skip
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise self._down(exc) from None

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _connected(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        try:
            smtp = self._open()
        except EmailFailed:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise EmailFailed(
                f"the mail server at {self.where} refused the login in ${USER_VARIABLE}"
                f" ({exc.smtp_code} {_said(exc.smtp_error)})", whole_server=True,
            ) from None  # fmt: skip
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise self._down(exc) from None
        self._smtp = smtp
        return smtp

    def _open(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.port == TLS_PORT:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            smtp.ehlo()
            encrypted = self.port == TLS_PORT
            if not encrypted and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                encrypted = True
            if self.user:
                if not encrypted and self.host not in LOOPBACK:
                    raise EmailFailed(
                        f"the mail server at {self.where} offers no STARTTLS: the password in"
                        f" ${PASSWORD_VARIABLE} is not sent unencrypted", whole_server=True,
                    )  # fmt: skip
                smtp.login(self.user, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _refused(self, what: str, code: int, words: bytes | str) -> EmailFailed:
        return EmailFailed(
            f"the mail server at {self.where} refused {what} ({code} {_said(words)})",
            permanent=code >= 500,
        )

    def _down(self, exc: BaseException) -> EmailFailed:
        if isinstance(exc, TimeoutError | socket.timeout):
            words = f"did not answer within {self.timeout_s:g} s"
        elif isinstance(exc, smtplib.SMTPResponseException):
            words = f"answered {exc.smtp_code} {_said(exc.smtp_error)}"
        else:
            words = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return EmailFailed(f"cannot send through the mail server at {self.where}: {words}",
                           whole_server=True)  # fmt: skip


def _said(words: bytes | str) -> str:
    """A server's reply, short and printable (it may echo the address: not logged whole)."""
    text = words.decode(errors="replace") if isinstance(words, bytes) else str(words)
    return " ".join(text.split())[:120]


@dataclass
class FakeMailbox:
    """An EmailSender for unit tests: keeps what it is sent; `fail_with` raises instead."""

    sent: list[Email] = field(default_factory=list)
    fail_with: EmailFailed | None = None
    batches: int = 0  # how many times close() ended a batch

    def send(self, message: Email) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)

    def close(self) -> None:
        self.batches += 1
