"""Reading a push: each event checked for shape, signature and storable text, and copied into
the row the server keeps; then the cipher's second look at every redeemed code.

None of this needs the database, so several server processes do it side by side before the
push's one short transaction (ingest.push).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from pydantic import ValidationError

from codes import layout
from codes.common.event_form import DeviceKey, canonical_payload
from server_stub.device_api.push_state import EventRow, Incoming, Signer
from server_stub.device_api.recheck import LATE_WINDOW_S, Claimed, Rechecker
from server_stub.errors import describe
from sync import protocol
from sync.protocol import EVENT_KINDS, EventVerdict, WireEvent, WireEventData

POINT_KINDS = ("accrue", "checkin", "spend")
MAX_POINTS = 10**9  # more points than any purchase earns: a garbled or hostile event
UNSTORABLE = "malformed: the payload has text that cannot be stored"


@dataclass
class Prepared:
    """A push checked without the database: verdicts for malformed events, the rest in order."""

    device: Signer
    now: float
    rechecker: Rechecker  # the campaigns the events were checked against
    verdicts: dict[int, EventVerdict]  # by position in the request
    fresh: list[tuple[int, Incoming]]  # (position, event), each event id and seq once
    # Events past the device's last stored one are new unless another device used their id,
    # which storing them would reveal (bulk.KeyTaken); the push is then redone with this set.
    look_up_every_id: bool


def prepare(
    device: Signer, raw_events: list[Any], rechecker: Rechecker, look_up_every_id: bool = False,
    checked: bool = False,
) -> Prepared:  # fmt: skip
    """Everything about a push that the database is not needed for.

    `checked`: the events were read as WireEventData already (see SyncService._parse_push);
    otherwise each is checked here, and a malformed one is rejected alone.
    """
    now = time.time()
    key = DeviceKey(device.secret)
    verdicts: dict[int, EventVerdict] = {}
    fresh: list[tuple[int, Incoming]] = []
    ids: set[str] = set()
    seqs: dict[int, str] = {}
    for position, raw in enumerate(raw_events):
        try:
            event = cast(
                WireEventData, raw if checked else WireEvent.model_validate(raw).model_dump()
            )
        except ValidationError as exc:
            event_id = str(raw.get("event_id", "")) if isinstance(raw, dict) else ""
            verdicts[position] = EventVerdict(
                event_id=event_id[:64], verdict="rejected",
                reason=f"malformed: {describe(exc.errors())}",
            )  # fmt: skip
            continue
        event_id, seq = event["event_id"], event["seq"]
        if event_id in ids:
            continue  # the same event twice in one batch: answered once
        ids.add(event_id)
        if seq in seqs:  # two events of one batch claim the same place in the chain
            verdicts[position] = EventVerdict(
                event_id=event_id, seq=seq, verdict="rejected",
                reason=f"seq_reused: event {seq} of this device is already {seqs[seq]}",
            )  # fmt: skip
            continue
        try:
            item = _incoming(device, key, event, now)
        except UnicodeEncodeError:  # a lone surrogate: JSON allows it, no database stores it
            verdicts[position] = EventVerdict(
                event_id=event_id, seq=seq, verdict="rejected", reason=UNSTORABLE
            )
            continue
        except (ValueError, RecursionError):  # NaN or Infinity, or nesting deeper than Python's
            verdicts[position] = EventVerdict(
                event_id=event_id, seq=seq, verdict="rejected",
                reason="malformed: the payload holds NaN, Infinity or nesting too deep",
            )  # fmt: skip
            continue
        seqs[seq] = event_id
        fresh.append((position, item))
    fresh.sort(key=lambda pi: pi[1].event["seq"])
    _recheck_codes(rechecker, [item for _, item in fresh])
    return Prepared(device, now, rechecker, verdicts, fresh, look_up_every_id)


def _incoming(device: Signer, key: DeviceKey, event: WireEventData, now: float) -> Incoming:
    p, kind = event["payload"], event["kind"]
    payload_json = canonical_payload(p)  # encoded once: for the signature and for storing
    row: EventRow = {
        "event_id": event["event_id"], "device_id": device.id, "seq": event["seq"], "kind": kind,
        "payload": payload_json, "local_time": event["local_time"],
        "prev_hash": event["prev_hash"], "mac": event["mac"], "received": now,
        "store_id": device.store_id, "actor": _actor(p.get("actor")),
        "campaign": None, "serial": None, "tier": None, "value": 0.0, "member": None,
        "points": 0, "receipt": None, "target": None,
    }  # fmt: skip
    event_hash, mac = key.hash_and_mac(row, payload_json)  # a lone surrogate raises here
    item = Incoming(event, event_hash, row)
    if kind not in EVENT_KINDS:
        item.refuse(f"unknown_kind: {kind!r}")
    elif not hmac.compare_digest(mac, event["mac"]):
        item.refuse("altered: the event's signature does not match its contents")
    else:
        try:
            _read_payload(item)
        except (KeyError, TypeError, ValueError) as exc:
            item.refuse(f"malformed: payload {exc}")
        else:
            _refuse_unstorable(item)
    return item


# -- text no database keeps ----------------------------------------------------------------
# A lone surrogate cannot be encoded at all: signing the event refuses it (UnicodeEncodeError,
# above). A NUL is fine inside the stored payload, where JSON writes it as \u0000, but not in a
# column: an event whose indexed text holds one is refused, except the cashier's name, which is
# only a label and is dropped so the event still counts.

_TEXT_COLUMNS = ("campaign", "tier", "member", "receipt", "target")


def _refuse_unstorable(item: Incoming) -> None:
    row = item.row
    if "\\u0000" not in row["payload"]:  # JSON writes a NUL only so: none anywhere (the usual)
        return
    if "\x00" in row["actor"]:
        row["actor"] = ""
    for name in _TEXT_COLUMNS:
        if "\x00" in (row[name] or ""):  # type: ignore[literal-required]
            row[name] = None  # type: ignore[literal-required]  # the event is kept, refused
            item.refuse(UNSTORABLE)


# -- the payload, by kind ------------------------------------------------------------------


def _read_payload(item: Incoming) -> None:
    """Copy what the server indexes out of the payload; raise on anything out of shape."""
    p, row, kind = item.event["payload"], item.row, item.event["kind"]
    if kind == "redeem":
        serial = _whole(p["serial"], "serial")
        if not 0 <= serial < layout.MAX_SERIALS:
            raise ValueError("serial out of range")
        context = p.get("context") or {}
        if not isinstance(p["code"], str) or not isinstance(context, dict):
            raise TypeError("code is not text or context is not an object")
        # the value is the campaign's (set after the re-check), never the figure sent
        row["campaign"] = _id(p["campaign"], 64, "campaign")
        row["serial"] = serial
        row["tier"] = _text(p.get("tier"), 32)
        row["member"] = _text(context.get("member"), 128)
        row["receipt"] = _text(context.get("receipt"), 128)
    elif kind in POINT_KINDS:
        points = _whole(p["points"], "points")
        if not 0 <= points <= MAX_POINTS:
            raise ValueError("points out of range")
        if kind == "accrue":
            amount = p["amount"]
            if type(amount) not in (int, float) or not 0 <= amount <= MAX_POINTS:
                raise ValueError("amount must be a number from 0 to 10^9")
        row["member"] = _id(p["member"], 128, "member")
        row["points"] = -points if kind == "spend" else points
        # a check-in keeps its day where an accrual keeps its receipt: each counts once per store
        if kind == "accrue":
            row["receipt"] = _text(p["receipt"], 128)
        elif kind == "checkin":
            row["receipt"] = _checkin_day(item.event["local_time"], row["received"])
    elif kind == "void":
        row["target"] = _id(p["target"], 64, "target")
    elif kind == "spin":  # the wheel's campaign and index ride where a code's would
        points, index = _whole(p["points"], "points"), _whole(p["index"], "index")
        if not (0 <= points <= MAX_POINTS and 0 <= index <= protocol.BIG):
            raise ValueError("points or index out of range")
        row["campaign"] = _id(p["campaign"], 64, "campaign")
        row["serial"] = index
        row["tier"] = _id(p["outcome"], 32, "outcome")
        row["member"] = _id(p["member"], 128, "member")
        row["points"] = points
        row["receipt"] = _checkin_day(item.event["local_time"], row["received"])  # its day


def _checkin_day(local_time: str, received: float) -> str:
    """The day a check-in counts for: its device's day when that clock is believable (not ahead
    of the server, not older than the max-offline window), else the day it arrived. Never the
    day the device wrote in the payload: a device naming a new day for each check-in would earn
    the bonus again and again."""
    try:
        made = datetime.fromisoformat(local_time).timestamp()
    except ValueError:
        made = received
    if not received - LATE_WINDOW_S <= made <= received + protocol.CLOCK_WINDOW_S:
        made = received
    return datetime.fromtimestamp(made, UTC).date().isoformat()


def _whole(value: object, name: str) -> int:
    """A whole number as JSON writes one: 1.9, "7" and true are not."""
    if type(value) is not int:
        raise TypeError(f"{name} must be a whole number, not {value!r}")
    return value


def _id(value: object, limit: int, name: str) -> str:
    """An id kept whole: one longer than its column is refused, never cut (two would merge)."""
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"{name} must be text of 1 to {limit} characters")
    return value


def _actor(value: object) -> str:
    """The cashier's name; one that is not short text is dropped, and the event kept."""
    return value if isinstance(value, str) and len(value) <= 128 else ""


def _text(value: object, limit: int) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(f"a text field is not text of at most {limit} characters")
    return value


def _recheck_codes(rechecker: Rechecker, items: list[Incoming]) -> None:
    """The cipher's second look at every redeemed code (see recheck.py)."""
    redeems = [i for i in items if i.event["kind"] == "redeem" and i.verdict == "accepted"]
    reasons = rechecker.check(
        [
            Claimed(i.code_key[0], i.event["payload"]["code"], i.code_key[1], i.row["tier"])
            for i in redeems
        ]
    )
    for item, reason in zip(redeems, reasons, strict=True):
        campaign = item.code_key[0]
        reason = reason or rechecker.too_late(
            campaign, item.row["received"], item.event["local_time"]
        )
        if reason is not None:
            item.refuse(reason)
        else:
            item.row["value"] = rechecker.value(campaign, item.row["tier"])
