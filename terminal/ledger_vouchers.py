"""The vouchers a device holds: a slice of each digital prize's pool, sent by the server at sync,
handed out one per accepted redemption of that prize, even while the device is offline.

Sync replaces the held slice whole (`hold_vouchers`); a redemption takes one inside its own
write transaction (`take_voucher`), so the voucher and the signed event that carries it are saved
together or not at all. A voucher handed out stays recorded with its event whatever the server
sends later, so it is never handed out twice; one the server no longer lists was withdrawn and is
dropped unseen.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import NamedTuple

from terminal.ledger_file import LedgerFile


class Held(NamedTuple):
    campaign: str
    tier: str
    voucher: str


class VoucherLedger(LedgerFile):
    """The ledger's vouchers; `Ledger` inherits these."""

    @staticmethod
    def hold_vouchers(conn: sqlite3.Connection, vouchers: Iterable[Held]) -> tuple[int, int]:
        """Make `vouchers` the slice this device holds: (added, withdrawn). Those already handed
        out here stay with their redemptions, even when the server lists them again (it has not
        seen that redemption yet)."""
        wanted = set(vouchers)
        held = {
            Held(*row)
            for row in conn.execute(
                "SELECT campaign, tier, voucher FROM vouchers WHERE event_id IS NULL"
            )
        }
        withdrawn = held - wanted
        conn.executemany(
            "DELETE FROM vouchers WHERE campaign = ? AND tier = ? AND voucher = ?"
            " AND event_id IS NULL",
            sorted(withdrawn),
        )
        added = conn.executemany(
            "INSERT OR IGNORE INTO vouchers (campaign, tier, voucher) VALUES (?, ?, ?)",
            sorted(wanted - held),
        ).rowcount
        conn.executemany(
            "INSERT OR IGNORE INTO voucher_pools VALUES (?, ?)",
            sorted({(v.campaign, v.tier) for v in wanted}),
        )
        return max(added, 0), len(withdrawn)

    @staticmethod
    def take_voucher(
        conn: sqlite3.Connection, campaign: str, tier: str, event_id: str
    ) -> str | None:
        """The oldest voucher held of the prize, now the redemption `event_id`'s; None when
        none is held. Inside the redemption's own write transaction."""
        row = conn.execute(
            "UPDATE vouchers SET event_id = ? WHERE rowid = (SELECT rowid FROM vouchers"
            " WHERE campaign = ? AND tier = ? AND event_id IS NULL ORDER BY rowid LIMIT 1)"
            " RETURNING voucher",
            (event_id, campaign, tier),
        ).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def voucher_pool(conn: sqlite3.Connection, campaign: str, tier: str) -> bool:
        """Whether this prize comes as a voucher (the server has sent this device some)."""
        return bool(conn.execute(
            "SELECT 1 FROM voucher_pools WHERE campaign = ? AND tier = ?", (campaign, tier)
        ).fetchone())  # fmt: skip

    def vouchers_held(self) -> dict[tuple[str, str], int]:
        """How many vouchers this device holds, by (campaign, tier) of every pool it knows."""
        rows = self.read(
            "SELECT p.campaign, p.tier, COUNT(v.voucher) AS n FROM voucher_pools p"
            " LEFT JOIN vouchers v ON v.campaign = p.campaign AND v.tier = p.tier"
            " AND v.event_id IS NULL GROUP BY p.campaign, p.tier ORDER BY p.campaign, p.tier"
        )
        return {(r["campaign"], r["tier"]): int(r["n"]) for r in rows}

    def voucher_of(self, event_id: str) -> str | None:
        """The voucher handed out with a redemption, if any."""
        row = self.one("SELECT voucher FROM vouchers WHERE event_id = ?", (event_id,))
        return None if row is None else str(row["voucher"])
