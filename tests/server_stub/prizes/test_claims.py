"""Prize claims as the shopper and the back office meet them: a claim number, refusals that say
what to fix, one claim per code however many arrive at once, the deadline with its date, a
device's QR before and after its device synced, a status page that tells a stranger nothing, the
one path of moves, one resubmission, the duplicate flags a verifier sees, and the CLI."""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageEnhance
from sqlalchemy import select

from instore_cli import main as instore
from server_stub.database.schema import claim_documents, events
from server_stub.database.schema import claims as held_codes
from server_stub.errors import ApiError
from server_stub.prizes import claims
from server_stub.prizes.documents import DocumentStore
from server_stub.prizes.uploads import NEAR_IDENTICAL, CheckedFile, check_upload
from tests.world import World

PHONE = "+919876543210"
NUMBER = re.compile(r"CL-[0-9A-HJKMNP-TV-Z]{8}")  # Crockford's base 32: no I, L, O or U
DAY = 86_400.0


def photo(phash: str | None = None, data: bytes | None = None) -> CheckedFile:
    """A checked JPEG as uploads hands it over; its perceptual hash random unless given."""
    data = data if data is not None else b"\xff\xd8\xff" + secrets.token_bytes(200)
    return CheckedFile(
        content_type="image/jpeg", extension=".jpg", data=data,
        sha256=hashlib.sha256(data).hexdigest(), phash=phash or secrets.token_hex(8), pages=1,
    )  # fmt: skip


def picture(seed: int) -> Image.Image:
    """A photo of sorts: coloured blocks on white, the same for the same seed."""
    image, chance = Image.new("RGB", (320, 240), "white"), random.Random(seed)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = chance.randrange(300), chance.randrange(220)
        box = (x, y, x + chance.randrange(20, 120), y + chance.randrange(20, 90))
        draw.rectangle(box, fill=(chance.randrange(256), chance.randrange(256), 0))
    return image


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def documents(**given: CheckedFile) -> dict[str, CheckedFile]:
    """The three documents a claim takes, each a new photo unless given."""
    return {kind: given.get(kind) or photo() for kind in claims.DOCUMENT_KINDS}


def draft(w: World, serial: int, **fields: Any) -> claims.ClaimDraft:
    values: dict[str, Any] = {
        "campaign": w.campaign.id, "serial": serial, "code": w.code(serial), "tier": "gold",
        "value": 500.0, "event_id": f"web-{serial}", "phone": PHONE, "name": "A. Shopper",
        "address": "12 Lake Road\nPune 411001", "id_type": "aadhaar",
        "id_number": f"1234 5678 {serial:04d}", "invoice_number": f"INV-{serial}", "consent": True,
    }  # fmt: skip
    return claims.ClaimDraft(**(values | fields))


@pytest.fixture
def store(tmp_path: Path) -> DocumentStore:
    return DocumentStore(tmp_path / "documents")


def stored_files(tmp_path: Path) -> int:
    return sum(1 for p in (tmp_path / "documents").rglob("*") if p.is_file())


@contextmanager
def refused(status: int, code: str) -> Iterator[pytest.ExceptionInfo[ApiError]]:
    with pytest.raises(ApiError) as info:
        yield info
    assert (info.value.status, info.value.code) == (status, code), info.value.message


def field_of(info: pytest.ExceptionInfo[ApiError]) -> str:
    assert isinstance(info.value, claims.BadClaim)
    return info.value.field


def test_a_claim_gets_a_number_and_keeps_its_documents(
    world: World, store: DocumentStore, tmp_path: Path
) -> None:
    w = world.setup()
    files = documents()
    number = claims.file_claim(w.engine, store, draft(w, 7), files)
    assert NUMBER.fullmatch(number)
    shown = claims.show(w.engine, number.lower().replace("0", "o"))  # as a person types it
    assert shown["number"] == number and shown["status"] == "received"
    assert (shown["code"], shown["tier"], shown["documents"]) == (w.code(7), "gold", 3)
    assert [s["status"] for s in shown["timeline"]] == ["received"] and shown["flags"] == []
    assert shown["deadline"] == pytest.approx(time.time() + 30 * DAY, abs=60)
    with w.engine.connect() as conn:
        kept = {r.kind: r.stored for r in conn.execute(select(claim_documents))}
    assert {k: store.read(name) for k, name in kept.items()} == {
        k: f.data for k, f in files.items()
    }
    assert claims.claims_of_phone(w.engine, PHONE)[0]["number"] == number
    assert claims.claim_for_code(w.engine, w.campaign.id, 7) == {
        "number": number, "status": "received", "phone": PHONE,
    }  # fmt: skip
    assert claims.claim_for_code(w.engine, w.campaign.id, 8) is None


def test_a_claim_is_refused_with_what_to_fix_and_leaves_nothing(
    world: World, store: DocumentStore, tmp_path: Path
) -> None:
    w = world.setup()
    with refused(422, "consent_needed"):
        claims.file_claim(w.engine, store, draft(w, 7, consent=False), documents())
    with refused(422, "bad_claim") as bad:
        claims.file_claim(w.engine, store, draft(w, 7, id_type="library_card"), documents())
    assert field_of(bad) == "id_type" and "passport" in bad.value.message
    without_back = documents()
    del without_back["id_back"]
    with refused(422, "bad_claim") as bad:
        claims.file_claim(w.engine, store, draft(w, 7), without_back)
    assert field_of(bad) == "id_back" and "back" in bad.value.message
    for field, value in (("name", "  "), ("address", "x" * 1001), ("name", "A\x00B")):
        with refused(422, "bad_claim") as bad:
            claims.file_claim(w.engine, store, draft(w, 7, **{field: value}), documents())
        assert field_of(bad) == field
    assert stored_files(tmp_path) == 0 and claims.claims_of_phone(w.engine, PHONE) == []


def test_one_claim_per_code_even_when_twenty_arrive_at_once(
    world: World, store: DocumentStore, tmp_path: Path
) -> None:
    w = world.setup()
    first = claims.file_claim(w.engine, store, draft(w, 7), documents())
    with refused(409, "already_claimed") as again:
        claims.file_claim(w.engine, store, draft(w, 7, phone="+919811111111"), documents())
    assert first not in again.value.message and PHONE not in again.value.message

    def file(i: int) -> str:
        try:
            return claims.file_claim(
                w.engine, store, draft(w, 8, phone=f"+9198000000{i:02d}"), documents()
            )
        except ApiError as exc:
            return exc.code

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(file, range(20)))
    filed = [a for a in answers if NUMBER.fullmatch(a)]
    assert len(filed) == 1 and answers.count("already_claimed") == 19
    assert stored_files(tmp_path) == 6  # the two claims' documents: none of a refused filing


def test_a_claim_after_its_deadline_is_refused_with_the_date(
    world: World, store: DocumentStore
) -> None:
    w = world.setup()
    redeemed = 1_796_515_200.0  # 2026-12-06 00:00 UTC
    late = draft(w, 7, redeemed_at=redeemed, claim_days=30)
    with refused(410, "claim_deadline") as info:
        claims.file_claim(w.engine, store, late, documents(), now=redeemed + 30 * DAY + 60)
    assert info.value.message == "The claim deadline for this prize was 2027-01-05."
    number = claims.file_claim(w.engine, store, late, documents(), now=redeemed + 30 * DAY - 60)
    assert claims.show(w.engine, number)["deadline"] == redeemed + 30 * DAY


def test_a_devices_qr_counts_its_deadline_from_the_claim_until_the_event_arrives(
    world: World, store: DocumentStore
) -> None:
    w = world.setup()
    till = w.device("s1", "Till 1")
    won = [till.terminal.redeem(w.code(s)) for s in (11, 12)]
    assert all(r.ok and r.event_id for r in won)
    now = time.time()

    def qr(serial: int, event_id: str | None) -> claims.ClaimDraft:
        return draft(w, serial, event_id=event_id, device_id=till.client.device_id)

    # before the till synced the server knows nothing of the redemption: 30 days from now
    early = claims.file_claim(w.engine, store, qr(11, won[0].event_id), documents(), now=now)
    assert claims.show(w.engine, early)["deadline"] == now + 30 * DAY
    till.sync()
    with w.engine.connect() as conn:
        arrived = conn.execute(select(events.c.received).where(
            events.c.event_id == won[1].event_id)).scalar_one()  # fmt: skip
    with refused(410, "claim_deadline"):
        claims.file_claim(w.engine, store, qr(12, won[1].event_id), documents(),
                          now=arrived + 31 * DAY)  # fmt: skip
    later = claims.file_claim(
        w.engine, store, qr(12, won[1].event_id), documents(), now=arrived + DAY
    )
    assert claims.show(w.engine, later)["deadline"] == arrived + 30 * DAY
    with refused(422, "bad_claim"):  # an event id of another code does not join this one
        claims.file_claim(w.engine, store, qr(13, won[1].event_id), documents())
    # an online till's claim of the code reached the server, its event not yet: from the claim
    online = w.device("s1", "Till 2", online=True)
    taken = online.terminal.redeem(w.code(14))
    with w.engine.connect() as conn:
        claimed_at = conn.execute(select(held_codes.c.claimed_at).where(
            held_codes.c.serial == 14)).scalar_one()  # fmt: skip
        assert (
            conn.execute(select(events).where(events.c.event_id == taken.event_id)).first() is None
        )
    qr_online = draft(w, 14, event_id=taken.event_id, device_id=online.client.device_id)
    number = claims.file_claim(w.engine, store, qr_online, documents(), now=claimed_at + DAY)
    assert claims.show(w.engine, number)["deadline"] == claimed_at + 30 * DAY


def test_the_status_page_shows_a_claim_only_to_its_phone(
    world: World, store: DocumentStore
) -> None:
    w = world.setup()
    number = claims.file_claim(w.engine, store, draft(w, 7), documents())
    page = claims.status_page(w.engine, number, PHONE)
    assert page is not None
    assert page["number"] == number and page["status"] == "received" and page["tier"] == "gold"
    assert page["reason"] == "" and page["can_resubmit"] is False
    assert [s["status"] for s in page["timeline"]] == ["received"]
    text = json.dumps(page)
    assert "Lake Road" not in text and "5678" not in text and "stored" not in text
    assert claims.status_page(w.engine, number, "+919811111111") is None
    other = "CL-" + ("0" if number[3] != "0" else "1") + number[4:]
    assert claims.status_page(w.engine, other, PHONE) is None
    assert claims.status_page(w.engine, "not a number", PHONE) is None
    typed = " ".join(number[3:].lower().replace("0", "o").replace("1", "l"))  # no CL-, spaced
    assert claims.status_page(w.engine, typed, PHONE) == page


def test_the_back_office_moves_a_claim_forward_only(world: World, store: DocumentStore) -> None:
    w = world.setup()
    number = claims.file_claim(w.engine, store, draft(w, 7), documents(), now=1000.0)
    with refused(409, "bad_move"):  # no skipping verification
        claims.move(w.engine, number, "approved", "vera", now=1001.0)
    claims.move(w.engine, number, "in_verification", "vera", now=1002.0)
    claims.move(w.engine, number, "approved", "vera", "all three documents readable", now=1003.0)
    with refused(422, "tracking_needed"):
        claims.move(w.engine, number, "dispatched", "dan", carrier="India Post", now=1004.0)
    claims.move(w.engine, number, "dispatched", "dan", carrier="India Post",
                tracking="EE123456789IN", now=1005.0)  # fmt: skip
    with refused(409, "bad_move") as back:
        claims.move(w.engine, number, "in_verification", "vera", now=1006.0)
    assert "next step: delivered" in back.value.message
    claims.move(w.engine, number, "delivered", "dan", now=1007.0)
    with refused(409, "bad_move"):
        claims.move(w.engine, number, "received", "dan", now=1008.0)
    with refused(404, "not_found"):
        claims.move(w.engine, "CL-00000000", "in_verification", "vera")
    page = claims.status_page(w.engine, number, PHONE)
    assert page is not None and (page["carrier"], page["tracking"]) == (
        "India Post",
        "EE123456789IN",
    )
    assert [(s["at"], s["status"]) for s in page["timeline"]] == [
        (1000.0, "received"), (1002.0, "in_verification"), (1003.0, "approved"),
        (1005.0, "dispatched"), (1007.0, "delivered"),
    ]  # fmt: skip
    assert claims.show(w.engine, number)["timeline"][2]["actor"] == "vera"


def test_a_rejected_claim_may_be_sent_again_once(
    world: World, store: DocumentStore, tmp_path: Path
) -> None:
    w = world.setup()
    number = claims.file_claim(w.engine, store, draft(w, 7), documents(), now=1000.0)
    with refused(409, "not_rejected"):
        claims.resubmit(w.engine, store, number, PHONE, {"invoice": photo()}, now=1001.0)
    claims.move(w.engine, number, "in_verification", "vera", now=1002.0)
    with refused(422, "reason_needed"):
        claims.move(w.engine, number, "rejected", "vera", now=1003.0)
    claims.move(w.engine, number, "rejected", "vera", "The invoice photo is blurred.", now=1003.0)
    page = claims.status_page(w.engine, number, PHONE)
    assert page is not None and page["can_resubmit"] is True
    assert page["reason"] == "The invoice photo is blurred."
    with refused(404, "not_found"):  # someone else's phone
        claims.resubmit(w.engine, store, number, "+919811111111", {"invoice": photo()})
    sharp = photo()
    claims.resubmit(w.engine, store, number, PHONE, {"invoice": sharp},
                    invoice_number="INV-7B", now=1004.0)  # fmt: skip
    shown = claims.show(w.engine, number)
    assert (shown["status"], shown["resubmissions"], shown["documents"]) == ("received", 1, 3)
    assert [s["note"] for s in shown["timeline"]][-1] == "sent again"
    with w.engine.connect() as conn:
        current = conn.execute(select(claim_documents.c.sha256).where(
            claim_documents.c.kind == "invoice", claim_documents.c.current.is_(True))).scalars()  # fmt: skip
        assert list(current) == [sharp.sha256]
    assert stored_files(tmp_path) == 4  # the old invoice kept for the verifier, not current
    claims.move(w.engine, number, "in_verification", "vera", now=1005.0)
    claims.move(w.engine, number, "rejected", "vera", "The ID is not the shopper's.", now=1006.0)
    page = claims.status_page(w.engine, number, PHONE)
    assert page is not None and page["can_resubmit"] is False
    with refused(409, "resubmitted_once"):
        claims.resubmit(w.engine, store, number, PHONE, {"invoice": photo()}, now=1007.0)
    assert stored_files(tmp_path) == 4


def kinds(w: World, number: str) -> list[tuple[str, str | None]]:
    return [(f["kind"], f.get("other")) for f in claims.show(w.engine, number)["flags"]]


def near(phash: str, bits: int) -> str:
    """`phash` with one bit flipped in each of `bits` hex digits spread over it, first to last:
    the hardest case for finding it by the bands of digits it shares."""
    digits = {round(i * 15 / (bits - 1)) for i in range(bits)}
    return "".join(f"{int(d, 16) ^ 8:x}" if i in digits else d for i, d in enumerate(phash))


def test_duplicates_are_flagged_for_the_verifier_never_refused(
    world: World, store: DocumentStore
) -> None:
    w = world.setup()
    invoice, id_front = check_upload("invoice.jpg", jpeg(picture(1))), photo()
    first = claims.file_claim(
        w.engine, store, draft(w, 1, id_number="1234-5678-0001", invoice_number="inv 77"),
        documents(invoice=invoice, id_front=id_front),
    )  # fmt: skip
    assert kinds(w, first) == []
    # the same invoice file, the ID's front re-shot, the same ID and invoice numbers written
    # otherwise, from another phone
    second = claims.file_claim(
        w.engine, store,
        draft(w, 2, phone="+919811111111", id_number=" 123456780001", invoice_number="INV-77"),
        documents(invoice=invoice, id_front=photo(near(id_front.phash or "", NEAR_IDENTICAL))),
    )  # fmt: skip
    assert sorted(kinds(w, second)) == [
        ("near_identical", first), ("same_file", first), ("same_id", first),
        ("same_invoice", first),
    ]  # fmt: skip
    flags = claims.show(w.engine, second)["flags"]
    assert {f["kind"]: f.get("document") for f in flags}["same_file"] == "invoice"
    assert {f["kind"]: f.get("document") for f in flags}["near_identical"] == "id_front"
    assert claims.show(w.engine, first)["flagged_by"] == [second]
    # a photo one bit further off, another ID type with the same number: not flagged
    third = claims.file_claim(
        w.engine, store,
        draft(w, 3, phone="+919822222222", id_type="passport", id_number="123456780001"),
        documents(id_front=photo(near(id_front.phash or "", NEAR_IDENTICAL + 1))),
    )  # fmt: skip
    assert kinds(w, third) == []
    assert claims.show(w.engine, second)["status"] == "received"
    # the first invoice photographed again, smaller and brighter: another file, the same picture
    again = ImageEnhance.Brightness(picture(1).resize((300, 225))).enhance(1.1)
    fourth = claims.file_claim(
        w.engine, store, draft(w, 4, phone="+919833333333"),
        documents(invoice=check_upload("IMG_2.jpg", jpeg(again, quality=60))),
    )  # fmt: skip
    assert sorted(kinds(w, fourth)) == sorted(
        [("near_identical", first), ("near_identical", second)]
    )


def test_one_phone_over_the_campaigns_limit_is_flagged_from_the_claim_that_goes_over(
    world: World, store: DocumentStore
) -> None:
    w = world.setup()
    numbers = [
        claims.file_claim(
            w.engine, store, draft(w, s, claims_per_phone=2), documents(), now=1000.0 + s
        )
        for s in (1, 2, 3, 4)
    ]
    assert [kinds(w, n) for n in numbers] == [
        [],
        [],
        [("phone_over_limit", None)],
        [("phone_over_limit", None)],
    ]
    assert claims.show(w.engine, numbers[3])["flags"][0] == {
        "kind": "phone_over_limit", "claims": 4, "limit": 2,
    }  # fmt: skip
    # sent again after a rejection, the claim keeps its place in the phone's count
    claims.move(w.engine, numbers[2], "in_verification", "vera")
    claims.move(w.engine, numbers[2], "rejected", "vera", "blurred")
    claims.resubmit(w.engine, store, numbers[2], PHONE, {"invoice": photo()})
    assert kinds(w, numbers[2]) == [("phone_over_limit", None)]


def test_a_code_the_server_holds_for_another_redemption_is_flagged(
    world: World, store: DocumentStore
) -> None:
    w = world.setup()
    till = w.device("s1", "Till 1")
    won = till.terminal.redeem(w.code(5))
    till.sync()
    ours = claims.file_claim(w.engine, store, draft(w, 5, event_id=won.event_id), documents())
    assert kinds(w, ours) == []
    claims.move(w.engine, ours, "in_verification", "vera")
    claims.move(w.engine, ours, "rejected", "vera", "blurred")
    with w.engine.begin() as conn:  # as if the till's redemption had lost to another
        conn.execute(held_codes.update().values(event_id="someone-elses"))
    claims.resubmit(w.engine, store, ours, PHONE, {"id_back": photo()})
    flags = claims.show(w.engine, ours)["flags"]
    assert flags == [{"kind": "redemption_elsewhere", "event": "someone-elses",
                      "device": till.client.device_id, "store": "s1"}]  # fmt: skip


def test_admin_claim_show_for_a_store_manager(
    world: World, store: DocumentStore, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world.setup()
    number = claims.file_claim(w.engine, store, draft(w, 7), documents())
    claims.move(w.engine, number, "in_verification", "vera")
    assert instore(["admin", "--db", w.url, "claim", "show", number, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {k: shown[k] for k in ("number", "status", "code", "tier", "documents", "phone")} == {
        "number": number, "status": "in_verification", "code": w.code(7), "tier": "gold",
        "documents": 3, "phone": PHONE,
    }  # fmt: skip
    assert [(s["status"], s["actor"]) for s in shown["timeline"]] == [
        ("received", "shopper"), ("in_verification", "vera"),
    ]  # fmt: skip
    assert {"campaign", "flags", "deadline", "carrier", "tracking"} <= shown.keys()
    assert instore(["admin", "--db", w.url, "claim", "show", number]) == 0
    plain = capsys.readouterr().out
    assert "in_verification" in plain and "+********3210" in plain and PHONE not in plain
    assert instore(["admin", "--db", w.url, "claim", "show", "CL-00000000"]) == 1
    assert "no claim CL-00000000" in capsys.readouterr().err
    assert instore(["admin", "--db", w.url, "claim", "list", "--status", "in_verification",
                    "--json"]) == 0  # fmt: skip
    assert [c["number"] for c in json.loads(capsys.readouterr().out)] == [number]


def test_a_claim_from_a_qr_is_flagged_when_its_redemption_syncs_as_a_conflict(
    world: World, store: DocumentStore
) -> None:
    """The kiosk's QR is followed before the kiosk syncs; meanwhile another till redeems the
    same code and syncs first. When the kiosk's redemption arrives as a double redemption, the
    claim filed for it carries the flag the verifier must see."""
    w = world.setup()
    kiosk, till = w.device("s1", "Kiosk 1"), w.device("s2", "Till 1")
    shown = kiosk.terminal.redeem(w.code(7))
    ours = claims.file_claim(
        w.engine, store, draft(w, 7, event_id=shown.event_id, device_id=kiosk.client.device_id),
        documents(),
    )  # fmt: skip
    other = till.terminal.redeem(w.code(7))
    till.sync()
    assert kinds(w, ours) == []
    kiosk.sync()  # its redemption is the later one: a conflict naming the till's
    flags = claims.show(w.engine, ours)["flags"]
    assert flags == [{"kind": "redemption_elsewhere", "event": other.event_id,
                      "device": till.client.device_id, "store": "s2"}]  # fmt: skip
    kiosk.sync()  # a retry flags nothing twice
    assert claims.show(w.engine, ours)["flags"] == flags
