"""The bonus wheel's tables (migration 0018, server_stub/loyalty/wheel.py): each campaign's
wheel with its seed and commitment, the slices of its sequence handed to devices, and every spin
recorded. Defined on schema.py's `metadata` (loyalty_tables imports this module at its end)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Text

from server_stub.database.schema import metadata

# one row a campaign: its outcomes ('50 points:40,cap:1,...'), the seed (hex, never sent to a
# device; revealed by `instore admin wheel reveal` or at the campaign's end) and SHA-256 of it,
# how long its sequence is (the budget) and where the next slice starts
wheels = Table(
    "wheels",
    metadata,
    Column("campaign", String(64), primary_key=True),
    Column("outcomes", Text, nullable=False),
    Column("per_day", Integer, nullable=False),
    Column("seed", String(64), nullable=False),
    Column("commitment", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),  # outcomes in the sequence: indexes 0..size-1
    Column("next_index", BigInteger, nullable=False, server_default="0"),
    Column("created", Float, nullable=False),
    Column("revealed", Float),  # when the seed was revealed: the wheel has ended
)

# a range of a wheel's sequence handed to one device: indexes start..stop-1 are its alone
wheel_slices = Table(
    "wheel_slices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign", String(64), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("start", BigInteger, nullable=False),
    Column("stop", BigInteger, nullable=False),
    Column("granted", Float, nullable=False),
)
Index("wheel_slices_device", wheel_slices.c.device_id, wheel_slices.c.campaign)

# every spin a device pushed, once per index (the key refuses a second use of one outcome)
wheel_spins = Table(
    "wheel_spins",
    metadata,
    Column("campaign", String(64), primary_key=True),
    Column("idx", BigInteger, primary_key=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("device_id", String(64), nullable=False),
    Column("member_id", Integer, nullable=False),
    Column("day", String(10), nullable=False),  # the day it counts for (UTC)
    Column("outcome", String(32), nullable=False),  # as the device showed it
    Column("points", BigInteger, nullable=False),
    Column("created", Float, nullable=False),
)
Index("wheel_spins_member_day", wheel_spins.c.campaign, wheel_spins.c.member_id,
      wheel_spins.c.day)  # fmt: skip
