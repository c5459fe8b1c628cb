"""The block a till prints on the receipt after payment: coupons, points and the new balance."""

from __future__ import annotations

from collections.abc import Sequence

from codes.common.cli import counted
from pos_plugin.answers import Answer

WIDTH = 40  # characters on a common 80 mm receipt printer


def receipt_text(
    receipt_id: str, coupons: Sequence[Answer], points: Answer | None, member: str | None
) -> str:
    """Plain text, at most WIDTH characters a line, for the POS to print under its own lines."""
    lines = [f"instore rewards - receipt {receipt_id}"[:WIDTH], "-" * WIDTH]
    for coupon in coupons:  # the code on its own line: it is as wide as a narrow receipt
        code, _, outcome = coupon.receipt_line.removeprefix("Coupon ").partition(" ")
        lines.append(code)
        lines.extend(_wrap(outcome, indent="  "))
    if not coupons:
        lines.append("No coupons")
    if member:
        lines.append(f"Member {member}"[:WIDTH])
        if points is not None and points.points is not None:
            lines.append(f"Points earned: {points.points}")
            lines.append(f"Balance: {counted(points.balance or 0, 'point')}")
        elif points is not None:
            lines.extend(_wrap(points.message))
    lines.append("-" * WIDTH)
    return "\n".join(lines)


def _wrap(text: str, indent: str = "") -> list[str]:
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > WIDTH:
            out.append(line)
            line = "    " + word
        else:
            line = f"{line} {word}" if line else indent + word
    return [*out, line] if line else out
