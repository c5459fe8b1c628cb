"""The block a till prints on the receipt after payment: coupons, the voucher or claim QR a prize
came with, points and the new balance.

One layout (`receipt_parts`), printed two ways: as text, at most WIDTH characters a line, for the
POS to print under its own lines (`receipt_text`); and as a picture with the QR drawn and the
voucher large, for a printer that prints pictures (`receipt_picture.receipt_png`).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from typing import Literal, NamedTuple

from codes.common.cli import counted
from pos_plugin.answers import Answer

WIDTH = 40  # characters on a common 80 mm receipt printer
VOUCHER_WORDS = "Your voucher code:"
CLAIM_WORDS = "Scan the QR code with your phone to claim your prize:"
VOUCHER_LATER_WORDS = "Your voucher code comes by SMS once this till has synced."
# what the claim form asks for: a photo of the invoice (this receipt) and of both sides of the ID
CLAIM_BRING_WORDS = "To claim, keep this receipt (your invoice) and have your ID ready."


class Part(NamedTuple):
    """One piece of the receipt: a line of text, a voucher code shown large, or a QR."""

    kind: Literal["line", "big", "qr"]
    text: str


def receipt_parts(
    receipt_id: str, coupons: Sequence[Answer], points: Answer | None, member: str | None,
    expiry: str | None = None, pending: str | None = None,
) -> list[Part]:  # fmt: skip
    """`expiry`: when the member's soonest points expire ('120 points expire on ...');
    `pending`: when the soonest pending ones can be spent ('40 points pending, spendable ...')."""
    lines = [f"instore rewards - receipt {receipt_id}"[:WIDTH], "-" * WIDTH]
    parts = [Part("line", line) for line in lines]
    for coupon in coupons:  # the code on its own line: it is as wide as a narrow receipt
        code, _, outcome = coupon.receipt_line.removeprefix("Coupon ").partition(" ")
        parts.append(Part("line", code))
        parts += [Part("line", line) for line in _wrap(outcome, indent="  ")]
        parts += _prize(coupon)
    if not coupons:
        parts.append(Part("line", "No coupons"))
    if member:
        parts.append(Part("line", f"Member {member}"[:WIDTH]))
        if points is not None and points.points is not None:
            parts.append(Part("line", f"Points earned: {points.points}"))
            parts.append(Part("line", f"Balance: {counted(points.balance or 0, 'point')}"))
            for said in (pending, expiry):
                parts += [Part("line", line) for line in _clauses(said or "")]
        elif points is not None:
            parts += [Part("line", line) for line in _wrap(points.message)]
    parts.append(Part("line", "-" * WIDTH))
    return parts


def _prize(coupon: Answer) -> list[Part]:
    """How the coupon's prize reaches the shopper: its voucher, or the QR to claim it (with the
    link written out, for a phone that cannot scan)."""
    if not coupon.ok:
        return []
    if coupon.voucher:
        return [Part("line", f"  {VOUCHER_WORDS}"), Part("big", coupon.voucher)]
    if coupon.claim_url:
        words = [Part("line", line) for line in _wrap(CLAIM_WORDS, indent="  ")]
        link = coupon.claim_url
        pieces = [link[i : i + WIDTH] for i in range(0, len(link), WIDTH)]
        return [*words, Part("qr", link), *(Part("line", piece) for piece in pieces),
                *(Part("line", line) for line in _claim_steps(coupon))]  # fmt: skip
    if coupon.voucher_later:
        return [Part("line", line) for line in _wrap(VOUCHER_LATER_WORDS, indent="  ")]
    return []


def _claim_steps(coupon: Answer) -> list[str]:
    """As the kiosk says them: the reference, what to have ready, and the last day to claim."""
    said = _wrap(f"Reference: {coupon.code}", indent="  ") if coupon.code else []
    said += _wrap(CLAIM_BRING_WORDS, indent="  ")
    if coupon.claim_by:
        day = date.fromisoformat(coupon.claim_by)
        when = f"{day.day} {calendar.month_name[day.month]} {day.year}"
        said += _wrap(f"Last day to claim: {when}", indent="  ")
    return said


def receipt_text(parts: Sequence[Part]) -> str:
    """The receipt as plain text: a voucher framed on lines of its own, a QR left to the picture
    (its link is written below it)."""
    out: list[str] = []
    for part in parts:
        if part.kind == "big":
            pieces = [part.text[i : i + WIDTH] for i in range(0, len(part.text), WIDTH)]
            out += ["=" * WIDTH, *(piece.center(WIDTH).rstrip() for piece in pieces), "=" * WIDTH]
        elif part.kind == "line":
            out.append(part.text)
    return "\n".join(out)


def needs_picture(parts: Sequence[Part]) -> bool:
    """A QR or a voucher: what plain text cannot print well."""
    return any(part.kind != "line" for part in parts)


def _clauses(text: str) -> list[str]:
    """A sentence too long for a line broken after its comma first, so "12 December" stays
    together: "40 points pending," then "    spendable from 12 December"."""
    if len(text) <= WIDTH or ", " not in text:
        return _wrap(text)
    head, _, tail = text.partition(", ")
    return [*_wrap(head + ","), *_wrap(tail, indent="    ")]


def _wrap(text: str, indent: str = "") -> list[str]:
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > WIDTH:
            out.append(line)
            line = "    " + word
        else:
            line = f"{line} {word}" if line else indent + word
    return [*out, line] if line else out
