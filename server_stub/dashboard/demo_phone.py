"""The demo phone page (/dashboard/demo-phone), present only when the server runs for `instore
demo` (`--demo-phone DIR`): every text message the file gateway wrote to DIR/sms and every
email the demo's mail server kept in DIR/mail, newest first, as the shopper's phone would show
them. A server function the template lays out and ?format=json answers.

Everything is shown whole (one-time passwords, vouchers): it stands in for the shopper's own
phone, on a demo's loopback server. No server of a store is started with it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from server_stub.accounts.users import Viewer

SHOWN = 100  # the newest; a demo's day sends a few dozen
MAX_BYTES = 1_000_000  # a file larger than this is not one of the demo's messages
# what each kind of message is, as the page labels it (a kind not listed: its words unjoined)
KIND_LABELS = {
    "otp": "one-time password",
    "voucher": "voucher",
    "claim_received": "claim received",
    "claim_in_verification": "claim being checked",
    "claim_approved": "claim approved",
    "claim_rejected": "claim rejected",
    "claim_dispatched": "prize on its way",
    "claim_delivered": "prize delivered",
    "points_expiring": "points about to expire",
    "email": "email",
}


def kind_label(kind: str) -> str:
    """'otp' as 'one-time password', 'claim_dispatched' as 'prize on its way'; "" for none."""
    return KIND_LABELS.get(kind, kind.replace("_", " "))


def phone_page(folder: Path, viewer: Viewer, query: Mapping[str, str]) -> dict[str, Any]:
    """The messages, newest first: {channel: sms|email, at, to, kind, label (the kind in
    words), subject, text}; with ?to=... only those to that phone or address."""
    wanted = query.get("to", "").strip()[:200]
    found = [*_texts(folder / "sms"), *_emails(folder / "mail")]
    found.sort(key=lambda m: m["at"], reverse=True)
    if wanted:
        found = [m for m in found if m["to"] == wanted]
    return {
        "viewer": {"username": viewer.username, "role": viewer.role.value},
        "to": wanted,
        "messages": found[:SHOWN],
        "count": len(found),
        "folders": {"sms": str(folder / "sms"), "mail": str(folder / "mail")},
    }


def _files(folder: Path, suffix: str) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if p.suffix == suffix and not p.name.startswith(".")
            and p.stat().st_size <= MAX_BYTES]  # fmt: skip


def _texts(folder: Path) -> list[dict[str, Any]]:
    shown = []
    for path in _files(folder, ".json"):
        try:
            sms = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not one of the gateway's files
        if not isinstance(sms, dict):
            continue
        shown.append({
            "channel": "sms", "at": path.stat().st_mtime, "to": str(sms.get("to", "")),
            "kind": str(sms.get("kind", "")), "label": kind_label(str(sms.get("kind", ""))),
            "subject": "", "text": str(sms.get("text", "")),
        })  # fmt: skip
    return shown


def _emails(folder: Path) -> list[dict[str, Any]]:
    shown = []
    for path in _files(folder, ".eml"):
        try:
            mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        except (OSError, ValueError):
            continue
        shown.append({
            "channel": "email", "at": path.stat().st_mtime, "to": str(mail.get("To", "")),
            "kind": "email", "label": kind_label("email"), "subject": str(mail.get("Subject", "")),
            "text": _body(mail),
        })  # fmt: skip
    return shown


def _body(mail: Any) -> str:
    if not isinstance(mail, EmailMessage):
        return ""
    part = mail.get_body(("plain",))
    try:
        return str(part.get_content()).strip() if part is not None else ""
    except (LookupError, ValueError):
        return ""
