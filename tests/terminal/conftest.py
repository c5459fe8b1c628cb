"""A provisioned device ledger on disk, and codes to scan at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from codes.campaign_cipher import CampaignCipher
from sync.outbox import apply_pull
from sync.protocol import PullResponse, VoucherGrant
from terminal.config import TerminalConfig
from terminal.engine import Terminal
from terminal.online_claims import ClaimRequest
from terminal.provision import provision
from tests.conftest import CampaignFactory


@dataclass
class Store:
    """A device with one campaign (2,000 codes: 1 gold and 5 silver in every 200, music; 1,000
    issued). Planned as rates, so the issued 1,000 hold exactly 5 gold and 25 silver whatever the
    random master key: no test finds its prize by chance."""

    path: Path
    cipher: CampaignCipher
    terminals: list[Terminal] = field(default_factory=list)

    def code(self, serial: int) -> str:
        return self.cipher.encode(serial)

    def serial_of_tier(self, tier: str, skip: int = 0) -> int:
        found = [
            s
            for s in range(1000)
            if self.cipher.campaign.tiers[self.cipher.plan.tier_of(s)].name == tier
        ]
        return found[skip]

    def open(self, claimer: object = None) -> Terminal:
        terminal = Terminal(self.path, claimer=claimer)  # type: ignore[arg-type]
        self.terminals.append(terminal)
        return terminal


StoreFactory = Callable[..., Store]


@pytest.fixture
def make_store(make_campaign: CampaignFactory, tmp_path: Path) -> Iterator[StoreFactory]:
    stores: list[Store] = []

    def make(
        config: TerminalConfig | None = None, name: str = "till1", **campaign_fields: object
    ) -> Store:
        campaign, key = make_campaign(
            tiers="gold:1/200,silver:1/20,music:*",
            capacity=2_000,
            issued=1000,
            file=f"{name}.toml",
            **campaign_fields,
        )
        cipher = CampaignCipher.issuer(campaign)
        path = tmp_path / f"{name}.db"
        provision(path, [(campaign, key)], device_name=name, store_id="store-1", config=config)
        store = Store(path, cipher)
        stores.append(store)
        return store

    yield make
    for store in stores:
        for terminal in store.terminals:
            terminal.close()


def send_slice(terminal: Terminal, *vouchers: str, tier: str = "music") -> dict[str, int]:
    """A pull whose answer lists every voucher the device holds now (of the store's campaign),
    applied as sync applies it."""
    grants = [VoucherGrant(campaign="ice-2026", tier=tier, voucher=v) for v in vouchers]
    answer = PullResponse(cursor=1, more=False, config_version=0, server_time=0.0, vouchers=grants)
    return apply_pull(terminal.ledger, answer)


class FakeServer:
    """A claimer that accepts, refuses, stalls or breaks, as a test wants."""

    def __init__(self, mode: str = "accept", balances: dict[str, int] | None = None) -> None:
        self.mode = mode
        self.claims: list[ClaimRequest] = []
        self.released: list[ClaimRequest] = []
        self.balances = balances or {}

    def claim(self, request: ClaimRequest, timeout: float) -> bool:
        self.claims.append(request)
        if self.mode == "stall":
            import time

            time.sleep(3)
        if self.mode == "raise":
            raise ConnectionError("server unreachable")
        return self.mode == "accept"

    def release(self, request: ClaimRequest, timeout: float) -> None:
        self.released.append(request)

    def balance(self, member: str, timeout: float) -> int:
        if self.mode in ("raise", "stall"):
            raise ConnectionError("server unreachable")
        return self.balances.get(member, 0)
