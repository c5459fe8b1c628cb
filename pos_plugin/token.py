"""The bridge's bearer token, kept in the device's ledger: only the POS that was given it may call."""

from __future__ import annotations

import secrets

from terminal.ledger import Ledger

SETTING = "pos_token"


def bridge_token(ledger: Ledger, rotate: bool = False) -> str:
    """This till's token, made on first use; `rotate` replaces it (the old one stops working)."""
    with ledger.write() as conn:
        kept = Ledger.setting_in(conn, SETTING)
        if kept is not None and not rotate:
            return str(kept)
        token = secrets.token_urlsafe(24)
        Ledger.put_setting(conn, SETTING, token)
    return token


def current_token(ledger: Ledger) -> str | None:
    value = ledger.setting(SETTING)
    return str(value) if value else None
