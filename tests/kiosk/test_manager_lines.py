"""The manager's lines about single events (conflicts, rejections, alerts, the last redemptions)
are in the kiosk's language too; codes, members, cashiers and times are data."""

from __future__ import annotations

import re
from typing import Any

from kiosk import manager_view
from kiosk.i18n import LANGUAGES, render
from tests.kiosk.conftest import StoreFactory

CONFLICT = {
    "kind": "redeem", "payload": {"code": "HV-ABCD-EFGH", "tier": None}, "actor": "",
    "local_time": "2026-12-01T08:00:00+00:00",
    "reason": "double_redemption: already redeemed by Counter 2 at 07:59",
}  # fmt: skip
SPEND = {
    "kind": "spend", "payload": {"points": -3, "member": "+919876543210"}, "actor": "Asha",
    "local_time": "2026-12-01T09:00:00+00:00", "reason": "overdraft: balance 1, spend 3",
}  # fmt: skip


def _view_status() -> dict[str, Any]:
    return {
        "online": True, "online_since": None, "offline_since": None, "pending": 0,
        "oldest_pending_s": 0, "max_offline_s": 3600, "overdue": False, "last_pull": None,
        "conflict_list": [CONFLICT], "rejected_list": [SPEND], "alert_list": [],
        "offline_budget": {},
    }  # fmt: skip


def _view() -> manager_view.ManagerView:
    status = _view_status()
    recent = [{"local_time": "2026-12-01T10:00:00+00:00", "code": "HV-ABCD-EFGH", "tier": "gold",
               "state": "pending", "offline": True}]  # fmt: skip
    return manager_view.view(status, recent)


def test_event_lines_are_said_in_every_language() -> None:
    seen = _view()
    lines = [*seen.conflicts, *seen.rejected, *seen.recent]
    for lang in LANGUAGES[1:]:
        for line in lines:
            words = render(line, lang)
            # the code, the tier's id and the member are data; no English word is left
            data = words.replace("HV-ABCD-EFGH", "").replace("gold", "").replace("Asha", "")
            assert not re.search("[A-Za-z]{4}", data), words
    assert render(seen.conflicts[0], "ru") == (
        "код HV-ABCD-EFGH (без приза), 01 декабря 08:00:00:"
        " другое устройство погасило этот код раньше"
    )
    assert "списание: 3 балла" in render(seen.rejected[0], "ru")
    assert render(seen.recent[0], "en").endswith("offline, waiting to sync")


def test_a_reason_the_catalogue_does_not_know_is_shown_as_the_server_said_it() -> None:
    said = render(manager_view.reason("brand_new_rule: the brand said no"), "hi")
    assert said == "the brand said no"
    assert render(manager_view.reason("no code at all"), "kk") == "no code at all"


def test_a_double_redemption_names_the_device_and_store_that_won_in_every_language() -> None:
    """The server names the first side (ingest's words); the manager reads it in the kiosk's
    language with the device, the store and the time as they are."""
    said = "double_redemption: already redeemed by Till A at store north (2026-12-06 13:13 UTC)"
    for lang in ("en", "hi", "ru", "kk"):
        line = render(manager_view.reason(said), lang)
        assert "Till A" in line and "north" in line and "2026-12-06 13:13 UTC" in line, line
        assert "already" not in line


def test_a_double_redemption_names_the_first_store_by_its_name_without_device_ids() -> None:
    """The server gives the store's name after its id (terminal/conflict_words.py reads both)."""
    said = (
        "double_redemption: already redeemed by North till (dev-dea61b4b1fc5) at store north"
        ' "North Street" (2026-12-06 15:07 UTC)'
    )
    for lang in ("en", "hi", "ru", "kk"):
        line = render(manager_view.reason(said), lang)
        assert "North till" in line and "North Street" in line and "15:07" in line, line
        assert "dev-" not in line and "store north" not in line, line


def test_the_budgets_total_counts_what_its_tier_lines_count(make_store: StoreFactory) -> None:
    """Not "Offline budget used: 2" (the number of tiers) above "0 of 10" twice."""
    store = make_store(name="budget")  # gold and silver get the default budget of 10 each
    terminal = store.open()
    assert terminal.redeem(store.code(store.serial_of_tier("silver"))).ok
    seen = manager_view.view(terminal.status(), [])
    assert render(seen.heading("budget"), "en") == (
        "Prizes given offline since the last sync: 1 of 20 allowed"
    )
    assert [render(line, "en") for line in seen.budget] == ["gold: 0 of 10", "silver: 1 of 10"]
    assert render(seen.heading("budget"), "hi").endswith("अनुमत 20 में से 1")
    assert render(seen.heading("budget"), "ru").endswith(": 1, можно до 20")
    assert render(seen.heading("budget"), "kk").endswith("рұқсат етілген 20 ішінен 1")
    for lang in LANGUAGES[1:]:
        for text in (seen.heading("budget"), *seen.budget):
            words = render(text, lang).replace("gold", "").replace("silver", "")
            assert not re.search("[A-Za-z]{4}", words), words


def test_a_kiosk_without_offline_caps_says_so() -> None:
    status = {
        **_view_status(),
        "offline_budget": {"music": {"used": 4, "max": None, "max_value": None}},
    }
    seen = manager_view.view(status, [])
    assert seen.budget == ()
    assert render(seen.heading("budget"), "en") == "Prizes given offline: no limit set"
