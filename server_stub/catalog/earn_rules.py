"""Versions of each store's earn rules: the server recounts points with the rules a device had.

A device counts an accrual offline with the rules it was last given, and names their version in
the event. When the rules change while it is offline, its figure is still right by those rules;
the server recounts with the version named, provided that version was given to this store's
devices and was still in force within the max-offline window before the event arrived. Any other
version (unknown, another store's, long replaced) is counted by the rules in force now.
"""

from __future__ import annotations

import json
import time

from sqlalchemy import Connection, select, update

from server_stub.database.schema import earn_rules
from sync.protocol import LoyaltyConfig


def _text(rules: LoyaltyConfig) -> str:
    return json.dumps(rules.model_dump(exclude={"version"}), sort_keys=True)


def stamped(conn: Connection, store_id: str, rules: LoyaltyConfig) -> LoyaltyConfig:
    """The rules with their version, recording a new version when they changed (inside the
    caller's write transaction: a device is being given them)."""
    text = _text(rules)
    newest = conn.execute(
        select(earn_rules.c.version, earn_rules.c.data)
        .where(earn_rules.c.store_id == store_id)
        .order_by(earn_rules.c.version.desc()).limit(1)
    ).first()  # fmt: skip
    if newest is not None and newest.data == text:
        return rules.model_copy(update={"version": int(newest.version)})
    now = time.time()
    if newest is not None:
        conn.execute(
            update(earn_rules).where(earn_rules.c.version == newest.version).values(until=now)
        )
    version = conn.execute(
        earn_rules.insert().values(store_id=store_id, data=text, since=now)
        .returning(earn_rules.c.version)
    ).scalar_one()  # fmt: skip
    return rules.model_copy(update={"version": int(version)})


def named(
    conn: Connection, store_id: str, version: object, received: float, window_s: float
) -> LoyaltyConfig | None:
    """The rules of `version` if a device of this store may still count with them, else None."""
    if type(version) is not int or version <= 0:
        return None
    row = conn.execute(
        select(earn_rules.c.data, earn_rules.c.until).where(
            earn_rules.c.version == version, earn_rules.c.store_id == store_id
        )
    ).first()
    if row is None or (row.until is not None and row.until < received - window_s):
        return None
    return LoyaltyConfig.model_validate({**json.loads(row.data), "version": version})
