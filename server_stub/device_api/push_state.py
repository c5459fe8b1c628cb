"""What a push carries through ingest: the device, each incoming event and its verdict so far.

Shared by the steps of ingest (push_reading, chain_check, ingest, points); none of them touches
another's tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypedDict

from sync.protocol import WireEventData


class Signer(NamedTuple):
    """The pushing device, as far as checking its events needs to know it."""

    id: str
    store_id: str
    secret: bytes


@dataclass
class DeviceState:
    """A device as the server knows it, read at the start of its push (row locked)."""

    id: str
    store_id: str
    name: str
    secret: bytes
    max_seq: int
    chain_seq: int
    chain_hash: str
    chain_ok: bool


class EventRow(TypedDict):
    """An event as the events table keeps it, before its verdict: the payload as signed, and
    what the server indexes copied out of it."""

    event_id: str
    device_id: str
    seq: int
    kind: str
    payload: str
    local_time: str
    prev_hash: str
    mac: str
    received: float
    store_id: str
    actor: str
    campaign: str | None
    serial: int | None
    tier: str | None
    value: float
    member: str | None
    points: int
    receipt: str | None
    target: str | None


@dataclass
class Incoming:
    """One new event on its way in, and what the server decided about it."""

    event: WireEventData
    hash: str
    row: EventRow
    verdict: str = "accepted"
    reason: str = ""
    conflict_id: int | None = None
    claim_new: bool = False

    def refuse(self, reason: str) -> None:
        self.verdict, self.reason = "rejected", reason

    @property
    def code_key(self) -> tuple[str, int]:
        """(campaign, serial) of a redemption, which push_reading read before any verdict."""
        campaign, serial = self.row["campaign"], self.row["serial"]
        assert campaign is not None and serial is not None, "not a redemption"
        return campaign, serial

    @property
    def member(self) -> str:
        """The member of a points event, which push_reading read before any verdict."""
        member = self.row["member"]
        assert member is not None, "not a points event"
        return member


class Alert(NamedTuple):
    """An alert a push raised: its kind, its sentence, and the cashier the event names (alerts.actor,
    the Alerts page's filter), "" where none does (a broken chain)."""

    kind: str
    message: str
    actor: str = ""


@dataclass
class Push:
    """One push being stored: its device, its new events, and the alerts and conflicts found."""

    device: DeviceState
    now: float
    incoming: list[Incoming] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    conflicts: list[tuple[Incoming, dict[str, Any]]] = field(default_factory=list)

    def alert(self, kind: str, message: str, actor: str = "") -> None:
        """Note an alert; ingest stores them with the push."""
        self.alerts.append(Alert(kind, message, actor))

    def conflict(self, item: Incoming, kind: str, **fields: Any) -> None:
        """Note a conflict; ingest stores them all at once and numbers them."""
        self.conflicts.append((item, {
            "kind": kind, "loser_event": item.event["event_id"], "loser_device": self.device.id,
            "member": item.row["member"], "created": self.now, "campaign": None, "serial": None,
            "code": None, "winner_event": None, "winner_device": None, "reward": "", "value": 0.0,
            "points": 0, **fields,
        }))  # fmt: skip
