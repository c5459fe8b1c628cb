"""The bonus wheel in the ledger: the wheels the server last sent (a setting) and the outcomes
of their sequences this device holds (`wheel_held`, its slice), one taken by each spin inside
the spin's own write transaction, so the outcome and the signed event that shows it are saved
together or not at all. An outcome taken stays with its spin whatever the server sends later;
one the server no longer lists was withdrawn (the wheel ended) and is never shown.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any, NamedTuple

from terminal.ledger_file import LedgerFile


class HeldSpin(NamedTuple):
    campaign: str
    idx: int
    outcome: str


class WheelLedger(LedgerFile):
    """The ledger's wheel; `Ledger` inherits these."""

    @staticmethod
    def hold_wheels(
        conn: sqlite3.Connection, wheels: list[dict[str, Any]], held: Iterable[HeldSpin]
    ) -> tuple[int, int]:
        """Make `wheels` the wheels known here and `held` the unused outcomes this device holds:
        (added, withdrawn)."""
        conn.execute(
            "INSERT INTO settings (key, value) VALUES ('wheels', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (json.dumps(wheels),),
        )
        wanted = set(held)
        have = {
            HeldSpin(r[0], int(r[1]), r[2])
            for r in conn.execute(
                "SELECT campaign, idx, outcome FROM wheel_held WHERE event_id IS NULL"
            )
        }
        gone = have - wanted
        conn.executemany(
            "DELETE FROM wheel_held WHERE campaign = ? AND idx = ? AND event_id IS NULL",
            [(g.campaign, g.idx) for g in gone],
        )
        added = conn.executemany(
            "INSERT OR IGNORE INTO wheel_held (campaign, idx, outcome) VALUES (?, ?, ?)",
            sorted(wanted - have),
        ).rowcount
        return max(added, 0), len(gone)

    @staticmethod
    def take_spin(conn: sqlite3.Connection, campaign: str, event_id: str) -> HeldSpin | None:
        """The lowest unused outcome held of the wheel, now the spin `event_id`'s; None when
        none is held."""
        row = conn.execute(
            "UPDATE wheel_held SET event_id = ? WHERE rowid = (SELECT rowid FROM wheel_held"
            " WHERE campaign = ? AND event_id IS NULL ORDER BY idx LIMIT 1)"
            " RETURNING campaign, idx, outcome",
            (event_id, campaign),
        ).fetchone()
        return None if row is None else HeldSpin(row[0], int(row[1]), row[2])

    @staticmethod
    def release_spin(conn: sqlite3.Connection, event_id: str) -> int:
        """A voided spin's outcome back among the unused ones this device holds (the next spin
        takes it again, so a prize not handed over stays in the wheel's budget): rows freed."""
        return conn.execute(
            "UPDATE wheel_held SET event_id = NULL WHERE event_id = ?", (event_id,)
        ).rowcount

    def spin_by_reference(self, tail: str) -> list[sqlite3.Row]:
        """The spins whose event id ends with `tail` (wheel.reference_tail): one, as a rule."""
        return self.read(
            "SELECT * FROM events WHERE kind = 'spin' AND event_id LIKE ? ORDER BY seq DESC"
            " LIMIT 2",
            (f"%{tail}",),
        )

    @staticmethod
    def spins_on(conn: sqlite3.Connection, member: str, campaign: str, day: str) -> int:
        """The member's spins of the wheel on `day` (UTC) here, refused and voided ones left
        out (a prize that was not handed over gives the day's spin back)."""
        row = conn.execute(
            "SELECT COUNT(*) FROM events e WHERE e.member = ? AND e.kind = 'spin' AND e.day = ?"
            " AND e.state <> 'rejected' AND json_extract(e.payload, '$.campaign') = ?"
            " AND NOT EXISTS (SELECT 1 FROM events v WHERE v.kind = 'void'"
            " AND v.target = e.event_id)",
            (member, day, campaign),
        ).fetchone()
        return int(row[0])

    @staticmethod
    def qualifying_event(conn: sqlite3.Connection, member: str, since: float) -> str | None:
        """The member's newest check-in, or purchase that earned points, here since `since`."""
        row = conn.execute(
            "SELECT event_id FROM events WHERE member = ? AND created >= ?"
            " AND (kind = 'checkin' OR (kind = 'accrue' AND points > 0))"
            " AND state <> 'rejected' ORDER BY seq DESC LIMIT 1",
            (member, since),
        ).fetchone()
        return None if row is None else str(row[0])

    def spins_held(self) -> dict[str, int]:
        """Unused outcomes held here, by wheel (campaign)."""
        rows = self.read(
            "SELECT campaign, COUNT(*) AS n FROM wheel_held WHERE event_id IS NULL"
            " GROUP BY campaign"
        )
        return {r["campaign"]: int(r["n"]) for r in rows}
