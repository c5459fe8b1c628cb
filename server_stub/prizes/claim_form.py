"""What a claim form must hold: the draft the shopper's web fills in, each field checked,
trimmed and within its column, an ID type we know, the documents a claim takes. Refusals name
the field (`BadClaim.field`), so a form can point at it."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server_stub.errors import ApiError
from server_stub.prizes.uploads import CheckedFile

ID_TYPES = ("aadhaar", "passport", "national_id", "driving_licence", "voter_id")
DOCUMENT_KINDS = ("invoice", "id_front", "id_back")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# the most each field may hold (the table's columns; an address as long as a real one gets)
_LIMITS = {
    "campaign": 64, "code": 64, "tier": 32, "event_id": 64, "device_id": 64, "phone": 32,
    "name": 200, "address": 1000, "email": 200, "id_type": 20, "id_number": 64, "invoice_number": 64,
    "city": 100,
}  # fmt: skip
_OPTIONAL = {"email", "invoice_number", "device_id", "city"}
_LANG = re.compile(r"[a-z]{2,3}")  # the page's language code; the outbox falls back to English
_JOINERS = "\u200c\u200d"  # zero-width non-joiner and joiner: how Hindi spells some words


class BadClaim(ApiError):
    """422 bad_claim: one field of the form is empty, too long or not allowed; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(422, "bad_claim", message)
        self.field = field


@dataclass(frozen=True, kw_only=True)
class ClaimDraft:
    """What the shopper's web knows when a claim is filed: the win (from its own redemption or a
    device's QR), the shopper's details, and the campaign's rules for this tier."""

    campaign: str
    serial: int
    code: str
    tier: str
    value: float
    event_id: str  # the redemption claimed
    phone: str  # confirmed by a one-time password, as the web normalised it
    name: str
    address: str
    id_type: str
    id_number: str
    consent: bool
    device_id: str | None = None  # where it was redeemed, when a device's QR said so
    redeemed_at: float | None = None  # when the web itself redeemed it
    email: str | None = None
    invoice_number: str | None = None
    claim_days: int = 30
    claims_per_phone: int = 3
    lang: str = "en"  # the page's language: the winner's messages are written in it
    city: str | None = None  # shown on the campaign's public winners list, if it has one
    # on that list: only where the form offered the choice and the winner did not opt out
    listed: bool = False


def checked_changes(**given: str | None) -> dict[str, Any]:
    """The details a resubmission changes (those not None), each checked like a draft's."""
    changes = {
        k: _field(k, v, required=k not in _OPTIONAL) for k, v in given.items() if v is not None
    }
    if "id_type" in changes:
        check_id_type(changes["id_type"])
    return changes


def checked_row(draft: ClaimDraft) -> dict[str, Any]:
    """The claim's columns from the draft, each checked, trimmed and within its column."""
    row = {
        k: _field(k, getattr(draft, k), required=k not in _OPTIONAL)
        for k in ("campaign", "code", "tier", "event_id", "device_id", "phone", "name", "address",
                  "email", "id_type", "id_number", "invoice_number", "city")
    }  # fmt: skip
    check_id_type(row["id_type"])
    if not _LANG.fullmatch(draft.lang):
        raise BadClaim("lang", f"{draft.lang!r} is not a language code such as en or hi")
    if not 0 <= draft.serial < 2**63:
        raise BadClaim("serial", f"serial {draft.serial} is out of range")
    if not (math.isfinite(draft.value) and draft.value >= 0):
        raise BadClaim("value", f"a prize's value is a number of 0 or more, not {draft.value}")
    if draft.claim_days < 1 or draft.claims_per_phone < 1:
        raise BadClaim("claim_days", "claim_days and claims_per_phone are 1 or more")
    return row | {
        "serial": draft.serial, "value": draft.value, "lang": draft.lang, "listed": draft.listed,
    }  # fmt: skip


_WHAT = {
    "name": "your name", "address": "your postal address", "id_number": "your ID's number",
    "phone": "your phone number", "id_type": "the type of your ID", "city": "your town or city",
}  # fmt: skip


def _field(name: str, value: str | None, required: bool) -> str | None:
    text = checked_text(
        name, value or "", _LIMITS[name], required, name == "address", _WHAT.get(name)
    )
    if name == "email" and text is not None and not _EMAIL.fullmatch(text):
        raise BadClaim("email", f"{text!r} is not an email address (or leave it empty).")
    return text


def checked_text(
    name: str, value: str, limit: int, required: bool, multiline: bool = False,
    what: str | None = None,
) -> str | None:  # fmt: skip
    """`value` trimmed; None when empty and not required. No control characters (a newline only
    where lines make sense) and nothing a database cannot keep."""
    value = value.strip()
    if not value:
        if required:
            raise BadClaim(name, f"Give {what or name}.")
        return None
    what = _capital(what or name)
    if len(value) > limit:
        raise BadClaim(name, f"{what} is too long: at most {limit} characters.")
    allowed = "\n\r\t" if multiline else ""
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in value):
        raise BadClaim(name, f"{what} holds characters that cannot be kept.")
    # invisible format characters: a right-to-left override turns what the verifier reads
    # around, and a field of nothing else is empty; Indic scripts' joiners are spelling
    if any(unicodedata.category(c) == "Cf" and c not in _JOINERS for c in value):
        raise BadClaim(name, f"{what} holds invisible characters; type it again.")
    return value


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


def check_id_type(id_type: str | None) -> None:
    if id_type not in ID_TYPES:
        known = ", ".join(ID_TYPES)
        raise BadClaim("id_type", f"Choose the type of your ID, one of {known}; not {id_type!r}.")


_DOCUMENT_WORDS = {
    "invoice": "the photo of the purchase invoice",
    "id_front": "the photo of your ID's front",
    "id_back": "the photo of your ID's back",
}


def check_files(files: Mapping[str, CheckedFile], required: bool) -> None:
    for kind in files:
        if kind not in DOCUMENT_KINDS:
            raise BadClaim(kind, f"{kind!r} is not a document a claim takes.")
    missing = [k for k in DOCUMENT_KINDS if k not in files]
    if required and missing:
        raise BadClaim(missing[0], f"Add {_DOCUMENT_WORDS[missing[0]]}.")
    if not files:
        raise BadClaim("invoice", "Add at least one new document.")
