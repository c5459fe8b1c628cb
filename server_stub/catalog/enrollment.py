"""Devices as the server knows them: enrolled with a one-time token a person types at the till,
and listed. (Revoking and reviewing a device are administration: `server_stub/admin/`.)
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from sqlalchemy import Engine, select

from codes import crockford
from codes.common import event_form
from server_stub.catalog.store_setup import store_exists
from server_stub.database.schema import (
    devices,
)
from server_stub.errors import ApiError


def token_hash(token: str) -> str:
    """The hash kept of an enrollment token, read the way codes are: case, spaces and hyphens do
    not matter, and O reads as 0, I and L as 1 (a token typed from paper)."""
    folded = crockford.fold(token).upper()
    if len(folded) == 20:
        folded = "-".join(folded[i : i + 4] for i in range(0, 20, 4))
    return hashlib.sha256(folded.encode()).hexdigest()


def enrollment_token() -> str:
    """100 random bits a person can type at a till: XXXX-XXXX-XXXX-XXXX-XXXX, no look-alikes."""
    symbols = "".join(secrets.choice(crockford.ALPHABET) for _ in range(20))
    return "-".join(symbols[i : i + 4] for i in range(0, 20, 4))


def enroll_device(engine: Engine, store_id: str, name: str) -> dict[str, Any]:
    """A device record and its one-time token; the device trades the token for its secret."""
    if not name.strip():
        raise ApiError(422, "bad_name", "give the device a name staff recognise, e.g. 'Till 2'")
    token = enrollment_token()
    device_id = f"dev-{secrets.token_hex(6)}"
    with engine.begin() as conn:
        store_exists(conn, store_id)
        conn.execute(
            devices.insert().values(
                id=device_id, store_id=store_id, name=name.strip(), token_hash=token_hash(token),
                created=time.time(), chain_hash=event_form.GENESIS,
            )
        )  # fmt: skip
    return {"device_id": device_id, "store_id": store_id, "name": name.strip(), "token": token}


def list_devices(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                devices.c.id, devices.c.store_id, devices.c.name, devices.c.enrolled_at,
                devices.c.revoked_at, devices.c.last_seen, devices.c.max_seq, devices.c.chain_ok,
            ).order_by(devices.c.store_id, devices.c.name)
        )  # fmt: skip
        return [dict(r._mapping) for r in rows]
