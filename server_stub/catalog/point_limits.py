"""The limits on points a store's devices are given (rows of loyalty_limits, set with
`instore admin limit`, whose rules are server_stub/loyalty/limits.py): the chain's card, cashier
and terminal limits, and the store and partner limits that name this store or its partner, or
every one (`*`).

Read here, in the room that builds a device's config, because the loyalty room sits above it.
"""

from __future__ import annotations

from sqlalchemy import Connection, or_, select

from server_stub.database.loyalty_tables import loyalty_limits
from server_stub.database.schema import stores
from sync.protocol import PointLimitConfig


def as_config(row: object) -> PointLimitConfig:
    """A loyalty_limits row as the wire carries it."""
    m = row._mapping  # type: ignore[attr-defined]
    return PointLimitConfig(
        id=m["id"], scope=m["scope"], subject=m["subject"], measure=m["measure"],
        per=m["per"], soft_low=m["soft_low"], soft_high=m["soft_high"], hard=m["hard"],
    )  # fmt: skip


def all_limits(conn: Connection) -> list[PointLimitConfig]:
    """Every limit, oldest first."""
    return [
        as_config(r) for r in conn.execute(select(loyalty_limits).order_by(loyalty_limits.c.id))
    ]


def partner_of(conn: Connection, store_id: str) -> str | None:
    return conn.execute(select(stores.c.partner_id).where(stores.c.id == store_id)).scalar()


def for_store(conn: Connection, store_id: str) -> list[PointLimitConfig]:
    """The limits that apply at the store: a store or partner limit of another store or partner
    is left out, so a device needs to know neither its partner nor the other stores."""
    partner = partner_of(conn, store_id)
    t = loyalty_limits
    here = or_(
        t.c.scope.in_(("card", "cashier", "terminal")),
        (t.c.scope == "store") & t.c.subject.in_(("*", store_id)),
        (t.c.scope == "partner") & t.c.subject.in_(("*", partner or "")),
    )
    if partner is None:  # a store of no partner: a partner limit has no partner to count
        here = here & (t.c.scope != "partner")
    return [as_config(r) for r in conn.execute(select(t).where(here).order_by(t.c.id))]
