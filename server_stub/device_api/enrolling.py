"""A device's first call: a one-time token traded for its identity, secret, keys and rules."""

from __future__ import annotations

import secrets
import time

from sqlalchemy import Engine, select, update

from server_stub.catalog import campaign_setup, device_config, program_content
from server_stub.catalog.enrollment import token_hash
from server_stub.database.connection import writing
from server_stub.database.schema import devices
from server_stub.errors import ApiError
from server_stub.settings import ServerSettings
from sync.protocol import EnrollRequest, EnrollResponse


def enroll(engine: Engine, settings: ServerSettings, request: EnrollRequest) -> EnrollResponse:
    """Trade a one-time token for the device's identity, secret, keys and rules.

    The token is spent the moment it is exchanged: whoever sees it afterwards gets nothing.
    An answer lost on the way needs a new token from the admin. A token not used within
    `token_lifetime_s` (default a day) has expired.
    """
    secret = secrets.token_bytes(32)
    with writing(engine) as conn:
        row = conn.execute(
            select(devices).where(
                devices.c.token_hash == token_hash(request.token),
                devices.c.revoked_at.is_(None),
                devices.c.created > time.time() - settings.token_lifetime_s,
            )
        ).first()
        if row is None:
            raise ApiError(
                401,
                "bad_token",
                "this enrollment token is unknown or already used; ask for a new one",
            )
        conn.execute(
            update(devices).where(devices.c.id == row.id)
            .values(secret=secret.hex(), enrolled_at=time.time(), token_hash=None)
        )  # fmt: skip
        # with the shoppers' address: the base of the claim QR links the device shows
        config = device_config.config_for_device(conn, row.store_id, settings.public_url)
        return EnrollResponse(
            device_id=row.id, device_name=row.name, store_id=row.store_id, secret=secret.hex(),
            campaigns=campaign_setup.campaign_grants(conn), config=config,
            config_version=device_config.config_version(conn), server_time=time.time(),
            program_content=program_content.program_content_for_devices(conn),
        )  # fmt: skip
