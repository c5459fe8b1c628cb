"""A shopper at /play/ for tests: the server's app over HTTP in-process, SMS read from the file
gateway's folder, forms posted with their CSRF token as a browser would."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from requests import Response

from codes.campaign import Tier
from server_stub.device_api.service import SyncService
from server_stub.notifications.sms import gateway_for
from server_stub.notifications.worker import Worker
from server_stub.settings import ServerSettings
from tests.live import live_server
from tests.world import World

# the claim prize, the digital voucher prize and the rest, each with the campaign's own words
TIERS = (
    Tier("gold", 1, 500.0, "Gold coin", every=100, kind="claim", claim_days=30),
    Tier("music", 10, 5.0, "Music subscription, 3 months", every=100),
    Tier("sticker", None, 0.0, "Sticker"),
)


def serial_of_tier(world: World, tier: str, skip: int = 0) -> int:
    """An issued serial of that tier (the `skip`-th one; World.setup issues 1000)."""
    index = [t.name for t in world.campaign.tiers].index(tier)
    found = [s for s in range(1000) if world.cipher.plan.tier_of(s) == index]
    return found[skip]


def sms_folder(world: World) -> Path:
    return world.tmp / "sms"


def messages(folder: Path, kind: str | None = None) -> list[dict[str, Any]]:
    found = [
        json.loads(p.read_text())
        for p in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    ]
    return [m for m in found if kind is None or m["kind"] == kind]


def send_outbox(world: World) -> None:
    """What `instore server`'s outbox worker does within a second: the messages to winners
    (a voucher's SMS, a claim's news) sent, here to the world's SMS folder."""
    Worker(world.engine, None, gateway_for(f"file://{sms_folder(world)}")).send_due()


def last_password(folder: Path, phone: str | None = None) -> str:
    sent = [m for m in messages(folder, "otp") if phone is None or m["to"] == phone]
    (code,) = re.findall(r"(?<!\d)\d{6}(?!\d)", str(sent[-1]["text"]))
    return str(code)


@contextmanager
def server_for(world: World) -> Iterator[str]:
    """The server on loopback with SMS written to the world's folder; its base URL."""
    settings = ServerSettings(
        sms_gateway=f"file://{sms_folder(world)}", documents_dir=str(world.tmp / "documents")
    )
    with live_server(world.engine, SyncService(world.engine, settings)) as url:
        yield url


class Client(requests.Session):
    """A browser's session against one server: paths, not URLs."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Response:
        kwargs.setdefault("timeout", 30)
        return super().request(method, self.base + str(url), *args, **kwargs)


@dataclass
class Shopper:
    client: Client
    folder: Path
    page: Response | None = None

    @property
    def html(self) -> str:
        assert self.page is not None
        return self.page.text

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.html)
        assert found, self.html[:2000]
        return found.group(1)

    def open(self, path: str = "/play/", **params: str) -> Response:
        self.page = self.client.get(path, params=params)
        return self.page

    def carried(self) -> dict[str, str]:
        """The hidden fields naming what a form is about (a claim's win), as a browser sends."""
        found = re.findall(
            r'type="hidden" name="(code|event|device|mac|claim)" value="([^"]*)"', self.html
        )
        return dict(found)

    def post(self, path: str = "/play/", **fields: str) -> Response:
        self.page = self.client.post(path, data={"csrf": self.csrf(), **self.carried(), **fields})
        return self.page

    def sign_in(self, phone: str = "+919876543210") -> Shopper:
        self.open()
        self.post(phone=phone)
        assert 'name="otp"' in self.html, self.html
        self.post(otp=last_password(self.folder, phone))
        assert 'name="code"' in self.html, self.html
        return self

    def enter(self, code: str) -> Response:
        return self.post(code=code)
