"""A member's points as lots in the ledger: the open lots the server last sent (`member_lots`,
replaced whole with each balance), and this device's events since, which `terminal.lots` lays on
top. A server that sends a balance without lots (an older one) is read as one available lot of
that many points with no known expiry, so such a device still counts right.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from terminal.ledger_file import LedgerFile, storage_error
from terminal.lots import FOREVER, LocalEvent, Lot, LotBalance, balance_of, replay

POINT_EVENTS = ("accrue", "checkin", "spend", "void", "spin")


@dataclass(frozen=True)
class Told:
    """What the server last said of a member, and this device's events it had not counted."""

    lots: list[Lot]
    events: list[LocalEvent]
    debt: int = 0  # a server without lots said the member is below zero


class LotLedger(LedgerFile):
    """The ledger's member lots; `Ledger` inherits these."""

    @staticmethod
    def remember_lots(conn: sqlite3.Connection, lots: Mapping[str, Sequence[Lot]]) -> None:
        """Each member's open lots as the server sent them, replacing what was held, inside the
        caller's transaction (the same one that remembered the balance and its seq)."""
        for member, held in lots.items():
            conn.execute("DELETE FROM member_lots WHERE member = ?", (member,))
            conn.executemany(
                "INSERT INTO member_lots VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(member, x.id, x.partner, x.earned, x.pending_until, x.expires_at, x.remaining)
                 for x in held],
            )  # fmt: skip
            conn.execute("UPDATE balances SET lots = 1 WHERE member = ?", (member,))

    def told(self, member: str) -> Told:
        """The server's lots for the member and this device's point events after them, read in
        one snapshot (a sync landing between two reads would count its events twice)."""
        conn = self.conn
        mine = not conn.in_transaction
        try:
            if mine:
                conn.execute("BEGIN")
            try:
                return self._told(conn, member)
            finally:
                if mine:
                    conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path) from None

    @staticmethod
    def _told(conn: sqlite3.Connection, member: str) -> Told:
        row = conn.execute(
            "SELECT balance, as_of_seq, lots FROM balances WHERE member = ?", (member,)
        ).fetchone()
        as_of = int(row["as_of_seq"]) if row else 0
        debt = 0
        if row is None:
            lots: list[Lot] = []
        elif row["lots"]:
            plain = conn.cursor()
            plain.row_factory = None  # tuples straight into lots, no Row in between
            lots = list(map(Lot._make, plain.execute(
                "SELECT lot_id, partner, earned, pending_until, expires_at, remaining"
                " FROM member_lots WHERE member = ?",
                (member,),
            )))  # fmt: skip
        else:  # the figure alone: spendable now, expiry unknown (below zero: a debt)
            figure = int(row["balance"])
            lots = [Lot(0, "", 0.0, 0.0, FOREVER, figure)] if figure > 0 else []
            debt = max(0, -figure)
        events = [
            LocalEvent(r[0], r[1], int(r[2]), float(r[3]), r[4])
            for r in conn.execute(
                "SELECT e.seq, e.kind, e.points, e.created, t.seq FROM events e"
                " LEFT JOIN events t ON e.kind = 'void' AND t.event_id = e.target"
                " WHERE e.member = ? AND e.seq > ? AND e.state <> 'rejected'"
                " AND e.kind IN ('accrue', 'checkin', 'spend', 'void', 'spin') AND e.points <> 0"
                " ORDER BY e.seq",
                (member, as_of),
            )
        ]
        return Told(lots, events, debt)

    def lot_balance(
        self, member: str, now: float, pending_days: int, expiry_months: int | None
    ) -> LotBalance:
        """The member's points at `now` as this device knows them: the sum of open lots."""
        told = self.told(member)
        lots, debt = replay(told.lots, told.events, pending_days, expiry_months)
        return balance_of(lots, now, debt + told.debt)
