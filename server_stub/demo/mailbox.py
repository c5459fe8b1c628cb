"""The demo's mail server: SMTP on loopback (aiosmtpd), each email it takes written to a folder
as NNNN.eml for the demo phone page. It takes mail for anyone and sends none on."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Mailbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self._controller: Controller | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Mailbox:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(_Keeper(self.folder), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class _Keeper:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content: Any = envelope.original_content or b""
        with self.lock:
            self.count += 1
            name = f"{self.count:04d}.eml"
        part = self.folder / f".{name}.part"
        part.write_bytes(bytes(content))
        os.replace(part, self.folder / name)  # the page never reads half an email
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
