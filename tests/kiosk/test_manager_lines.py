"""The manager's lines about single events (conflicts, rejections, alerts, the last redemptions)
are in the kiosk's language too; codes, members, cashiers and times are data."""

from __future__ import annotations

import re
from typing import Any

from kiosk import manager_view
from kiosk.i18n import LANGUAGES, render

CONFLICT = {
    "kind": "redeem", "payload": {"code": "HV-ABCD-EFGH", "tier": None}, "actor": "",
    "local_time": "2026-12-01T08:00:00+00:00",
    "reason": "double_redemption: already redeemed by Counter 2 at 07:59",
}  # fmt: skip
SPEND = {
    "kind": "spend", "payload": {"points": -3, "member": "+919876543210"}, "actor": "Asha",
    "local_time": "2026-12-01T09:00:00+00:00", "reason": "overdraft: balance 1, spend 3",
}  # fmt: skip


def _view() -> manager_view.ManagerView:
    status: dict[str, Any] = {
        "online": True, "online_since": None, "offline_since": None, "pending": 0,
        "oldest_pending_s": 0, "max_offline_s": 3600, "overdue": False, "last_pull": None,
        "conflict_list": [CONFLICT], "rejected_list": [SPEND], "alert_list": [],
        "offline_budget": {},
    }  # fmt: skip
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
