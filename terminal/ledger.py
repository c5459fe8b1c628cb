"""The device's SQLite ledger: what is kept in it (device, settings, events and their chain,
claims, holds, balances, alerts), each behind a method, so no other module holds SQL.

WAL with synchronous=FULL: a transaction that returned has reached the disk, so a result shown to a
person survives a crash or a power cut. Write transactions start with BEGIN IMMEDIATE, so two
processes on one ledger (kiosk and manager screen, POS and bridge) queue instead of deadlocking.
Methods that take `conn` run inside the caller's `write()` transaction. What sync settles (events
to send, verdicts, codes redeemed elsewhere, balances) is in `ledger_sync.py`; the vouchers a
device holds and hands out, in `ledger_vouchers.py`; members' points as lots, in
`ledger_lots.py`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from codes import campaign as campaign_file
from codes.campaign import Campaign
from codes.common import event_form
from terminal import chain
from terminal.config import TerminalConfig
from terminal.ledger_file import BUSY_TIMEOUT_S, LedgerError, now_iso, storage_error
from terminal.ledger_lots import LotLedger
from terminal.ledger_sync import SyncLedger
from terminal.ledger_vouchers import VoucherLedger
from terminal.ledger_wheel import WheelLedger

__all__ = ["BUSY_TIMEOUT_S", "Device", "Ledger", "LedgerError", "now_iso", "storage_error"]


@dataclass(frozen=True)
class Device:
    device_id: str
    name: str
    store_id: str
    secret: bytes
    server_url: str


class Ledger(SyncLedger, VoucherLedger, LotLedger, WheelLedger):
    """One device's ledger: what the engine reads and writes, by name."""

    # -- device and settings ---------------------------------------------------------------

    def device(self) -> Device:
        row = self.one("SELECT * FROM device WHERE id = 1")
        if row is None:
            raise LedgerError(
                "not_enrolled",
                f"the ledger {self.path} has no device yet; run 'instore terminal init'",
            )
        return Device(
            row["device_id"], row["name"], row["store_id"], row["secret"], row["server_url"]
        )

    @staticmethod
    def enrolled(conn: sqlite3.Connection) -> tuple[str, str] | None:
        """(device id, name) of the device this ledger belongs to, or None while it has none."""
        row = conn.execute("SELECT device_id, name FROM device").fetchone()
        return None if row is None else (row["device_id"], row["name"])

    @staticmethod
    def put_device(
        conn: sqlite3.Connection, device_id: str, name: str, store_id: str, secret: bytes,
        server_url: str,
    ) -> None:  # fmt: skip
        """The ledger's one device (a ledger that has one refuses a second)."""
        conn.execute(
            "INSERT INTO device VALUES (1, ?, ?, ?, ?, ?, ?)",
            (device_id, name, store_id, secret, server_url, now_iso()),
        )

    @staticmethod
    def renew_secret(conn: sqlite3.Connection, secret: bytes, server_url: str) -> None:
        conn.execute("UPDATE device SET secret = ?, server_url = ?", (secret, server_url))

    def setting(self, key: str, default: Any = None) -> Any:
        row = self.one("SELECT value FROM settings WHERE key = ?", (key,))
        return default if row is None else json.loads(row["value"])

    @staticmethod
    def setting_in(conn: sqlite3.Connection, key: str, default: Any = None) -> Any:
        """A setting as the caller's write transaction sees it (no other process can change it
        before the transaction ends)."""
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row["value"])

    @staticmethod
    def put_setting(conn: sqlite3.Connection, key: str, value: Any) -> None:
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    # -- events ----------------------------------------------------------------------------

    def points_after(self, member: str, seq: int) -> int:
        """A member's points from this device's events after `seq` (what the server has not
        counted yet), rejected events left out."""
        row = self.one(
            "SELECT COALESCE(SUM(points), 0) AS n FROM events"
            " WHERE member = ? AND seq > ? AND state <> 'rejected'",
            (member, seq),
        )
        return int(row["n"]) if row else 0

    def append(
        self,
        conn: sqlite3.Connection,
        device: Device,
        kind: str,
        payload: dict[str, Any],
        **columns: Any,
    ) -> dict[str, Any]:
        """Add one signed, chained event inside the caller's write transaction."""
        if columns.get("actor"):  # who did it is signed with the rest, so the server can trust it
            payload = {**payload, "actor": columns["actor"]}
        last = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        event: dict[str, Any] = {
            "event_id": columns.pop("event_id", None) or chain.uuid7(),
            "device_id": device.device_id,
            "seq": 1 if last is None else last["seq"] + 1,
            "kind": kind,
            "payload": payload,
            "local_time": now_iso(),
            "prev_hash": event_form.GENESIS if last is None else last["hash"],
        }
        event["hash"] = event_form.event_hash(event)
        event["mac"] = event_form.event_mac(device.secret, event)
        row = {
            # device_id is the ledger's own (one device per file), so rows do not repeat it
            **{k: v for k, v in event.items() if k != "device_id"},
            "payload": json.dumps(payload, sort_keys=True),
            "created": time.time(),
            **columns,
        }
        names = ", ".join(row)
        conn.execute(
            f"INSERT INTO events ({names}) VALUES ({', '.join('?' * len(row))})",  # column names are ours, never input
            tuple(row.values()),
        )
        return event

    def chain_events(self) -> Iterator[dict[str, Any]]:
        """Every event as it was chained, in order (for verification)."""
        cursor = self.conn.execute(
            "SELECT event_id, seq, kind, payload, local_time, prev_hash, mac FROM events ORDER BY seq"
        )
        device_id = self.device().device_id
        for row in cursor:
            yield {**dict(row), "device_id": device_id, "payload": json.loads(row["payload"])}

    def verify_chain(self) -> tuple[int, str] | None:
        """The first event that is missing, altered or forged, or None when the chain holds."""
        try:
            return chain.first_break(self.chain_events(), self.device().secret)
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path) from None

    # -- campaigns -------------------------------------------------------------------------

    def campaign_rows(self) -> list[sqlite3.Row]:
        """(no, id, data, key) of every campaign this device holds keys for."""
        return self.read("SELECT no, id, data, key FROM campaigns")

    def campaign_ids(self) -> list[str]:
        return [r["id"] for r in self.read("SELECT id FROM campaigns ORDER BY id")]

    @staticmethod
    def put_campaign(conn: sqlite3.Connection, campaign: Campaign, key: bytes) -> None:
        """Add the campaign and its key, or replace what this device held of it."""
        conn.execute(
            "INSERT INTO campaigns (id, data, key) VALUES (?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET data = excluded.data, key = excluded.key",
            (campaign.id, json.dumps(campaign_file.to_dict(campaign), default=str), key),
        )

    # -- codes: claimed here, redeemed elsewhere, held ------------------------------------
    # A code is (campaign_no, serial): the campaign's number in this ledger, and the serial.

    def claimed_here(self, campaign_no: int, serial: int) -> bool:
        return bool(self.one(
            "SELECT 1 FROM local_claims WHERE campaign_no = ? AND serial = ?", (campaign_no, serial)
        ))  # fmt: skip

    def redeemed_elsewhere(self, campaign_no: int, serial: int) -> bool:
        """The server said so (its redeemed set, pulled, or its answer to a claim)."""
        return bool(self.one(
            "SELECT 1 FROM redeemed WHERE campaign_no = ? AND serial = ?", (campaign_no, serial)
        ))  # fmt: skip

    def redeemed_at(self, campaign_no: int, serial: int) -> tuple[str, str] | None:
        """(device name, store id) where the server said the code was redeemed ('' for what it
        did not say), or None when it is not known as redeemed elsewhere."""
        row = self.one(
            "SELECT device, store FROM redeemed WHERE campaign_no = ? AND serial = ?",
            (campaign_no, serial),
        )
        return None if row is None else (str(row["device"]), str(row["store"]))

    def mark_redeemed_elsewhere(
        self, campaign_no: int, serial: int, device: str = "", store: str = ""
    ) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT INTO redeemed (campaign_no, serial, device, store) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET device = excluded.device, store = excluded.store"
                " WHERE excluded.device <> ''",
                (campaign_no, serial, device, store),
            )

    def holding_basket(self, campaign_no: int, serial: int) -> str | None:
        """The basket holding the code now, if any (an expired hold holds nothing)."""
        row = self.one(
            "SELECT basket FROM holds WHERE campaign_no = ? AND serial = ? AND expires > ?",
            (campaign_no, serial, time.time()),
        )
        return None if row is None else str(row["basket"])

    @staticmethod
    def add_claim(
        conn: sqlite3.Connection, campaign_no: int, serial: int, event_id: str, basket: str | None
    ) -> None:
        """The code is redeemed here by `event_id`; its basket's hold, if any, is done."""
        conn.execute("INSERT INTO local_claims VALUES (?, ?, ?)", (campaign_no, serial, event_id))
        if basket is not None:
            conn.execute(
                "DELETE FROM holds WHERE campaign_no = ? AND serial = ?", (campaign_no, serial)
            )

    @staticmethod
    def drop_claim(conn: sqlite3.Connection, event_id: str) -> None:
        conn.execute("DELETE FROM local_claims WHERE event_id = ?", (event_id,))

    def redemption_of(self, campaign_no: int, serial: int) -> sqlite3.Row | None:
        """The event that redeemed the code on this device."""
        return self.one(
            "SELECT e.* FROM local_claims c JOIN events e ON e.event_id = c.event_id"
            " WHERE c.campaign_no = ? AND c.serial = ?",
            (campaign_no, serial),
        )

    @staticmethod
    def put_hold(
        conn: sqlite3.Connection, campaign_no: int, serial: int, code: str, basket: str,
        actor: str, expires: float,
    ) -> str:  # fmt: skip
        """Hold the code for the basket until `expires`; its hold id. The same basket holding it
        again keeps its hold, with the new time."""
        key = (campaign_no, serial)
        conn.execute(
            "DELETE FROM holds WHERE campaign_no = ? AND serial = ? AND expires <= ?",
            (*key, time.time()),
        )
        mine = conn.execute(
            "SELECT hold_id FROM holds WHERE campaign_no = ? AND serial = ? AND basket = ?",
            (*key, basket),
        ).fetchone()
        if mine is not None:
            conn.execute("UPDATE holds SET expires = ? WHERE hold_id = ?", (expires, mine[0]))
            return str(mine[0])
        hold_id = chain.uuid7()
        conn.execute(
            "INSERT INTO holds VALUES (?, ?, ?, ?, ?, ?, ?)",
            (hold_id, *key, code, basket, actor, expires),
        )  # a unique key refuses a second basket (LedgerError "duplicate")
        return hold_id

    def hold(self, hold_id: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM holds WHERE hold_id = ?", (hold_id,))

    def holds_of(self, basket: str) -> list[tuple[str, str]]:
        """(hold id, code) of each code held for the basket, in the order they were held."""
        rows = self.read(
            "SELECT hold_id, code FROM holds WHERE basket = ? ORDER BY hold_id", (basket,)
        )
        return [(r["hold_id"], r["code"]) for r in rows]

    def delete_hold(self, hold_id: str) -> bool:
        """False when there was no such hold."""
        with self.write() as conn:
            return bool(conn.execute("DELETE FROM holds WHERE hold_id = ?", (hold_id,)).rowcount)

    # -- counts for limits and offline budgets --------------------------------------------

    def redemptions_since(
        self, since: float, cap: int, actor: str | None = None, member: str | None = None
    ) -> int:
        """Redemptions not rejected since `since` (of the cashier, or the member), counted no
        further than `cap`."""
        where = "created >= ?"
        params: list[float | str] = [since]
        for column, value in (("actor", actor), ("member", member)):
            if value is not None:
                where += f" AND {column} = ?"  # column names are ours, never input
                params.append(value)
        row = self.one(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM events WHERE kind = 'redeem'"
            f" AND state <> 'rejected' AND {where} LIMIT ?)",
            (*params, cap),
        )
        return int(row["n"]) if row else 0

    def offline_used(self, tier: str) -> tuple[int, float]:
        """Count and value of the tier's offline redemptions not yet synced (the risk budget)."""
        row = self.one(
            "SELECT COUNT(*) AS n, COALESCE(SUM(value), 0) AS v FROM events"
            " WHERE offline = 1 AND state = 'pending' AND tier = ?",
            (tier,),
        )
        return (int(row["n"]), float(row["v"])) if row else (0, 0.0)

    def pending_spent(self, member: str) -> int:
        """Points the member spent here that the server has not seen yet."""
        row = self.one(
            "SELECT COALESCE(-SUM(points), 0) AS n FROM events"
            " WHERE kind = 'spend' AND member = ? AND state = 'pending'",
            (member,),
        )
        return int(row["n"]) if row else 0

    def local_balance(self, member: str) -> int:
        """The member's points as this device knows them now: the sum of the open lots the
        server last sent with this device's events since laid on top (`lot_balance`)."""
        config = TerminalConfig.from_dict(self.setting("config", {}))
        return self.lot_balance(
            member, time.time(), config.pending_days, config.expiry_months
        ).total

    # -- events by what they are ------------------------------------------------------------

    def event(self, event_id: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM events WHERE event_id = ?", (event_id,))

    def receipt_events(self, receipt: str) -> list[str]:
        """The redemptions and points a receipt carried that are not voided yet, oldest first."""
        rows = self.read(
            "SELECT e.event_id FROM events e WHERE e.receipt = ? AND e.kind IN ('redeem', 'accrue')"
            " AND NOT EXISTS (SELECT 1 FROM events v WHERE v.kind = 'void' AND v.target = e.event_id)"
            " ORDER BY e.seq",
            (receipt,),
        )
        return [r["event_id"] for r in rows]

    def event_count(self) -> int:
        row = self.one("SELECT COUNT(*) AS n FROM events")
        return int(row["n"]) if row else 0

    def state_counts(self) -> dict[str, int]:
        """Events by sync state (pending, accepted, conflict, rejected ...)."""
        return {r["state"]: int(r["n"]) for r in self.read("SELECT state, n FROM state_counts")}

    def pending_summary(self) -> tuple[int, float]:
        """(events waiting to sync, the oldest one's age in seconds; 0 when none waits)."""
        row = self.one(
            "SELECT created FROM events WHERE state = 'pending' ORDER BY state, seq LIMIT 1"
        )
        age = round(max(0.0, time.time() - float(row["created"])), 1) if row else 0.0
        return self.state_counts().get("pending", 0), age

    def events_in_state(self, state: str, limit: int = 50) -> list[dict[str, Any]]:
        """The newest events in a state, their payloads read."""
        rows = self.read(
            "SELECT event_id, seq, kind, payload, local_time, reason, actor FROM events"
            " WHERE state = ? ORDER BY state, seq DESC LIMIT ?",
            (state, limit),
        )
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in rows]

    def recent_redemptions(self, limit: int) -> list[sqlite3.Row]:
        return self.read(
            "SELECT local_time, payload, state, offline, actor FROM events WHERE kind = 'redeem'"
            " ORDER BY seq DESC LIMIT ?",
            (limit,),
        )

    # -- alerts -----------------------------------------------------------------------------

    @staticmethod
    def add_alert(conn: sqlite3.Connection, kind: str, message: str) -> None:
        Ledger.add_alerts(conn, [(kind, message)])

    @staticmethod
    def add_alerts(conn: sqlite3.Connection, alerts: list[tuple[str, str]]) -> None:
        """(kind, message) of each alert for the manager, all raised now."""
        now = now_iso()
        conn.executemany(
            "INSERT INTO alerts (kind, message, created) VALUES (?, ?, ?)",
            [(kind, message, now) for kind, message in alerts],
        )

    def open_alerts(self, limit: int = 50) -> tuple[int, list[dict[str, Any]]]:
        """(how many are not acknowledged, the newest of them)."""
        rows = self.read(
            "SELECT id, kind, message, created FROM alerts WHERE acknowledged = 0"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        count = self.one("SELECT COUNT(*) AS n FROM alerts WHERE acknowledged = 0")
        return (int(count["n"]) if count else 0), [dict(r) for r in rows]
