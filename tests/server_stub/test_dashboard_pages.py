"""The dashboard's pages as server functions: what each viewer is shown, without HTTP."""

from __future__ import annotations

import re

import pytest

from server_stub.accounts import users
from server_stub.dashboard import lookup, pages
from server_stub.prizes import vouchers
from tests.world import World

PASSWORD = "correct horse battery"


def _viewer(world: World, name: str, role: str, stores: list[str] = ()) -> users.Viewer:  # type: ignore[assignment]
    users.create_user(world.engine, name, PASSWORD, role, stores)
    return users.sign_in(world.engine, name, PASSWORD)


def test_the_overview_counts_only_what_the_viewer_may_see(world: World) -> None:
    world.setup()
    north, south = world.device("s1", "Till N"), world.device("s2", "Till S")
    for serial in (1, 2, 3):
        north.terminal.redeem(world.code(serial))
    south.terminal.redeem(world.code(4))
    assert north.sync().ok and south.sync().ok
    ann = _viewer(world, "ann", "admin")
    sam = _viewer(world, "sam", "store_manager", ["s2"])
    assert pages.overview(world.engine, ann)["tiles"]["redemptions_today"] == 4
    seen = pages.overview(world.engine, sam)
    assert seen["tiles"]["redemptions_today"] == 1
    assert [s["store_id"] for s in seen["top_stores"]] == ["s2"]
    assert sum(h["redemptions"] for h in seen["hourly"]) == 1


def test_a_store_manager_is_shown_no_other_stores_devices(world: World) -> None:
    world.setup()
    world.device("s1", "Till N")
    world.device("s2", "Till S")
    sam = _viewer(world, "sam", "store_manager", ["s2"])
    page = pages.stores_and_devices(world.engine, sam)
    assert [s["id"] for s in page["stores"]] == ["s2"]
    assert [d["name"] for d in page["stores"][0]["devices"]] == ["Till S"]


def test_an_empty_server_has_something_to_say(world: World) -> None:
    world.setup(stores=())
    ann = _viewer(world, "ann", "admin")
    page = pages.overview(world.engine, ann)
    assert page["tiles"]["redemptions_today"] == 0 and page["top_stores"] == []
    assert pages.stores_and_devices(world.engine, ann)["stores"] == []


def test_reports_count_only_the_viewers_stores_and_keep_formulas_as_text(world: World) -> None:
    from server_stub.records import reports

    world.setup()
    north, south = world.device("s1", "Till N"), world.device("s2", "Till S")
    north.terminal.redeem(world.code(1), actor="=HYPERLINK(1)")
    south.terminal.redeem(world.code(2), actor="bob")
    assert north.sync().ok and south.sync().ok
    sam = _viewer(world, "sam", "store_manager", ["s2"])
    page = pages.reports_page(world.engine, sam, {"what": "redemptions", "by": "store"})
    assert [(r["key"], r["count"]) for r in page["result"]["rows"]] == [("s2", 1)]
    assert "budget" not in page["result"] and "open" not in page["result"]
    ann = _viewer(world, "ann", "admin")
    by_cashier = pages.reports_page(world.engine, ann, {"by": "cashier", "what": "nonsense"})
    assert by_cashier["what"] == "redemptions"
    _, rows = reports.to_csv_rows(by_cashier["result"])
    assert rows[0][:2] == ["'=HYPERLINK(1)", 1]
    later = pages.reports_page(world.engine, ann, {"since": "2999-01-01"})
    assert later["result"]["rows"] == []


def test_the_overview_follows_a_resolution_that_moves_a_redemption(world: World) -> None:
    from server_stub.records import conflicts

    world.setup()
    north, south = world.device("s1", "Till N"), world.device("s2", "Till S")
    north.terminal.redeem(world.code(5))
    south.terminal.redeem(world.code(5))
    assert north.sync().ok and south.sync().ok
    ann = _viewer(world, "ann", "admin")
    before = pages.overview(world.engine, ann)
    assert before["tiles"]["redemptions_today"] == 1
    assert [s["store_id"] for s in before["top_stores"]] == ["s1"]
    conflict = conflicts.list_conflicts(world.engine)[0]["id"]
    conflicts.resolve(world.engine, conflict, "void_winner", "ann", "the first was a test")
    after = pages.overview(world.engine, ann)
    assert after["tiles"]["redemptions_today"] == 1
    assert [s["store_id"] for s in after["top_stores"]] == ["s2"]


def test_each_device_reports_what_waits_to_sync_at_every_sync(world: World) -> None:
    world.setup()
    north, south = world.device("s1", "Till N"), world.device("s2", "Till S")
    north.terminal.redeem(world.code(1))
    assert north.sync().ok
    south.client.pull(0, 0, pending=7, oldest_pending_s=5400.0)  # as a till whose pushes fail
    ann = _viewer(world, "ann", "admin")
    listed = {
        d["name"]: (d["pending"], d["oldest_pending_s"])
        for s in pages.stores_and_devices(world.engine, ann)["stores"]
        for d in s["devices"]
    }
    assert listed == {"Till N": (0, 0.0), "Till S": (7, 5400.0)}


def test_conflicts_are_filtered_by_state_kind_and_store(world: World) -> None:
    from server_stub.records import conflicts

    world.setup()
    north, south = world.device("s1", "Till N"), world.device("s2", "Till S")
    for serial in (5, 6):
        north.terminal.redeem(world.code(serial))
        south.terminal.redeem(world.code(serial))
    assert north.sync().ok and south.sync().ok
    ann = _viewer(world, "ann", "admin")
    first = conflicts.list_conflicts(world.engine)[-1]["id"]
    conflicts.resolve(world.engine, first, "accept_loss", "ann", "both shoppers keep it")
    page = pages.conflicts_page
    assert len(page(world.engine, ann, {})["conflicts"]) == 1
    done = page(world.engine, ann, {"state": "resolved"})["conflicts"]
    assert [c["id"] for c in done] == [first] and not done[0]["may_propose"]
    assert page(world.engine, ann, {"kind": "overdraft"})["conflicts"] == []
    assert page(world.engine, ann, {"store": "s9"})["conflicts"] == []
    assert len(page(world.engine, ann, {"store": "s2", "kind": "nonsense"})["conflicts"]) == 1


def test_a_device_stands_out_when_silent_longer_than_its_store_allows(world: World) -> None:
    import time

    from server_stub.catalog import store_setup

    world.setup()
    store_setup.create_store(world.engine, "kiosk-corner", "Kiosk corner", silent_after_minutes=5)
    for store in ("s1", "kiosk-corner"):
        assert world.device(store, f"Till {store}").sync().ok
    ann = _viewer(world, "ann", "admin")
    later = time.time() + 10 * 60
    silent = {
        d["name"]: d["silent"]
        for s in pages.stores_and_devices(world.engine, ann, later)["stores"]
        for d in s["devices"]
    }
    assert silent == {"Till s1": False, "Till kiosk-corner": True}
    assert pages.overview(world.engine, ann, later)["tiles"]["devices_silent"] == 1


def test_conflicts_come_a_page_at_a_time_newest_first(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.setup()
    north, south = world.device("s1", "Till N"), world.device("s2", "Till S")
    for serial in (5, 6, 7):
        north.terminal.redeem(world.code(serial))
        south.terminal.redeem(world.code(serial))
    assert north.sync().ok and south.sync().ok
    monkeypatch.setattr(pages, "CONFLICTS_PAGE", 2)
    ann = _viewer(world, "ann", "admin")
    first = pages.conflicts_page(world.engine, ann, {"store": "s2"})
    ids = [c["id"] for c in first["conflicts"]]
    assert len(ids) == 2 and ids == sorted(ids, reverse=True) and first["older"] == ids[-1]
    rest = pages.conflicts_page(world.engine, ann, {"store": "s2", "before": str(ids[-1])})
    assert [c["id"] for c in rest["conflicts"]] == [ids[-1] - 1] and rest["older"] is None


def test_a_voucher_pool_running_low_stands_out_on_the_overview(world: World) -> None:
    world.setup()
    pool = world.tmp / "vouchers.csv"
    pool.write_text("voucher\n" + "".join(f"MUSIC-{n:04d}\n" for n in range(30)))
    vouchers.load(world.engine, world.campaign.id, "music", pool)
    viewer = _viewer(world, "ada", "admin")
    assert pages.overview(world.engine, viewer)["pools"][0]["state"] == "ok"
    with world.engine.begin() as conn:
        for n in range(15):  # 15 of 30 left: below the floor of 20
            vouchers.give(conn, world.campaign.id, "music", f"ev-{n}", "shoppers-web")
    (shown,) = pages.overview(world.engine, viewer)["pools"]
    assert (shown["tier"], shown["free"], shown["given"], shown["state"]) == (
        "music",
        15,
        15,
        "low",
    )


def test_times_read_as_staff_read_them_never_as_iso(world: World) -> None:
    world.setup()
    at = 1_796_569_684.0  # 2026-12-06T15:08:04 UTC
    ann = _viewer(world, "ann", "admin")
    assert pages.overview(world.engine, ann, at)["as_of_text"] == "6 Dec 2026, 15:08 UTC"
    assert pages.when_text(at) == "6 Dec 2026, 15:08 UTC" and pages.when_text(None) == "-"
    assert (
        pages.device_time_text("2026-12-06T20:38:04.120+05:30") == "6 Dec 2026, 20:38 (UTC+05:30)"
    )
    assert pages.device_time_text(None) == "-" and pages.device_time_text("soon") == "soon"
    till = world.device("s1", "Till N")
    till.terminal.redeem(world.code(1))
    assert till.sync().ok
    found = lookup.lookup(world.engine, ann, world.code(1))
    times = [(e["device_time"], e["server_time"]) for e in found["events"]]
    assert times and not any(re.search(r"\d{4}-\d\d", d + s) for d, s in times)
    assert all(d.endswith("(UTC+00:00)") and s.endswith(" UTC") for d, s in times)
