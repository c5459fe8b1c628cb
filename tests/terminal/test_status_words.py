"""`instore terminal status` as a store manager reads it: a conflict names the prize as shoppers
know it, the store that redeemed the code first by its name, and the times in one readable
form; no device id in the headline or the conflict line."""

from __future__ import annotations

import re
from pathlib import Path

from sync.outbox import apply_verdicts
from sync.protocol import EventVerdict
from terminal import status_text
from terminal.ledger_content import put_content
from terminal.provision import provision
from tests.conftest import CampaignFactory
from tests.terminal.conftest import StoreFactory

FIRST = (
    'double_redemption: already redeemed by North till (dev-dea61b4b1fc5) at store north "North'
    ' Street" (2026-12-06 15:07 UTC)'
)


def _conflict_line(make_store: StoreFactory, reason: str, name: str = "") -> list[str]:
    store = make_store()
    terminal = store.open()
    if name:
        with terminal.ledger.write() as conn:
            put_content(conn, "ice-2026", {"tiers": {"silver": {"name": {"en": name}}}}, {})
    done = terminal.redeem(store.code(store.serial_of_tier("silver")), actor="bob")
    assert done.event_id is not None
    apply_verdicts(
        terminal.ledger, [EventVerdict(event_id=done.event_id, verdict="conflict", reason=reason)]
    )
    return status_text.lines(terminal.status())


def test_a_conflict_names_the_prize_the_first_store_and_the_times_in_words(
    make_store: StoreFactory,
) -> None:
    lines = _conflict_line(make_store, FIRST, name="Silver coin")
    (line,) = [x for x in lines if x.strip().startswith("conflict:")]
    assert re.fullmatch(
        r"  conflict: HV-[0-9A-Z-]+ \(Silver coin\), redeemed here by bob at \d\d:\d\d UTC on"
        r" \d{1,2} [A-Z][a-z]{2}( \d{4})?, was already redeemed at North Street by North till"
        r" at 15:07 UTC( on 6 Dec( 2026)?)?",
        line,
    ), line
    assert "dev-" not in line and "double_redemption" not in line and "+00:00" not in line


def test_a_first_side_at_this_store_is_said_so(make_store: StoreFactory) -> None:
    said = FIRST.replace("store north", "store store-1")  # the device's own store
    (line,) = [x for x in _conflict_line(make_store, said) if x.startswith("  conflict:")]
    assert "(silver)" in line  # no content, no description: the tier's own name
    assert "was already redeemed at this store by North till" in line


def test_an_older_servers_words_still_read(make_store: StoreFactory) -> None:
    """Before the store's name and the time, the server wrote only the store's id."""
    said = "double_redemption: already redeemed by Till 1 (dev-b20003b29f68) at store north"
    (line,) = [x for x in _conflict_line(make_store, said) if x.startswith("  conflict:")]
    assert line.endswith("was already redeemed at north by Till 1"), line


def test_the_headline_names_the_device_and_its_store_in_words(
    make_campaign: CampaignFactory, make_store: StoreFactory, tmp_path: Path
) -> None:
    terminal = make_store().open()
    lines = status_text.lines(terminal.status())
    assert lines[0].startswith("till1 at store store-1: ")
    assert "dev-" not in lines[0]
    device_id = terminal.status()["device_id"]
    assert f"  device id {device_id} (support and the dashboard know it by this)" in lines
    campaign, key = make_campaign(file="lone.toml")
    device = provision(tmp_path / "lone.db", [(campaign, key)], device_name="Till 1")
    from terminal.engine import Terminal

    lone = Terminal(tmp_path / "lone.db")
    try:
        head = status_text.lines(lone.status())[0]
    finally:
        lone.close()
    assert head.startswith("Till 1 (not assigned to a store): "), head
    assert device.device_id not in head and "-:" not in head
