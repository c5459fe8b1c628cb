"""The program's rules every partner's points follow: how long a lot stays pending (the returns
window), when points expire, which spends ask for a one-time password, how early members hear
of an expiry, and the home region a phone number typed without its country code is read for.
One row (id 1) of the `program` table."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import phonenumbers
from sqlalchemy import Connection, select, update

from server_stub.catalog.device_config import bump_config_version
from server_stub.database.loyalty_tables import program as program_table
from server_stub.errors import ApiError


@dataclass(frozen=True)
class Program:
    name: str
    pending_days: int  # a lot is not spendable before this many days: returns take it back
    expiry_months: int  # a lot expires this many months after it was earned
    otp_above: int  # a spend of more points asks for a one-time password; 0: none does
    expiry_notice_days: int  # the SMS about expiring points goes out this many days ahead
    region: str | None = None  # ISO, e.g. KZ: where numbers without a country code are from

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT = Program("Loyalty program", pending_days=14, expiry_months=12, otp_above=0,
                  expiry_notice_days=30)  # fmt: skip
# each setting's range, and the words a manager reads when a value is outside it
_RANGES: dict[str, tuple[int, int, str]] = {
    "pending_days": (0, 365, "--pending-days is 0 to 365 days (0: points can be spent at once)"),
    "expiry_months": (1, 120, "--expiry-months is 1 to 120 months"),
    "otp_above": (0, 10**12, "--otp-above is a number of points, 0 or more (0: never ask)"),
    "expiry_notice_days": (0, 365, "--notice-days is 0 to 365 days (0: no expiry SMS)"),
}


def program(conn: Connection) -> Program:
    """The program's rules; the defaults when the row is missing (a database from before 0014's
    seed row, or one a test emptied)."""
    row = conn.execute(select(program_table).where(program_table.c.id == 1)).first()
    if row is None:
        return DEFAULT
    return Program(row.name, row.pending_days, row.expiry_months, row.otp_above,
                   row.expiry_notice_days, row.region or None)  # fmt: skip


def set_program(conn: Connection, **changes: Any) -> Program:
    """Change some of the rules (`pending_days=7`, `otp_above=500`, ...); the others stay. A
    change applies to lots earned from now on: a lot keeps the dates it was given."""
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if value is None:
            continue
        if key == "name":
            name = str(value).strip()
            if not name or len(name) > 200:
                raise ApiError(422, "bad_program", "the program's name is 1 to 200 characters")
            values["name"] = name
            continue
        if key == "region":
            values["region"] = _region(str(value))
            continue
        if key not in _RANGES:
            raise ApiError(422, "bad_program", f"the program has no setting {key!r}")
        low, high, words = _RANGES[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ApiError(422, "bad_program", words)
        values[key] = value
    if values:
        done = conn.execute(
            update(program_table)
            .where(program_table.c.id == 1)
            .values(**values, updated=time.time())
        )
        if done.rowcount == 0:
            conn.execute(program_table.insert().values(
                id=1, **{**DEFAULT.as_dict(), **values}, updated=time.time()
            ))  # fmt: skip
        # devices hold the lot rules and the code threshold: they fetch them at their next sync
        bump_config_version(conn)
    return program(conn)


def _region(text: str) -> str | None:
    """A country's two-letter code as phone numbers know it ("kz" -> "KZ"); "" clears it."""
    region = text.strip().upper()
    if not region:
        return None
    if len(region) != 2 or phonenumbers.country_code_for_region(region) == 0:
        raise ApiError(
            422, "bad_program",
            f"--region is a country's two-letter code such as IN, KZ or RU, not {text.strip()!r}",
        )  # fmt: skip
    return region
