"""Partners: the companies in the program. A partner issues points at its stores (role accrual),
takes them for prizes (redemption), or both; its point price is what one point it issues is
worth in money when settling with the others; its earn rules are what its stores' devices count
points by (they override the store's own rules, see catalog/device_config.py)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select, update

from server_stub.catalog.device_config import bump_config_version
from server_stub.catalog.store_setup import store_exists
from server_stub.database.loyalty_tables import partners
from server_stub.database.schema import stores
from server_stub.errors import ApiError, describe
from sync.protocol import EARN_RULE_FIELDS, LoyaltyConfig

ROLES = ("accrual", "redemption", "both")
_ID = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")
MAX_POINT_PRICE = 1_000_000.0


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    role: str  # accrual | redemption | both
    point_price: float  # one of its points in money, for settlement
    rules: dict[str, Any] = field(default_factory=dict)  # earn-rule fields of LoyaltyConfig

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def issues(self) -> bool:
        return self.role in ("accrual", "both")

    @property
    def redeems(self) -> bool:
        return self.role in ("redemption", "both")


def create(
    conn: Connection, partner_id: str, name: str, role: str, point_price: float,
    rules: dict[str, Any] | None = None, now: float | None = None,
) -> Partner:  # fmt: skip
    """A new partner; 409 `exists` when the id is taken, 422 with the reason for bad values."""
    partner_id, name = partner_id.strip().lower(), name.strip()
    if not _ID.fullmatch(partner_id):
        raise ApiError(
            422, "bad_partner",
            "a partner's id is 1 to 64 lower-case letters, digits, '-', '_' or '.', e.g. fuel-co",
        )  # fmt: skip
    if not name or len(name) > 200:
        raise ApiError(422, "bad_partner", "a partner's name is 1 to 200 characters")
    if role not in ROLES:
        raise ApiError(422, "bad_partner", f"a partner's role is one of {', '.join(ROLES)}")
    _check_price(point_price)
    checked = check_rules(rules or {})
    if get(conn, partner_id) is not None:
        raise ApiError(409, "exists", f"partner {partner_id} already exists")
    conn.execute(partners.insert().values(
        id=partner_id, name=name, role=role, point_price=float(point_price),
        rules=json.dumps(checked, sort_keys=True), created=time.time() if now is None else now,
    ))  # fmt: skip
    return must_get(conn, partner_id)


def get(conn: Connection, partner_id: str) -> Partner | None:
    row = conn.execute(select(partners).where(partners.c.id == partner_id)).first()
    return None if row is None else _partner(row)


def must_get(conn: Connection, partner_id: str) -> Partner:
    """`get`, or ApiError 404 `no_partner` in words."""
    found = get(conn, partner_id)
    if found is None:
        raise ApiError(
            404, "no_partner",
            f"there is no partner {partner_id!r}; see 'instore admin partner list'",
        )  # fmt: skip
    return found


def of_store(conn: Connection, store_id: str) -> Partner | None:
    """The partner the store belongs to; None for a store of no partner."""
    row = conn.execute(
        select(partners).join(stores, stores.c.partner_id == partners.c.id)
        .where(stores.c.id == store_id)
    ).first()  # fmt: skip
    return None if row is None else _partner(row)


def all_partners(conn: Connection) -> list[Partner]:
    return [_partner(r) for r in conn.execute(select(partners).order_by(partners.c.id))]


def set_rules(conn: Connection, partner_id: str, changes: dict[str, Any]) -> Partner:
    """Change some of the partner's earn rules (a value None takes that rule back to the
    store's own); its stores' devices count by them from their next sync."""
    found = must_get(conn, partner_id)
    merged = {**found.rules, **changes}
    checked = check_rules({k: v for k, v in merged.items() if v is not None})
    conn.execute(
        update(partners).where(partners.c.id == found.id)
        .values(rules=json.dumps(checked, sort_keys=True))
    )  # fmt: skip
    bump_config_version(conn)  # its stores' devices fetch the rules at their next sync
    return must_get(conn, found.id)


def assign_store(conn: Connection, store_id: str, partner_id: str | None) -> dict[str, Any]:
    """Move a store to a partner (None: to none). Its devices count points by the partner's
    earn rules from their next sync; points earned before keep the partner they were earned at."""
    store_exists(conn, store_id)
    kept = None if partner_id is None else must_get(conn, partner_id.strip().lower()).id
    conn.execute(update(stores).where(stores.c.id == store_id).values(partner_id=kept))
    bump_config_version(conn)
    return {"id": store_id, "partner": kept}


def set_point_price(conn: Connection, partner_id: str, point_price: float) -> Partner:
    found = must_get(conn, partner_id)
    _check_price(point_price)
    conn.execute(
        update(partners).where(partners.c.id == found.id).values(point_price=float(point_price))
    )
    return must_get(conn, found.id)


def check_rules(rules: dict[str, Any]) -> dict[str, Any]:
    """The rules as they will be kept (JSON-ready), or ApiError 422 `bad_rules` saying which
    one is wrong. Only earn rules: a partner does not set a store's check-in points or caps."""
    unknown = sorted(set(rules) - set(EARN_RULE_FIELDS))
    if unknown:
        raise ApiError(
            422, "bad_rules",
            f"a partner has no earn rule {unknown[0]!r}; the rules are {', '.join(EARN_RULE_FIELDS)}",
        )  # fmt: skip
    try:
        checked = LoyaltyConfig.model_validate(rules)
    except ValidationError as exc:
        raise ApiError(422, "bad_rules", describe(exc.errors())) from None
    dumped = checked.model_dump(mode="json")
    return {k: dumped[k] for k in rules}


def _check_price(point_price: float) -> None:
    if not 0 <= point_price <= MAX_POINT_PRICE or point_price != point_price:
        raise ApiError(422, "bad_partner", "a point price is a sum of money, 0 or more, e.g. 0.10")


def _partner(row: Any) -> Partner:
    try:
        rules = json.loads(row.rules or "{}")
    except ValueError:
        rules = {}
    return Partner(row.id, row.name, row.role, float(row.point_price), rules)
