"""The SMS gateway behind a small interface, and the messages sent through it.

`gateway_for(url)` makes the gateway `instore server --sms-gateway URL` names: `file:///DIR`
writes each message as `DIR/<id>.json` (`to`, `text`, `kind`, `id`), which the demo and the tests
read; `http(s)://...` POSTs the same JSON to a gateway, with `Authorization: Bearer
$INSTORE_SMS_TOKEN`. `send_sms` records each message (never its text: it may hold a one-time
password) and hands it to the gateway; the gateway's delivery reports move its status on
(`delivery`).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from sqlalchemy import Engine, update

from server_stub.database.connection import writing
from server_stub.database.schema import sms_messages
from server_stub.errors import ApiError

LOG = logging.getLogger("instore.server.sms")

# The one secret shared with the gateway: sent with each message, and asked of its delivery
# reports. From the environment, so it never shows in a process list or a shell's history.
TOKEN_VARIABLE = "INSTORE_SMS_TOKEN"
TIMEOUT_S = 5.0  # a shopper waits on the page while the gateway answers
SENDING = "sending"  # recorded before the gateway is asked, so a quick report finds the row
SENT = "sent"
FAILED = "failed"


def gateway_token() -> str:
    """The token shared with the gateway: $INSTORE_SMS_TOKEN, "" when unset."""
    return os.environ.get(TOKEN_VARIABLE, "").strip()


@dataclass(frozen=True)
class Sms:
    id: str
    to: str  # E.164: +919876543210
    text: str
    kind: str  # otp, voucher, ...


class SendFailed(Exception):
    """The gateway did not take the message; the words say why (never the message's text).
    `status`: the HTTP status a gateway answered with, when it answered at all."""

    def __init__(self, words: str, status: int | None = None) -> None:
        super().__init__(words)
        self.status = status


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
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # one-time passwords
            part = self.folder / f".{message.id}.part"
            with os.fdopen(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                f.write(json.dumps(asdict(message), ensure_ascii=False))
            os.replace(part, self.folder / f"{message.id}.json")  # readers never see half a file
        except OSError as exc:
            raise SendFailed(f"cannot write to {self.folder}: {exc.strerror}") from None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a refusal: followed, it would carry the bearer token somewhere else."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class HttpGateway:
    """POSTs each message as JSON (`to`, `text`, `kind`, `id`) to a gateway's URL, with
    `Authorization: Bearer TOKEN` when there is a token. Any 2xx answer means it took the
    message; anything else, no answer within `timeout_s`, or no connection raises SendFailed."""

    def __init__(self, url: str, token: str | None = None, timeout_s: float = TIMEOUT_S) -> None:
        self.url = url
        self.token = gateway_token() if token is None else token
        self.timeout_s = timeout_s
        # how errors name the gateway: its host only, since a path or query may hold a key
        self.where = urlparse(url).netloc.rpartition("@")[2]

    def send(self, message: Sms) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "instore-server"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps(asdict(message), ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, body, headers, method="POST")
        try:
            with _OPENER.open(request, timeout=self.timeout_s):
                pass  # a 2xx: taken; its body says nothing we keep
        except urllib.error.HTTPError as exc:
            exc.close()
            raise SendFailed(
                f"the SMS gateway at {self.where} refused the message (HTTP {exc.code})", exc.code
            ) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timed_out() from None
            reason = getattr(exc.reason, "strerror", None) or str(exc.reason)
            raise SendFailed(f"cannot reach the SMS gateway at {self.where}: {reason}") from None
        except TimeoutError:  # connected, then no answer in time
            raise self._timed_out() from None
        except (OSError, http.client.HTTPException) as exc:  # dropped, or not HTTP at all
            words = getattr(exc, "strerror", None) or type(exc).__name__
            raise SendFailed(
                f"the SMS gateway at {self.where} broke off its answer ({words})"
            ) from None

    def _timed_out(self) -> SendFailed:
        return SendFailed(
            f"the SMS gateway at {self.where} did not answer within {self.timeout_s:g} s"
        )


class NoGateway:
    """No gateway set: nothing can be sent, and the shopper is told so."""

    def send(self, message: Sms) -> None:
        raise SendFailed("no SMS gateway is set (instore server --sms-gateway)")


def gateway_for(url: str) -> SmsGateway:
    """The gateway a URL names; "" for none. ValueError, in words for whoever typed the URL,
    when it names none this server knows."""
    if not url:
        return NoGateway()
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "file":
        if parsed.netloc not in ("", "localhost") or not parsed.path.startswith("/"):
            raise ValueError(f"{url!r}: write a folder as file:///DIR, with three slashes")
        return FileGateway(Path(unquote(parsed.path)))
    if scheme in ("http", "https"):
        if not parsed.hostname:
            raise ValueError(f"{url!r} names no host (e.g. https://sms.example.com/send)")
        if "@" in parsed.netloc:
            raise ValueError(f"{url!r}: put the gateway's secret in ${TOKEN_VARIABLE}, not the URL")
        return HttpGateway(url)
    raise ValueError(
        f"{url!r} is not an SMS gateway this server knows: file:///DIR or http(s)://HOST/PATH"
    )


def start_warnings(url: str) -> list[str]:
    """What the person starting the server should hear about the gateway `url` names (one
    line each): no gateway at all, or an HTTP gateway without a token or without TLS."""
    if not url:
        return [
            "no SMS gateway is set (--sms-gateway): one-time passwords cannot be sent, so"
            " shoppers cannot sign in at /play/"
        ]
    parsed = urlparse(url)
    said = []
    if parsed.scheme.lower() in ("http", "https") and not gateway_token():
        said.append(
            f"${TOKEN_VARIABLE} is not set: messages go to the SMS gateway without a token,"
            " and /v1/sms/report refuses every delivery report"
        )
    if parsed.scheme.lower() == "http" and parsed.hostname not in ("127.0.0.1", "::1", "localhost"):
        said.append(
            "the SMS gateway's URL is http://, not https://: one-time passwords and the token"
            " cross the network unencrypted"
        )
    return said


def send_sms(engine: Engine, gateway: SmsGateway, phone: str, text: str, kind: str) -> str:
    """Send one message and record it; its id. Raises ApiError 503 when the gateway refuses."""
    message = Sms(secrets.token_hex(12), phone, text, kind)
    now = time.time()
    with writing(engine) as conn:
        conn.execute(
            sms_messages.insert().values(
                id=message.id, phone=phone, kind=kind, status=SENDING, error="", created=now,
                updated=now,
            )
        )  # fmt: skip
    error = ""
    try:
        gateway.send(message)
    except SendFailed as exc:
        error = str(exc)
    except BaseException:
        _settle(engine, message.id, FAILED, "the server failed while sending; see its log")
        raise
    # a delivery report may have come in already: it moved the status on, and stays
    _settle(engine, message.id, FAILED if error else SENT, error)
    if error:
        LOG.warning("SMS %s (%s) not sent: %s", message.id, kind, error)  # no number, no text
        raise ApiError(503, "sms_failed", "the text message could not be sent; try again soon")
    return message.id


def _settle(engine: Engine, message_id: str, status: str, error: str) -> None:
    with writing(engine) as conn:
        conn.execute(
            update(sms_messages)
            .where(sms_messages.c.id == message_id, sms_messages.c.status == SENDING)
            .values(status=status, error=error, updated=time.time())
        )
