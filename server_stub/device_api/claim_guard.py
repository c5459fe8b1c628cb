"""What stops one device from squatting on codes: a rate limit on online claims, and a hold on
a device that sends forged codes, each raising an alert the dashboard and `admin` show."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from sqlalchemy import Engine, select, update

from server_stub.database.schema import alerts, devices
from server_stub.errors import ApiError
from server_stub.settings import ServerSettings

FORGED = "forged_code"
REVIEWED = "forged_code_reviewed"  # what an admin's review turns FORGED alerts into


class ClaimGuard:
    """Kept per server process: with N workers a device gets at most N times the rate."""

    def __init__(self, engine: Engine, settings: ServerSettings) -> None:
        self.engine, self.settings = engine, settings
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._warned: dict[str, float] = {}
        self._lock = threading.Lock()
        self._pending: list[dict[str, object]] = []  # alerts to write once the request is over

    def admit(self, device_id: str, forged: int) -> None:
        """Refuse a claim over the rate (429) or from a device on hold (403); `forged`: the
        device's count of forged codes, read with its credential."""
        now = time.monotonic()
        with self._lock:
            recent = self._recent[device_id]
            while recent and recent[0] < now - 60:
                recent.popleft()
            over = len(recent) >= self.settings.claims_per_minute
            if not over:
                recent.append(now)
            warn = over and now - self._warned.get(device_id, -1e9) > 60
            if warn:
                self._warned[device_id] = now
        if over:
            if warn:
                self._alert(device_id, "claim_rate", f"more than {self.settings.claims_per_minute}"
                            " online claims in a minute; the rest refused")  # fmt: skip
            raise ApiError(429, "too_many_claims", "too many online claims from this device")
        if forged >= self.settings.forged_before_hold:
            raise ApiError(
                403, "claims_held",
                "this device sent forged codes; its online claims are held until an admin reviews it",
            )  # fmt: skip

    def forged(self, device_id: str, message: str) -> None:
        self._alert(device_id, FORGED, message)

    def _alert(self, device_id: str, kind: str, message: str) -> None:
        with self._lock:
            self._pending.append(
                {"device_id": device_id, "kind": kind, "message": message, "created": time.time()}
            )

    def flush(self) -> None:
        """Write the alerts noted, in a transaction of their own: the request that raised them
        was refused and rolled back, and holds no lock any more."""
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        with self.engine.begin() as conn:
            for alert in pending:
                name = conn.execute(
                    select(devices.c.name).where(devices.c.id == alert["device_id"])
                ).scalar()
                alert["message"] = f"{name or alert['device_id']}: {alert['message']}"
            conn.execute(alerts.insert(), pending)
            for alert in pending:
                if alert["kind"] == FORGED:
                    conn.execute(
                        update(devices).where(devices.c.id == alert["device_id"])
                        .values(forged=devices.c.forged + 1)
                    )  # fmt: skip
