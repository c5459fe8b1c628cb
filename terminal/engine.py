"""The offline engine: what a kiosk or a till asks, answered from the ledger and the cipher.

`Terminal` is the one object callers hold; each kind of question is answered by its own module:
codes by `redemptions` (with `offline_rules` and `online_claims`), points by `points`, the
manager's view by `device_status`. Plain Python, no network I/O: when sync can reach the server
it hands in a `Claimer`, tried first with a short timeout; a refusal refuses, and a failure or
timeout falls back to the offline rules. Every result that says "done" was committed to disk
before it was returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codes.campaign import Campaign, Tier
from codes.checker import CodeChecker
from terminal import device_status
from terminal.config import TerminalConfig
from terminal.device_setup import DeviceSetup
from terminal.ledger import Device, Ledger
from terminal.lots import LotBalance
from terminal.online_claims import Claimer, OnlineClaims
from terminal.points import Points
from terminal.redemptions import Redemptions
from terminal.results import Result
from terminal.wheel import Spins, WheelRules


class Terminal:
    """One in-store device over its ledger file."""

    def __init__(
        self, ledger: Ledger | Path | str, claimer: Claimer | None = None, read_only: bool = False
    ) -> None:
        """`read_only`: only check and status will be asked (see Ledger)."""
        self.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger, read_only=read_only)
        self.device: Device = self.ledger.device()
        self._online = OnlineClaims(claimer)
        self.reload()

    def reload(self) -> None:
        """Read config and campaign keys again (after sync brought new ones)."""
        self.setup = DeviceSetup.read(self.ledger)
        self._codes = Redemptions(self.ledger, self.device, self.setup, self._online)
        self._points = Points(self.ledger, self.device, self.setup.config, self._online)
        self._spins = Spins(self.ledger, self.device)

    @property
    def claimer(self) -> Claimer | None:
        return self._online.claimer

    @claimer.setter
    def claimer(self, claimer: Claimer | None) -> None:
        """Sync hands one in, or takes it away, while the terminal runs."""
        self._online.claimer = claimer

    @property
    def config(self) -> TerminalConfig:
        return self.setup.config

    @property
    def checker(self) -> CodeChecker:
        return self.setup.checker

    def campaigns(self) -> list[Campaign]:
        """The campaigns this device holds keys for."""
        return list(self.setup.campaigns.values())

    def reward(self, campaign: str | None, tier: str | None) -> Tier | None:
        """The prize a code's tier stands for, as its campaign describes it."""
        return self.setup.reward(campaign, tier)

    def close(self) -> None:
        self._online.close()
        self.ledger.close()

    # -- codes (redemptions.py) ------------------------------------------------------------

    def check(self, code: str) -> Result:
        """What the code is and whether it can be redeemed here; changes nothing."""
        return self._codes.check(code)

    def redeem(self, code: str, actor: str = "", context: dict[str, Any] | None = None) -> Result:
        """Redeem a code now: online claim when possible, offline rules otherwise."""
        return self._codes.redeem(code, actor, context)

    def hold(self, code: str, basket: str, actor: str = "") -> Result:
        """Reserve a code for a basket until commit, release or expiry."""
        return self._codes.hold(code, basket, actor)

    def commit(
        self, hold_id: str, receipt: str = "", context: dict[str, Any] | None = None
    ) -> Result:
        """Redeem a held code when the basket is paid."""
        return self._codes.commit(hold_id, receipt, context)

    def holds(self, basket: str) -> list[tuple[str, str]]:
        """(hold id, code) of each code held for this basket, in the order they were held."""
        return self.ledger.holds_of(basket)

    def release(self, hold_id: str) -> Result:
        return self._codes.release(hold_id)

    def void(self, event_id: str, reason: str, actor: str = "") -> Result:
        """Undo a redemption or a points event, by event id or by the code as printed."""
        return self._codes.void(event_id, reason, actor)

    def receipt_events(self, receipt: str) -> list[str]:
        """The redemptions and points a receipt carried that are not voided yet, oldest first."""
        return self.ledger.receipt_events(receipt)

    # -- points (points.py) ------------------------------------------------------------------

    def accrue(
        self, member: str, amount: float, receipt: str, actor: str = "",
        categories: Mapping[str, float] | None = None,
    ) -> Result:  # fmt: skip
        """Points for a purchase, by the store's earn rules; a receipt earns once.
        `categories`: the basket's amount per product category, for the rules' multipliers."""
        return self._points.accrue(member, amount, receipt, actor, categories)

    def checkin(self, member: str, actor: str = "") -> Result:
        """A visit bonus: once per member per store per day."""
        return self._points.checkin(member, actor)

    def spend(
        self, member: str, points: int, item: str, actor: str = "", code: str | None = None
    ) -> Result:
        """Exchange points for an item, against the balance this device knows. Above the
        program's otp_above: `needs_code` (a code was texted to the member), then again with
        `code`; offline `needs_online`."""
        return self._points.spend(member, points, item, actor, code)

    def send_code(
        self, member: str, purpose: str = "spend", points: int = 0, lang: str = "en"
    ) -> Result:
        """Text the member a code again ("spend" of `points`, or "register")."""
        return self._points.codes.send(purpose, member, points, lang)

    def register(
        self, phone: str, via: str, lang: str = "en", card: str | None = None,
        code: str | None = None,
    ) -> Result:  # fmt: skip
        """A member by phone at a till or kiosk (`via`): `member_found`, or for a new phone
        `needs_code` and then, with `code`, `registered`; offline `needs_online`."""
        return self._points.codes.register(phone, via, lang, card, code)

    def balance(self, member: str) -> Result:
        return self._points.balance(member)

    def known_balance(self, member: str) -> tuple[int, bool]:
        """(balance, from the server just now?)."""
        return self._points.known_balance(member)

    def known_points(self, member: str) -> tuple[LotBalance, bool]:
        """(the member's lots now: available, pending, what expires when; from the server?)."""
        return self._points.known_points(member)

    # -- the bonus wheel (wheel.py) -----------------------------------------------------------

    def spin(self, member: str, campaign: str | None = None, actor: str = "") -> Result:
        """Spin the bonus wheel for a member: the next outcome of this device's slice of the
        server's draw (`spun`, with `outcome` and `points`), or why not."""
        return self._spins.spin(member, campaign, actor)

    def spin_refusal(self, member: str, campaign: str | None = None) -> Result | None:
        """Why the member cannot spin here now (the answer `spin` would give), or None: a spin
        waits for them. Only reads: the kiosk offers the wheel by it."""
        return self._spins.refusal(member, campaign)

    def wheel(self, campaign: str | None = None) -> WheelRules | None:
        """The wheel's rules (outcomes and odds) for the rules screen; None: no wheel here."""
        return self._spins.wheel(campaign)

    # -- the manager's view (device_status.py) ----------------------------------------------

    def status(self) -> dict[str, Any]:
        """What a store manager needs at a glance; quick even with a million events pending."""
        return device_status.status(self.ledger, self.device, self.setup)

    def recent_redemptions(self, limit: int = 20) -> list[dict[str, Any]]:
        """The last redemptions here, newest first."""
        return device_status.recent_redemptions(self.ledger, limit)
