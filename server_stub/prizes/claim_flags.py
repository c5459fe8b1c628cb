"""Duplicate flags: what a verifier should look at twice before approving a claim. A machine never
rejects a claim for them; it only names the other claim.

Each flag is a small object in `prize_claims.flags`, with `kind` one of:
- `same_file`: a document is byte for byte a document of `other` (any campaign);
- `near_identical`: a photo is within NEAR_IDENTICAL bits of perceptual hash of a photo of the
  same kind on `other` of the same campaign (a re-shot or re-saved picture);
- `same_id`: the same ID type and number as `other` (any campaign; compared in upper case
  without spaces or dashes);
- `same_invoice`: the same invoice number as `other` (any campaign; compared alike);
- `phone_over_limit`: this claim took the phone past the campaign's claims per person (it and
  every later claim of that phone carry it);
- `redemption_elsewhere`: the server holds the code for another redemption than the one claimed
  (`event`, `device`, `store`): the code was redeemed twice, and this claim is not the first.
  Looked for at filing, and again when the claimed redemption arrives later as a conflict (a
  kiosk's QR followed before the kiosk synced): `after_conflict`.

Limits, said plainly: these checks run inside the filing's transaction (so two duplicates filed
at once still see each other), and two of them scan. ID and invoice numbers are compared with
every claim's (no index on a normalised number). A photo is compared with the photos of its kind
in its campaign: the database keeps those that agree with it on one band of hex digits at least
(a pigeonhole: NEAR_IDENTICAL bits apart, two hashes differ in at most that many digits of
NEAR_IDENTICAL + 1 bands), about 2 in 100, and Python counts the bits of those. That is a scan
of the campaign's documents all the same: measured here at 100,000 claims of one campaign
(300,000 photos), about half a second per filing on SQLite or PostgreSQL, which on SQLite holds
the single writer; a campaign's thousands of claims cost milliseconds. Past that the bands would
need columns of their own with an index each, so no scan is left.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select, true, update

from server_stub.database.schema import claim_documents, prize_claims
from server_stub.database.schema import claims as held_codes
from server_stub.prizes.uploads import NEAR_IDENTICAL, hamming

Flag = dict[str, Any]
KINDS = (
    "same_file", "near_identical", "same_id", "same_invoice", "phone_over_limit",
    "redemption_elsewhere",
)  # fmt: skip


def flags_for(conn: Connection, number: str, claims_per_phone: int | None) -> list[Flag]:
    """The flags of claim `number` as its rows stand in this transaction (documents written).

    `claims_per_phone`: the campaign's limit, counted when a claim is filed; None when it is
    sent again (the phone's count does not change, so its flag is kept as it was).
    """
    c = prize_claims.c
    mine = conn.execute(select(prize_claims).where(c.number == number)).one()
    found = _same_file(conn, mine) + _near_identical(conn, mine)
    found += _same_number(conn, mine, "same_id", c.id_number, mine.id_number, c.id_type == mine.id_type)  # fmt: skip
    if mine.invoice_number:
        found += _same_number(conn, mine, "same_invoice", c.invoice_number, mine.invoice_number)
    if claims_per_phone is not None:
        found += _phone_over_limit(conn, mine, claims_per_phone)
    found += _redemption_elsewhere(conn, mine)
    return found


def describe(flag: Flag) -> str:
    """One flag in words for the verifier."""
    kind, other, document = flag["kind"], flag.get("other"), str(flag.get("document", ""))
    words = document.replace("_", " ")
    if kind == "same_file":
        return f"the same {words} file as claim {other}"
    if kind == "near_identical":
        return f"a near-identical {words} photo to claim {other} ({flag.get('bits')} bits apart)"
    if kind == "same_id":
        return f"the same ID number as claim {other}"
    if kind == "same_invoice":
        return f"the same invoice number as claim {other}"
    if kind == "phone_over_limit":
        return (
            f"this phone's claim number {flag.get('claims')} in the campaign, over its limit of"
            f" {flag.get('limit')}"
        )
    if kind == "redemption_elsewhere":
        return (
            f"the code was redeemed first elsewhere: event {flag.get('event')} of device"
            f" {flag.get('device')} in store {flag.get('store')}"
        )
    return json.dumps(flag)


def _documents(conn: Connection, number: str) -> list[Any]:
    d = claim_documents.c
    query = select(d.kind, d.sha256, d.phash).where(d.number == number, d.current.is_(True))
    return list(conn.execute(query.order_by(d.kind)))


def _same_file(conn: Connection, mine: Any) -> list[Flag]:
    d = claim_documents.c
    found: list[Flag] = []
    for doc in _documents(conn, mine.number):
        query = select(d.number).where(d.sha256 == doc.sha256, d.number != mine.number)
        for other in sorted(set(conn.execute(query).scalars())):
            found.append({"kind": "same_file", "other": other, "document": doc.kind})
    return found


def _near_identical(conn: Connection, mine: Any) -> list[Flag]:
    """Photos of the same kind in the same campaign within NEAR_IDENTICAL bits, less those that
    are the same file (flagged as such already). One query for all the claim's photos; the
    database keeps only those that agree with one on a band of digits at least (`_bands`), and
    Python counts the bits of those few."""
    d, c = claim_documents.c, prize_claims.c
    photos = {doc.kind: doc for doc in _documents(conn, mine.number) if doc.phash is not None}
    if not photos:  # PDFs only
        return []
    alike = [
        and_(d.kind == doc.kind, d.sha256 != doc.sha256, _sharing_a_band(d.phash, doc.phash))
        for doc in photos.values()
    ]
    query = (
        select(d.number, d.kind, d.phash)
        .join(prize_claims, c.number == d.number)
        .where(c.campaign == mine.campaign, d.number != mine.number, d.phash.is_not(None))
        .where(or_(*alike))
    )
    nearest: dict[tuple[str, str], int] = {}
    for other in conn.execute(query):
        bits = hamming(photos[other.kind].phash, other.phash)
        key = (other.kind, other.number)
        if bits <= NEAR_IDENTICAL and bits < nearest.get(key, NEAR_IDENTICAL + 1):
            nearest[key] = bits
    return [
        {"kind": "near_identical", "other": number, "document": kind, "bits": bits}
        for (kind, number), bits in sorted(nearest.items())
    ]


def _sharing_a_band(column: ColumnElement[Any], phash: str) -> ColumnElement[bool]:
    bands = _bands(phash)
    if not bands:
        return true()
    return or_(*(func.substr(column, at + 1, n) == phash[at : at + n] for at, n in bands))


def _bands(phash: str) -> list[tuple[int, int]]:
    """NEAR_IDENTICAL + 1 runs of hex digits covering the hash, as (start, length). Two hashes
    NEAR_IDENTICAL bits apart differ in at most that many digits, so they agree on one run at
    least; [] when there are too few digits to say so (then every photo is compared)."""
    runs = NEAR_IDENTICAL + 1
    if runs > len(phash):
        return []
    cuts = [len(phash) * i // runs for i in range(runs + 1)]
    return [(cuts[i], cuts[i + 1] - cuts[i]) for i in range(runs)]


def _normalised(value: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.upper(func.replace(func.replace(value, " ", ""), "-", ""))


def _same_number(
    conn: Connection, mine: Any, kind: str, column: ColumnElement[Any], value: str,
    *also: ColumnElement[bool],
) -> list[Flag]:  # fmt: skip
    """Other claims whose number in `column` reads the same as `value` (case, spaces, dashes)."""
    plain = value.upper().replace(" ", "").replace("-", "")
    query = select(prize_claims.c.number).where(
        _normalised(column) == plain, prize_claims.c.number != mine.number, *also
    )
    return [{"kind": kind, "other": n} for n in sorted(conn.execute(query).scalars())]


def _phone_over_limit(conn: Connection, mine: Any, limit: int) -> list[Flag]:
    c = prize_claims.c
    earlier = conn.execute(
        select(func.count()).where(
            c.phone == mine.phone,
            c.campaign == mine.campaign,
            c.number != mine.number,
            c.created <= mine.created,
        )
    ).scalar_one()
    if earlier < limit:
        return []
    return [{"kind": "phone_over_limit", "claims": earlier + 1, "limit": limit}]


def _redemption_elsewhere(conn: Connection, mine: Any) -> list[Flag]:
    held = conn.execute(
        select(held_codes.c.event_id, held_codes.c.device_id, held_codes.c.store_id).where(
            held_codes.c.campaign == mine.campaign, held_codes.c.serial == mine.serial
        )
    ).first()
    if held is None or held.event_id == mine.event_id:
        return []
    return [
        {"kind": "redemption_elsewhere", "event": held.event_id, "device": held.device_id,
         "store": held.store_id}
    ]  # fmt: skip


def after_conflict(conn: Connection, event_ids: Sequence[str]) -> int:
    """Redemptions that just became conflicts (a device synced them after another held the
    code): a claim already filed for one of them gets its `redemption_elsewhere` flag now, in
    the push's transaction. How many claims were flagged."""
    if not event_ids:
        return 0
    flagged = 0
    claimed = select(prize_claims).where(prize_claims.c.event_id.in_(list(event_ids)))
    for mine in conn.execute(claimed.with_for_update()).all():
        known = json.loads(mine.flags)
        new = [f for f in _redemption_elsewhere(conn, mine) if f not in known]
        if new:
            conn.execute(
                update(prize_claims)
                .where(prize_claims.c.number == mine.number)
                .values(flags=json.dumps(known + new))
            )
            flagged += 1
    return flagged
