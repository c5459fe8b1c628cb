"""A kiosk's ledger holding a bonus wheel's slice, as a sync leaves it (tests of the wheel)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kiosk.i18n import Text, render
from terminal.engine import Terminal
from terminal.ledger import Ledger
from terminal.ledger_wheel import HeldSpin

COMMITMENT = "3f" * 16 + "a1" * 16  # 64 hex digits, as `instore admin wheel commitment` prints


def wheel(campaign: str, per_day: int = 1, open_: bool = True) -> dict[str, object]:
    return {
        "campaign": campaign, "per_day": per_day, "commitment": COMMITMENT, "open": open_,
        "outcomes": [
            {"label": "50 points", "weight": 40, "points": 50, "kind": "points"},
            {"label": "cap", "weight": 1, "points": 0, "kind": "prize"},
            {"label": "nothing", "weight": 59, "points": 0, "kind": "nothing"},
        ],
    }  # fmt: skip


def hold(terminal: Terminal, outcomes: Sequence[str], per_day: int = 1, open_: bool = True) -> str:
    """The wheel of the terminal's campaign, with `outcomes` as this device's slice (indexes from
    0, in order): its campaign's id."""
    campaign = terminal.campaigns()[0].id
    held = [HeldSpin(campaign, i, label) for i, label in enumerate(outcomes)]
    with terminal.ledger.write() as conn:
        Ledger.hold_wheels(conn, [wheel(campaign, per_day, open_)], held)
    return campaign


def raw_labels(lines: Iterable[str], labels: Iterable[str], lang: str) -> list[str]:
    """The lines of a wheel screen that show an outcome by its label as the wheel was set, where
    a name belongs: the label alone, an odds line led by it ("cap: 1%"), or the win in its words
    ("You won: cap!"). A brand's name that holds the word ("Summer cap") is no raw label."""
    labels = list(labels)
    won = [render(Text.of("wheel.won_prize", prize=label), lang) for label in labels]
    return [
        line for line in lines
        if any(line == label or line.startswith(f"{label}:") for label in labels)
        or any(w in line for w in won)
    ]  # fmt: skip
