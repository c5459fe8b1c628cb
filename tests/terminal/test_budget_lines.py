"""`instore terminal status` says how many prizes went offline since the last sync, in all and by
tier, and the total counts what the tier lines count."""

from __future__ import annotations

from terminal import status_text
from terminal.config import TerminalConfig, TierRule
from tests.terminal.conftest import StoreFactory


def _budget(lines: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(lines) if "given offline" in line)
    return lines[start : start + 3]


def test_the_total_is_the_tier_lines_added_up(make_store: StoreFactory) -> None:
    store = make_store()  # gold and silver get the default budget of 10 each
    terminal = store.open()
    for i in range(2):
        assert terminal.redeem(store.code(store.serial_of_tier("silver", i))).ok
    assert terminal.redeem(store.code(store.serial_of_tier("music"))).ok  # no budget: not counted
    assert _budget(status_text.lines(terminal.status())) == [
        "  prizes given offline since the last sync: 2 of 20 allowed",
        "    gold: 0 of 10",
        "    silver: 2 of 10",
    ]


def test_a_budget_by_value_is_said_with_its_worth(make_store: StoreFactory) -> None:
    rules = (TierRule("gold", offline_count=3), TierRule("silver", offline_value=50.0))
    store = make_store(TerminalConfig(tier_rules=rules))
    terminal = store.open()
    assert terminal.redeem(store.code(store.serial_of_tier("silver"))).ok
    # silver has no number to add up, so the total is the count alone
    assert _budget(status_text.lines(terminal.status())) == [
        "  prizes given offline since the last sync: 1",
        "    gold: 0 of 3",
        "    silver: worth 0 of 50",
    ]
