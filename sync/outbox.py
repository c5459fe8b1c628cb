"""The ledger's side of sync: which events go out, and what the server's answers change.

Each answer is applied in one ledger transaction, so a crash mid-sync leaves either all of it or
none of it; the next cycle asks again and the server answers the same (pushes are idempotent,
pulls go by cursor). The statements are the ledger's (`terminal/ledger_sync.py`); this module
turns the server's answers into them and decides what the manager is told.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

from codes import campaign as campaign_file
from sync.content import put_grant_content, put_program
from sync.protocol import EventVerdict, Notice, PullResponse, WireLot
from terminal.ledger import Ledger, now_iso
from terminal.ledger_content import drop_unused_pictures
from terminal.ledger_sync import Settled
from terminal.ledger_vouchers import Held
from terminal.ledger_wheel import HeldSpin
from terminal.lots import Lot


def outgoing(ledger: Ledger, limit: int, after_seq: int = 0) -> list[dict[str, Any]]:
    """The oldest events the server has not settled (after `after_seq`), as signed."""
    return ledger.outgoing(limit, after_seq)


def apply_verdicts(ledger: Ledger, verdicts: list[EventVerdict]) -> dict[str, int]:
    """Record the server's verdicts; a conflict or rejection raises an alert for the manager."""
    with ledger.write() as conn:
        changed = _settle(conn, verdicts)
        Ledger.put_setting(conn, "last_push", now_iso())
    return dict(Counter(changed))


def _settle(conn: sqlite3.Connection, answers: list[EventVerdict] | list[Notice]) -> list[str]:
    """Set verdicts in bulk; the verdicts that changed an event's state, for counting."""
    moved = Ledger.settle(
        conn, [Settled(a.event_id, a.verdict, a.reason, a.conflict_id) for a in answers]
    )
    alerts = []
    for m in moved:
        if m.verdict in ("conflict", "rejected") or m.was in ("conflict", "rejected"):
            what = f"conflict #{m.conflict_id}" if m.conflict_id else m.verdict
            alerts.append((m.verdict, f"{m.kind} event {m.seq} is now {what}: {m.reason}"))
    Ledger.add_alerts(conn, alerts)
    return [m.verdict for m in moved]


def apply_pull(ledger: Ledger, answer: PullResponse) -> dict[str, int]:
    """Codes redeemed or freed elsewhere, notices, balances, new rules and keys, the vouchers
    held; and the cursor."""
    with ledger.write() as conn:
        for grant in answer.campaigns or []:
            campaign = campaign_file.from_dict(grant.campaign)
            Ledger.put_campaign(conn, campaign, bytes.fromhex(grant.key))
            put_grant_content(conn, campaign.id, grant.content)
        if answer.config is not None:  # the program's content comes with the config
            put_program(conn, answer.program_content)
        if answer.campaigns is not None or answer.config is not None:
            drop_unused_pictures(conn)
        where = {(r.campaign, r.serial): (r.device, r.store) for r in answer.redeemed_at}
        Ledger.add_redeemed(conn, answer.redeemed, where)
        Ledger.drop_redeemed(conn, answer.released)
        changed = len(_settle(conn, answer.notices))
        Ledger.remember_balances(
            conn, [(b.member, b.balance) for b in answer.balances], answer.device_seq
        )
        Ledger.remember_lots(
            conn,
            {b.member: [lot_of(x) for x in b.lots] for b in answer.balances if b.lots is not None},
        )
        added = withdrawn = 0
        if answer.vouchers is not None:  # the whole slice held now: one missing was withdrawn
            added, withdrawn = Ledger.hold_vouchers(
                conn, [Held(v.campaign, v.tier, v.voucher) for v in answer.vouchers]
            )
        spins = spins_withdrawn = 0
        if answer.wheels is not None:  # every wheel, and every unused outcome held now
            spins, spins_withdrawn = Ledger.hold_wheels(
                conn, [w.model_dump() for w in answer.wheels],
                [HeldSpin(g.campaign, g.index, g.outcome) for g in answer.wheel_slices or []],
            )  # fmt: skip
        if answer.config is not None:
            Ledger.put_setting(conn, "config", answer.config.model_dump())
        Ledger.put_setting(conn, "config_version", answer.config_version)
        Ledger.put_setting(conn, "cursor", answer.cursor)
        Ledger.put_setting(conn, "last_pull", now_iso())
    return {
        "redeemed": len(answer.redeemed), "released": len(answer.released),
        "notices": changed, "balances": len(answer.balances),
        "config": int(answer.config is not None), "campaigns": len(answer.campaigns or []),
        "vouchers": added, "vouchers_withdrawn": withdrawn,
        "spins": spins, "spins_withdrawn": spins_withdrawn,
    }  # fmt: skip


def lot_of(wire: WireLot) -> Lot:
    """A lot as the server sent it, as the terminal holds it."""
    return Lot(wire.id, wire.partner, wire.earned, wire.pending_until, wire.expires_at,
               wire.remaining)  # fmt: skip
