"""The ledger's side of sync: which events go out, and what the server's answers change.

Each answer is applied in one ledger transaction, so a crash mid-sync leaves either all of it or
none of it; the next cycle asks again and the server answers the same (pushes are idempotent,
pulls go by cursor).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from typing import Any

from codes import campaign as campaign_file
from sync.protocol import CampaignGrant, EventVerdict, MemberBalance, PullResponse
from terminal.ledger import Ledger, now_iso


def outgoing(ledger: Ledger, limit: int, after_seq: int = 0) -> list[dict[str, Any]]:
    """The oldest events the server has not settled (after `after_seq`), as signed."""
    rows = ledger.read(
        "SELECT event_id, seq, kind, payload, local_time, prev_hash, mac FROM events"
        " WHERE state = 'pending' AND seq > ? ORDER BY state, seq LIMIT ?",
        (after_seq, limit),
    )
    return [{**dict(r), "payload": json.loads(r["payload"])} for r in rows]


def apply_verdicts(ledger: Ledger, verdicts: list[EventVerdict]) -> dict[str, int]:
    """Record the server's verdicts; a conflict or rejection raises an alert for the manager."""
    with ledger.write() as conn:
        changed = _settle(
            conn, [(v.event_id, v.verdict, v.reason, v.conflict_id) for v in verdicts]
        )
        Ledger.put_setting(conn, "last_push", now_iso())
    return dict(Counter(changed))


Settled = tuple[str, str, str, int | None]  # event_id, verdict, reason, conflict_id
CHUNK = 500  # event ids per IN (...) list


def _settle(conn: sqlite3.Connection, settled: list[Settled]) -> list[str]:
    """Set verdicts in bulk; the verdicts that changed an event's state, for counting."""
    before: dict[str, sqlite3.Row] = {}
    for i in range(0, len(settled), CHUNK):
        ids = [s[0] for s in settled[i : i + CHUNK]]
        marks = ", ".join("?" * len(ids))
        for row in conn.execute(
            f"SELECT event_id, seq, kind, state FROM events WHERE event_id IN ({marks})", ids
        ):
            before[row["event_id"]] = row
    moving = [s for s in settled if s[0] in before and before[s[0]]["state"] != s[1]]
    conn.executemany(
        "UPDATE events SET state = ?, reason = ? WHERE event_id = ?",
        [(verdict, reason, event_id) for event_id, verdict, reason, _ in moving],
    )
    now, alerts = now_iso(), []
    for event_id, verdict, reason, conflict_id in moving:
        row = before[event_id]
        if verdict in ("conflict", "rejected") or row["state"] in ("conflict", "rejected"):
            what = f"conflict #{conflict_id}" if conflict_id else verdict
            alerts.append(
                (verdict, f"{row['kind']} event {row['seq']} is now {what}: {reason}", now)
            )
    conn.executemany("INSERT INTO alerts (kind, message, created) VALUES (?, ?, ?)", alerts)
    return [verdict for _, verdict, _, _ in moving]


def apply_pull(ledger: Ledger, answer: PullResponse) -> dict[str, int]:
    """Codes redeemed or freed elsewhere, notices, balances, new rules and keys; and the cursor."""
    with ledger.write() as conn:
        if answer.campaigns is not None:
            _grant(conn, answer.campaigns)
        numbers = {r["id"]: r["no"] for r in conn.execute("SELECT id, no FROM campaigns")}
        conn.executemany(
            "INSERT OR IGNORE INTO redeemed VALUES (?, ?)",
            [(numbers[c], s) for c, s in answer.redeemed if c in numbers],
        )
        conn.executemany(
            "DELETE FROM redeemed WHERE campaign_no = ? AND serial = ?",
            [(numbers[c], s) for c, s in answer.released if c in numbers],
        )
        changed = len(
            _settle(
                conn, [(n.event_id, n.verdict, n.reason, n.conflict_id) for n in answer.notices]
            )
        )
        _balances(conn, answer.balances, answer.device_seq)
        if answer.config is not None:
            Ledger.put_setting(conn, "config", answer.config.model_dump())
        Ledger.put_setting(conn, "config_version", answer.config_version)
        Ledger.put_setting(conn, "cursor", answer.cursor)
        Ledger.put_setting(conn, "last_pull", now_iso())
    return {
        "redeemed": len(answer.redeemed), "released": len(answer.released),
        "notices": changed, "balances": len(answer.balances),
        "config": int(answer.config is not None), "campaigns": len(answer.campaigns or []),
    }  # fmt: skip


def _balances(conn: sqlite3.Connection, balances: list[MemberBalance], device_seq: int) -> None:
    Ledger.remember_balances(conn, [(b.member, b.balance) for b in balances], device_seq)


def _grant(conn: sqlite3.Connection, grants: list[CampaignGrant]) -> None:
    for grant in grants:
        campaign = campaign_file.from_dict(grant.campaign)
        conn.execute(
            "INSERT INTO campaigns (id, data, key) VALUES (?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET data = excluded.data, key = excluded.key",
            (
                campaign.id,
                json.dumps(campaign_file.to_dict(campaign), default=str),
                bytes.fromhex(grant.key),
            ),
        )
