"""What sync reads from the ledger and settles in it: the events still to send, the server's
verdicts on them, the codes redeemed or freed elsewhere, and the members' balances.

Methods that take `conn` run inside the caller's `write()` transaction, so one answer from the
server is applied whole or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any, NamedTuple

from terminal.ledger_file import LedgerFile, now_iso

CHUNK = 500  # event ids per IN (...) list


class Settled(NamedTuple):
    """What the server said of one event."""

    event_id: str
    verdict: str
    reason: str
    conflict_id: int | None


class Moved(NamedTuple):
    """An event whose state a verdict changed: what it is, and its state before and after."""

    kind: str
    seq: int
    was: str
    verdict: str
    reason: str
    conflict_id: int | None


class SyncLedger(LedgerFile):
    """The ledger as sync sees it; `Ledger` adds what the engine reads and writes."""

    def outgoing(self, limit: int, after_seq: int = 0) -> list[dict[str, Any]]:
        """The oldest events the server has not settled (after `after_seq`), as signed."""
        rows = self.read(
            "SELECT event_id, seq, kind, payload, local_time, prev_hash, mac FROM events"
            " WHERE state = 'pending' AND seq > ? ORDER BY state, seq LIMIT ?",
            (after_seq, limit),
        )
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in rows]

    @staticmethod
    def settle(conn: sqlite3.Connection, verdicts: list[Settled]) -> list[Moved]:
        """Set verdicts in bulk; the events whose state they changed (unknown events and
        verdicts the event already has change nothing)."""
        before: dict[str, sqlite3.Row] = {}
        for i in range(0, len(verdicts), CHUNK):
            ids = [v.event_id for v in verdicts[i : i + CHUNK]]
            marks = ", ".join("?" * len(ids))
            for row in conn.execute(
                f"SELECT event_id, seq, kind, state FROM events WHERE event_id IN ({marks})", ids
            ):
                before[row["event_id"]] = row
        moving = [
            v for v in verdicts if v.event_id in before and before[v.event_id]["state"] != v.verdict
        ]
        conn.executemany(
            "UPDATE events SET state = ?, reason = ? WHERE event_id = ?",
            [(v.verdict, v.reason, v.event_id) for v in moving],
        )
        moved = []
        for v in moving:
            row = before[v.event_id]
            moved.append(
                Moved(row["kind"], row["seq"], row["state"], v.verdict, v.reason, v.conflict_id)
            )
        return moved

    # -- codes redeemed or freed elsewhere, by campaign id ------------------------------------

    @staticmethod
    def add_redeemed(
        conn: sqlite3.Connection, codes: Iterable[tuple[str, int]],
        where: dict[tuple[str, int], tuple[str, str]] | None = None,
    ) -> None:  # fmt: skip
        """(campaign id, serial) redeemed at other devices, with where (device name, store id)
        when the server said; campaigns this device does not hold are left out."""
        numbers = SyncLedger._campaign_numbers(conn)
        where = where or {}
        conn.executemany(
            "INSERT INTO redeemed (campaign_no, serial, device, store) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO UPDATE SET device = excluded.device, store = excluded.store"
            " WHERE excluded.device <> ''",
            [(numbers[c], s, *where.get((c, s), ("", ""))) for c, s in codes if c in numbers],
        )

    @staticmethod
    def drop_redeemed(conn: sqlite3.Connection, codes: Iterable[tuple[str, int]]) -> None:
        """(campaign id, serial) voided where they were redeemed: free again."""
        numbers = SyncLedger._campaign_numbers(conn)
        conn.executemany(
            "DELETE FROM redeemed WHERE campaign_no = ? AND serial = ?",
            [(numbers[c], s) for c, s in codes if c in numbers],
        )

    @staticmethod
    def _campaign_numbers(conn: sqlite3.Connection) -> dict[str, int]:
        return {r["id"]: r["no"] for r in conn.execute("SELECT id, no FROM campaigns")}

    # -- balances ---------------------------------------------------------------------------

    @staticmethod
    def remember_balances(
        conn: sqlite3.Connection, balances: list[tuple[str, int]], device_seq: int
    ) -> None:
        """The server's balances, counting this device's events up to `device_seq`; later ones
        are added locally (`points_after`), so nothing is counted twice or missed. The member's
        lots, when the server sent them, follow (`remember_lots`); until then the figure alone
        counts."""
        conn.executemany(
            "INSERT INTO balances (member, balance, as_of_seq, updated) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (member) DO UPDATE SET balance = excluded.balance,"
            " as_of_seq = excluded.as_of_seq, updated = excluded.updated, lots = 0",
            [(member, balance, device_seq, now_iso()) for member, balance in balances],
        )
