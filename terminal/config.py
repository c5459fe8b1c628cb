"""What a terminal is told by the server (or, in development, by `terminal init`): typed, one place."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from codes.campaign import Tier

LimitScope = Literal["cashier_day", "terminal_hour", "member_day"]
SCOPES: tuple[LimitScope, ...] = ("cashier_day", "terminal_hour", "member_day")
SCOPE_WORDS = {  # after "1 redemption" or "5 redemptions"
    "cashier_day": "per cashier per day",
    "terminal_hour": "per terminal per hour",
    "member_day": "per member per day",
}


@dataclass(frozen=True)
class Limit:
    """At most `max` redemptions in `scope`; hard refuses, soft lets through and alerts."""

    scope: LimitScope
    max: int
    hard: bool = True


@dataclass(frozen=True)
class PointLimit:
    """A limit on points or points operations (sync.protocol.PointLimitConfig; applied by
    terminal/point_limits.py): a total reaching `soft_low` alerts, past `soft_high` or `hard`
    the operation is refused."""

    id: int
    scope: str  # card | cashier | store | partner | terminal
    measure: str  # earn_points | spend_points | operations
    per: str  # operation | hour | day | week | month
    subject: str = "*"  # one card, cashier, store, partner or terminal; * each one apart
    soft_low: int | None = None
    soft_high: int | None = None
    hard: int | None = None

    def level(self, total: int) -> str:
        """ "ok", "soft" or "block" for a total with the operation in it (the server's
        PointLimitConfig.level answers the same)."""
        for cap in (self.hard, self.soft_high):
            if cap is not None and total > cap:
                return "block"
        return "soft" if self.soft_low is not None and total >= self.soft_low else "ok"


@dataclass(frozen=True)
class TierRule:
    """Offline risk budget for one tier, counted since the last successful sync."""

    tier: str
    offline_count: int | None = None
    offline_value: float | None = None
    needs_online: bool = False  # e.g. gold coins: only with the server's say-so


# An instant prize tier (one with a planned count, not the everyday remainder) with no rule of
# its own: at most this many offline between syncs. A stolen till cannot tell which serials are
# prizes, so a code forged as one is accepted offline only within this budget, and refused at sync.
DEFAULT_PRIZE_OFFLINE_COUNT = 10


def default_rule(tier: Tier) -> TierRule | None:
    """The budget a tier gets when the server sets none for it."""
    if tier.count is None or tier.kind != "instant":
        return None  # the everyday reward, or a prize confirmed before it ships
    return TierRule(tier.name, offline_count=DEFAULT_PRIZE_OFFLINE_COUNT)


@dataclass(frozen=True)
class BonusPeriod:
    """Between two days (YYYY-MM-DD, both counted), a purchase earns `multiplier` times."""

    start: str
    end: str
    multiplier: float


@dataclass(frozen=True)
class Loyalty:
    version: int = 0  # of the store's earn rules, named in every accrual and check-in
    currency_per_unit: float = 10.0  # every 10 currency units spent ...
    points_per_unit: int = 1  # ... earn 1 point
    checkin_points: int = 10
    offline_spend_cap: int = 500  # points one member may spend here between syncs
    max_points_per_receipt: int = 10_000  # however large the purchase
    rounding: str = "down"  # of the currency units a purchase is worth: down, nearest or up
    min_purchase: float = 0.0  # a smaller purchase earns nothing
    category_multipliers: Mapping[str, float] = field(default_factory=dict)
    bonus_periods: tuple[BonusPeriod, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Loyalty:
        """As the server sends it (sync.protocol.LoyaltyConfig), JSON lists and all."""
        fields = dict(data)
        fields["bonus_periods"] = tuple(
            b if isinstance(b, BonusPeriod) else BonusPeriod(**b)
            for b in fields.get("bonus_periods", ())
        )
        fields["category_multipliers"] = dict(fields.get("category_multipliers", {}))
        return cls(**fields)

    def points_for(
        self, amount: float, categories: Mapping[str, float] | None = None,
        day: str | None = None,
    ) -> int:  # fmt: skip
        """The server counts the same (sync.protocol.LoyaltyConfig.points_for, held equal by a
        property test) and its figure is the one that counts. `categories`: the basket's amount
        per product category; `day`: the purchase's day (YYYY-MM-DD), for bonus periods."""
        if not amount > 0 or amount < self.min_purchase:
            return 0
        worth = amount
        if categories and self.category_multipliers:
            worth = _weighted(amount, categories, self.category_multipliers)
        bonus = max(
            (b.multiplier for b in self.bonus_periods
             if day is not None and b.start <= day <= b.end),
            default=1.0,
        )  # fmt: skip
        if bonus != 1.0:
            worth = worth * bonus
        if not math.isfinite(worth / self.currency_per_unit):
            return self.max_points_per_receipt if self.points_per_unit else 0
        if self.rounding == "nearest":
            units = math.floor(worth / self.currency_per_unit + 0.5)
        elif self.rounding == "up":
            units = math.ceil(worth / self.currency_per_unit)
        else:
            units = int(worth // self.currency_per_unit)
        return min(units * self.points_per_unit, self.max_points_per_receipt)


def _weighted(amount: float, categories: Mapping[str, float], times: Mapping[str, float]) -> float:
    """Each category's part counted its multiplier's times, in the order of the names."""
    worth, covered = 0.0, 0.0
    for name in sorted(categories):
        part = min(categories[name], amount - covered)
        if not part > 0:
            continue
        worth += part * times.get(name, 1.0)
        covered += part
    return worth + (amount - covered)


@dataclass(frozen=True)
class CatalogueItem:
    """A prize members can take for points."""

    id: str
    name: str
    points: int
    partner: str = ""  # the partner who supplies it; empty: none named
    partner_name: str = ""  # that partner's name as shoppers know it (a server from before: none)


@dataclass(frozen=True)
class TerminalConfig:
    limits: tuple[Limit, ...] = ()
    tier_rules: tuple[TierRule, ...] = ()
    loyalty: Loyalty = field(default_factory=Loyalty)
    catalogue: tuple[CatalogueItem, ...] = ()  # empty: any item, at the points asked
    hold_seconds: int = 15 * 60  # an abandoned basket frees its codes after this
    max_offline_seconds: int = 72 * 3600  # pending older than this is overdue
    claim_timeout: float = 0.8
    play_url: str = ""  # the shoppers' address for a claim QR; empty: the sync server's
    # a lot earned here is pending this many days (the returns window) and expires this many
    # months on (terminal.lots.expiry_of); a server from before lots: none pending, none expiring
    pending_days: int = 0
    expiry_months: int | None = None
    point_limits: tuple[PointLimit, ...] = ()  # on points earned and spent (point_limits.py)
    otp_above: int = 0  # a spend of more points asks for the member's code (online); 0: never

    def item(self, item_id: str) -> CatalogueItem | None:
        return next((i for i in self.catalogue if i.id == item_id), None)

    def tier_rule(self, tier: str) -> TierRule | None:
        return next((r for r in self.tier_rules if r.tier == tier), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TerminalConfig:
        """What the server sent (sync.protocol.DeviceConfig); a field it left out keeps the
        default above, the one place a device's defaults are written."""
        defaults = cls()
        months = data.get("expiry_months", defaults.expiry_months)
        return cls(
            limits=tuple(Limit(**x) for x in data.get("limits", ())),
            tier_rules=tuple(TierRule(**x) for x in data.get("tier_rules", ())),
            loyalty=Loyalty.from_dict(data.get("loyalty", {})),
            catalogue=tuple(CatalogueItem(**x) for x in data.get("catalogue", ())),
            hold_seconds=int(data.get("hold_seconds", defaults.hold_seconds)),
            max_offline_seconds=int(data.get("max_offline_seconds", defaults.max_offline_seconds)),
            claim_timeout=float(data.get("claim_timeout", defaults.claim_timeout)),
            play_url=str(data.get("play_url", defaults.play_url)),
            pending_days=int(data.get("pending_days", defaults.pending_days)),
            expiry_months=None if months is None else int(months),
            point_limits=tuple(PointLimit(**x) for x in data.get("point_limits", ())),
            otp_above=int(data.get("otp_above", defaults.otp_above)),
        )
