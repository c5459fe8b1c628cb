"""The bonus wheel at a device: the rules (outcomes and their odds, as the server set them) and
a spin, decided by the next outcome of this device's slice of the server's sequence, never by
the animation or the device's own chance. Offline like everything here: a spin needs no network.

A member spins at most the wheel's `per_day` times a day (UTC) here, and only after a check-in
or a purchase that earned points here that day; the server counts their spins on every device
at sync (a second device's spin past the limit is a `double_spin` conflict). A device with no
outcome left of its slice refuses clearly until it syncs; a wheel whose seed the server revealed
has ended and spins no more.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from codes.common.cli import counted
from terminal import chain
from terminal.ledger import Device, Ledger, LedgerError
from terminal.ledger_content import content_of
from terminal.members import GIVE_MEMBER, normalise_member
from terminal.results import Result, Status

REFERENCE_PREFIX = "W-"
_REFERENCE = re.compile(r"W?([0-9A-F]{8})")


def reference(event_id: str) -> str:
    """A spin's short reference, as the kiosk shows it and a cashier types it ("W-1A2B-3C4D"):
    the last 8 hex digits of its event id (random bits of the UUIDv7, unique on a device)."""
    tail = event_id.replace("-", "")[-8:].upper()
    return f"{REFERENCE_PREFIX}{tail[:4]}-{tail[4:]}"


def reference_tail(text: str) -> str | None:
    """The event id's last 8 hex digits (lower case) a typed reference names, or None when the
    text is no spin reference ("w-1a2b 3c4d", "W1A2B3C4D" and "1A2B-3C4D" all are)."""
    found = _REFERENCE.fullmatch(re.sub(r"[\s-]", "", text.upper()))
    return found.group(1).lower() if found else None


def humanised(label: str) -> str:
    """An outcome's label as words where nothing better names it: "gift_card" -> "Gift card"
    (the brand names it in each language with the campaign's content)."""
    words = " ".join(label.replace("_", " ").replace("-", " ").split()) or label
    return words[0].upper() + words[1:]


def english_name(ledger: Ledger, campaign: str, label: str) -> str:
    """An outcome's name in English, as the campaign's content gives it ([wheel.cap]), else its
    label humanised: what a till's staff read."""
    content = content_of(ledger, campaign)
    words = content.wheel.get(label) if content else None
    return (words.name.get("en", "") if words else "") or humanised(label)


@dataclass(frozen=True)
class Outcome:
    label: str
    weight: int
    points: int
    kind: str  # points | prize | nothing

    def odds(self, total: int) -> float:
        """This outcome's chance in percent, as the rules screen shows it."""
        return 100.0 * self.weight / total


@dataclass(frozen=True)
class WheelRules:
    """A wheel as the server sent it: what the rules screen shows."""

    campaign: str
    outcomes: tuple[Outcome, ...]
    per_day: int
    commitment: str
    open: bool
    held: int  # outcomes this device holds to spin before it syncs

    @property
    def total(self) -> int:
        return sum(o.weight for o in self.outcomes)

    def outcome(self, label: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.label == label), None)

    @classmethod
    def of(cls, data: dict[str, Any], held: int) -> WheelRules:
        return cls(
            data["campaign"],
            tuple(Outcome(o["label"], int(o["weight"]), int(o.get("points", 0)),
                          o.get("kind", "nothing")) for o in data["outcomes"]),
            int(data.get("per_day", 1)), data.get("commitment", ""), bool(data.get("open", True)),
            held,
        )  # fmt: skip


class Spins:
    def __init__(self, ledger: Ledger, device: Device) -> None:
        self.ledger, self.device = ledger, device

    def wheels(self) -> list[WheelRules]:
        held = self.ledger.spins_held()
        return [
            WheelRules.of(w, held.get(w["campaign"], 0)) for w in self.ledger.setting("wheels", [])
        ]

    def wheel(self, campaign: str | None = None) -> WheelRules | None:
        """The named wheel, or the one open wheel here (the open one first)."""
        found = sorted(self.wheels(), key=lambda w: not w.open)
        return next((w for w in found if campaign in (None, w.campaign)), None)

    def refusal(self, member: str, campaign: str | None = None) -> Result | None:
        """Why `member` cannot spin here now (the answer `spin` would give), or None: a spin of
        this device's slice waits for them today. It only reads: the kiosk asks it to offer the
        wheel, and `spin` decides again in its own transaction."""
        member = normalise_member(member)
        wheel = self._open_wheel(member, campaign)
        if isinstance(wheel, Result):
            return wheel
        day, midnight = _today()
        after = self._qualified(self.ledger.conn, member, wheel, day, midnight)
        if isinstance(after, Result):
            return after
        return None if self.ledger.spins_held().get(wheel.campaign) else _no_spins(member, wheel)

    def _open_wheel(self, member: str, campaign: str | None) -> WheelRules | Result:
        """The wheel a member may spin here, or why there is none."""
        if not member:
            return Result(Status.BAD_INPUT, f"{GIVE_MEMBER}.")
        wheel = self.wheel(campaign)
        if wheel is None:
            return Result(Status.NO_WHEEL, "There is no bonus wheel on this device.", member=member)
        if not wheel.open:
            return Result(Status.WHEEL_ENDED, "The bonus wheel has ended.", member=member,
                          campaign=wheel.campaign)  # fmt: skip
        return wheel

    @staticmethod
    def _qualified(
        conn: sqlite3.Connection, member: str, wheel: WheelRules, day: str, midnight: float
    ) -> str | Result:
        """The check-in or purchase today's next spin follows, or why there is none."""
        if Ledger.spins_on(conn, member, wheel.campaign, day) >= wheel.per_day:
            return Result(
                Status.ALREADY_SPUN,
                f"{member} has spun the wheel {counted(wheel.per_day, 'time')} today;"
                " come back tomorrow.", member=member, campaign=wheel.campaign,
            )  # fmt: skip
        after = Ledger.qualifying_event(conn, member, midnight)
        if after is None:
            return Result(
                Status.NOT_QUALIFIED,
                "Check in or make a purchase here today first, then spin the wheel.",
                member=member, campaign=wheel.campaign,
            )  # fmt: skip
        return after

    def spin(self, member: str, campaign: str | None = None, actor: str = "") -> Result:
        member = normalise_member(member)
        wheel = self._open_wheel(member, campaign)
        if isinstance(wheel, Result):
            return wheel
        day, midnight = _today()
        event_id = chain.uuid7()
        try:
            with self.ledger.write() as conn:
                after = self._qualified(conn, member, wheel, day, midnight)
                if isinstance(after, Result):
                    return after
                held = Ledger.take_spin(conn, wheel.campaign, event_id)
                if held is None:
                    return _no_spins(member, wheel)
                outcome = wheel.outcome(held.outcome)
                points = outcome.points if outcome else 0
                payload = {"campaign": wheel.campaign, "index": held.idx,
                           "outcome": held.outcome, "points": points, "member": member,
                           "day": day, "after": after}  # fmt: skip
                self.ledger.append(
                    conn, self.device, "spin", payload, event_id=event_id, actor=actor,
                    member=member, points=points, day=day, tier=held.outcome,
                )  # fmt: skip
        except LedgerError as exc:
            return Result(Status.NOT_SAVED, f"Not saved: {exc.message}.", member=member)
        kind = outcome.kind if outcome else "nothing"
        ref = reference(event_id)
        words = (
            f"{counted(points, 'bonus point')}." if points
            else "nothing this time." if kind == "nothing"
            else f"a prize, {english_name(self.ledger, wheel.campaign, held.outcome)}; hand it"
            f" over at the counter on sight of its reference, {ref} (void it by that reference"
            " if it cannot be)."
        )  # fmt: skip
        return Result(
            Status.SPUN, f"{member} spun the wheel: {words}", event_id=event_id, member=member,
            campaign=wheel.campaign, points=points, outcome=held.outcome,
            outcome_kind=kind, reference=ref,
        )  # fmt: skip


def _today() -> tuple[str, float]:
    """(today's UTC day, its midnight as a timestamp): a member's spins are counted by it."""
    now = datetime.now(UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC).timestamp()
    return now.date().isoformat(), midnight


def _no_spins(member: str, wheel: WheelRules) -> Result:
    return Result(
        Status.NO_SPINS,
        "The wheel has no spins left on this device until it syncs with the server.",
        member=member, campaign=wheel.campaign,
    )  # fmt: skip
