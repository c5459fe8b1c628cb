"""The shopper's web over HTTP: phone, one-time password, codes, a claim and its status, with the
forms a browser without JavaScript posts."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from urllib.parse import SplitResult, urlsplit

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from sqlalchemy import event, select

from codes.common.claim_link import claim_url
from server_stub.database.schema import devices, events, prize_claims
from server_stub.play import web as play_web
from server_stub.prizes import claims, vouchers
from tests.server_stub.play.shopper import (
    TIERS,
    Client,
    Shopper,
    last_password,
    messages,
    send_outbox,
    serial_of_tier,
    server_for,
    sms_folder,
)
from tests.world import World

PHONE = "+919876543210"


@pytest.fixture
def shopper(world: World) -> Iterator[Shopper]:
    world.setup(tiers=TIERS)
    with server_for(world) as url:
        yield Shopper(Client(url), sms_folder(world))


def _photo(seed: int) -> bytes:
    image = Image.effect_noise((320, 240), 40 + seed).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _pdf() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((300, 200), 30).convert("RGB").save(out, "PDF")
    return out.getvalue()


PDF = _pdf()


def _claim(shopper: Shopper, **changes: object) -> None:
    fields = {
        "csrf": shopper.csrf(), "name": "Asha Rao", "address": "12 MG Road, Pune 411001",
        "id_type": "aadhaar", "id_number": "1234 5678 9012", "consent": "on",
    }  # fmt: skip
    for hidden in re.findall(
        r'<input type="hidden" name="(code|event|device|mac)" value="([^"]*)"', shopper.html
    ):
        fields[hidden[0]] = hidden[1]
    fields.update({k: str(v) for k, v in changes.items() if not isinstance(v, tuple)})
    files = {
        "invoice": ("invoice.jpg", _photo(1), "image/jpeg"),
        "id_front": ("front.jpg", _photo(2), "image/jpeg"),
        "id_back": ("back.pdf", PDF, "application/pdf"),
    }
    files.update({k: v for k, v in changes.items() if isinstance(v, tuple)})
    action = re.search(r'<form method="post" action="([^"]+)" enctype', shopper.html)
    path = html.unescape(action.group(1)) if action else "/play/claim"
    shopper.page = shopper.client.post(path, data=fields, files=files)


def test_phone_then_password_then_codes_one_after_another(world: World, shopper: Shopper) -> None:
    shopper.open()
    assert 'name="phone"' in shopper.html and 'name="csrf"' in shopper.html
    shopper.post(phone="98765 43210")  # as a shopper types a local number
    assert 'name="otp"' in shopper.html and "3210" in shopper.html
    shopper.post(otp="000000" if last_password(shopper.folder) != "000000" else "111111")
    assert shopper.page is not None and shopper.page.status_code == 401
    shopper.post(otp=last_password(shopper.folder, PHONE))
    assert 'name="code"' in shopper.html

    music = world.code(serial_of_tier(world, "music"))
    shopper.enter(music.lower().replace("-", " "))
    assert "You won!" in shopper.html and "Music subscription" in shopper.html
    gold = world.code(serial_of_tier(world, "gold"))
    shopper.enter(gold)
    assert "Gold coin" in shopper.html and "Claim your prize" in shopper.html
    shopper.enter("HV-NOT-A-CODE")
    assert "Sorry" in shopper.html
    shopper.enter(music)
    assert "You entered this code already" in shopper.html
    # the codes so far, newest first
    listed = shopper.html.split("My codes and prizes")[1]
    assert listed.index(gold) < listed.index(music)


def test_a_form_without_its_token_is_refused(shopper: Shopper) -> None:
    shopper.open()
    page = shopper.client.post("/play/", data={"phone": PHONE})
    assert page.status_code == 403 and "expired" in page.text
    assert not list(shopper.folder.glob("*.json"))  # no SMS was sent


def test_each_language_is_one_link_away(shopper: Shopper) -> None:
    for lang, words in (("hi", 'lang="hi"'), ("ru", 'lang="ru"'), ("kk", 'lang="kk"')):
        page = shopper.open("/play/", lang=lang)
        assert f'<html lang="{lang}">' in page.text and words in page.text
    assert shopper.open("/play/").text.startswith('<!doctype html>\n<html lang="kk">')  # kept


def test_a_gold_win_on_the_web_is_claimed_and_followed(world: World, shopper: Shopper) -> None:
    shopper.sign_in(PHONE)
    serial = serial_of_tier(world, "gold")
    shopper.enter(world.code(serial))
    link = re.search(r'href="(/play/claim\?event=[^"]+)"', shopper.html)
    assert link, shopper.html
    shopper.open(link.group(1).replace("&amp;", "&"))
    assert 'name="id_type"' in shopper.html and 'name="consent"' in shopper.html

    _claim(shopper)

    number = re.search(r"CL-[0-9A-Z]{4,}", shopper.html)
    assert number, shopper.html
    with world.engine.connect() as conn:
        claim = conn.execute(select(prize_claims)).one()
    assert (claim.number, claim.serial, claim.phone, claim.status) == (
        number.group(0), serial, PHONE, "received",
    )  # fmt: skip
    # the status page: same visit, so the phone is known
    shopper.open("/play/status", claim=number.group(0))
    assert "Received" in shopper.html


def test_another_phone_learns_nothing_of_a_claim(world: World, shopper: Shopper) -> None:
    shopper.sign_in(PHONE)
    shopper.enter(world.code(serial_of_tier(world, "gold")))
    shopper.open(re.search(r'href="(/play/claim\?event=[^"]+)"', shopper.html).group(1))  # type: ignore[union-attr]
    _claim(shopper)
    number = re.search(r"CL-[0-9A-Z]{4,}", shopper.html).group(0)  # type: ignore[union-attr]

    other = Shopper(Client(shopper.client.base), shopper.folder).sign_in("+919800000002")
    other.open("/play/status")
    other.post("/play/status", claim=number)
    assert 'name="otp"' in other.html  # the same answer as for any number
    other.post("/play/status", claim=number, otp="123456")
    assert "Received" not in other.html
    other.post("/play/status", claim="CL-ZZZZZZZZ")
    assert 'name="otp"' in other.html


def test_a_kiosk_qr_joins_its_redemption_before_and_after_the_kiosk_syncs(
    world: World, shopper: Shopper
) -> None:
    kiosk = world.device("s1", "Kiosk 1")
    kiosk.sync()
    with world.engine.connect() as conn:
        row = conn.execute(
            select(devices.c.id, devices.c.secret).where(devices.c.name == "Kiosk 1")
        ).one()
    device_id, secret = row.id, bytes.fromhex(row.secret)
    codes = [world.code(serial_of_tier(world, "gold", n)) for n in (0, 1)]
    results = [kiosk.terminal.redeem(code) for code in codes]
    assert all(r.status.value == "accepted_offline" for r in results)

    # the link the kiosk's QR carries, as its result made it (the server it syncs with as base)
    links = [urlsplit(r.claim_url or "") for r in results]
    assert all(link.path == "/play/claim" for link in links)
    assert claim_url("", secret, codes[0], str(results[0].event_id), device_id).endswith(
        links[0].query
    )

    def follow(link: SplitResult, phone: str) -> str:
        shopper.client.cookies.clear()
        shopper.open(f"{link.path}?{link.query}")
        assert "Gold coin" in shopper.html and 'name="phone"' in shopper.html
        shopper.post("/play/claim", phone=phone)
        shopper.post("/play/claim", otp=last_password(shopper.folder, phone))
        _claim(shopper)
        found = re.search(r"CL-[0-9A-Z]{4,}", shopper.html)
        assert found, shopper.html
        return found.group(0)

    before = follow(links[0], "+919811111111")  # the kiosk has not synced
    kiosk.sync()
    after = follow(links[1], "+919822222222")

    with world.engine.connect() as conn:
        redemptions = (
            conn.execute(select(events.c.event_id).where(events.c.kind == "redeem")).scalars().all()
        )
        joined = dict(conn.execute(select(prize_claims.c.number, prize_claims.c.event_id)).all())
    assert sorted(redemptions) == sorted(str(r.event_id) for r in results)  # exactly one each
    assert joined == {before: results[0].event_id, after: results[1].event_id}


def test_a_forged_qr_finds_no_win(world: World, shopper: Shopper) -> None:
    kiosk = world.device("s1", "Kiosk 1")
    kiosk.sync()
    with world.engine.connect() as conn:
        device_id = conn.execute(
            select(devices.c.id).where(devices.c.name == "Kiosk 1")
        ).scalar_one()
    code = world.code(serial_of_tier(world, "gold"))
    link = claim_url("", b"not the kiosk's secret", code, "ev-1", device_id)
    page = shopper.open(link)
    assert page.status_code == 404 and "cannot find this win" in page.text


def _filed(world: World, shopper: Shopper) -> str:
    shopper.sign_in(PHONE)
    shopper.enter(world.code(serial_of_tier(world, "gold")))
    link = re.search(r'href="(/play/claim\?event=[^"]+)"', shopper.html)
    assert link, shopper.html
    shopper.open(link.group(1))
    return shopper.html


def _pdf_with_script() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(300, 200)
    writer.add_open_action(JavaScript("app.alert(1);"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


JS_PDF = _pdf_with_script()


@pytest.mark.parametrize(
    "kind, upload, words",
    [
        ("invoice", ("invoice.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),
         "Only JPEG, PNG or PDF"),
        ("id_front", ("../../etc/front.jpg", _photo(3), "image/jpeg"), "name is not allowed"),
        ("id_back", ("back.pdf", JS_PDF, "application/pdf"), "holds a script"),
        ("invoice", ("huge.jpg", b"\xff\xd8\xff" + bytes(50 * 1024 * 1024), "image/jpeg"),
         "at most 10 MB"),
    ],
)  # fmt: skip
def test_a_harmful_upload_is_refused_in_words_and_nothing_is_filed(
    world: World, shopper: Shopper, kind: str, upload: tuple[str, bytes, str], words: str
) -> None:
    _filed(world, shopper)
    _claim(shopper, **{kind: upload})
    assert shopper.page is not None and shopper.page.status_code in (413, 415, 422)
    assert words in shopper.html and 'name="name"' in shopper.html  # the form again
    if len(upload[1]) < 10 * 1024 * 1024:  # read whole: what was typed is kept
        assert "Asha Rao" in shopper.html
    with world.engine.connect() as conn:
        assert conn.execute(select(prize_claims)).first() is None


def test_a_rejected_claim_may_be_sent_again_once(world: World, shopper: Shopper) -> None:
    _filed(world, shopper)
    _claim(shopper)
    number = re.search(r"CL-[0-9A-Z]{4,}", shopper.html).group(0)  # type: ignore[union-attr]
    claims.move(world.engine, number, "in_verification", "vera")
    claims.move(world.engine, number, "rejected", "vera", note="The invoice photo is blurred.")

    shopper.open("/play/status", claim=number)
    assert "Not approved" in shopper.html and "The invoice photo is blurred." in shopper.html
    fields = {"csrf": shopper.csrf(), "resubmit": number}
    again = ("invoice.jpg", _photo(7), "image/jpeg")
    shopper.page = shopper.client.post("/play/claim", data=fields, files={"invoice": again})
    assert "Documents received again" in shopper.html

    shopper.open("/play/status", claim=number)
    assert "Received" in shopper.html and 'name="resubmit"' not in shopper.html
    claims.move(world.engine, number, "in_verification", "vera")
    claims.move(world.engine, number, "rejected", "vera", note="Still blurred.")
    shopper.open("/play/status", claim=number)
    assert 'name="resubmit"' not in shopper.html  # once only
    shopper.open("/play/")
    fields = {"csrf": shopper.csrf(), "resubmit": number}
    shopper.page = shopper.client.post("/play/claim", data=fields, files={"invoice": again})
    assert shopper.page.status_code == 409


def test_an_unknown_page_is_a_page(shopper: Shopper) -> None:
    page = shopper.open("/play/nothing-here", lang="ru")
    assert page.status_code == 404 and "Такой страницы нет." in page.text


def test_a_music_win_gets_its_voucher_on_the_page_and_by_sms(
    world: World, shopper: Shopper
) -> None:
    pool = world.tmp / "vouchers.csv"
    pool.write_text("voucher\nMUSIC-AAAA-0001\nMUSIC-AAAA-0002\n")
    vouchers.load(world.engine, world.campaign.id, "music", pool)
    shopper.sign_in(PHONE)
    code = world.code(serial_of_tier(world, "music"))

    shopper.enter(code)
    (given,) = re.findall(r"MUSIC-AAAA-000\d", shopper.html.split("My codes and prizes")[0])
    shopper.enter(code)  # entered again: the same voucher, not a second one
    assert given in shopper.html.split("My codes and prizes")[0]

    send_outbox(world)  # written with the redemption, sent by the outbox's worker
    sent = messages(shopper.folder, "voucher")
    assert len(sent) == 1 and given in sent[0]["text"] and sent[0]["to"] == PHONE


def test_a_code_entry_takes_one_connection_from_the_pool(
    world: World, shopper: Shopper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The visit, the redemption (a voucher's too) and the codes so far on one connection:
    each checkout and return cost a code entry about a tenth of a millisecond."""
    pool = world.tmp / "vouchers.csv"
    pool.write_text("voucher\nMUSIC-AAAA-0001\n")
    vouchers.load(world.engine, world.campaign.id, "music", pool)
    shopper.sign_in(PHONE)
    monkeypatch.setattr(play_web, "RECHECK_S", 3600.0)  # the campaigns read at sign-in serve
    taken: list[str] = []

    def counted(*_: object) -> None:
        taken.append("checkout")

    event.listen(world.engine.pool, "checkout", counted)
    try:
        for tier in ("sticker", "music", "gold"):
            taken.clear()
            shopper.enter(world.code(serial_of_tier(world, tier)))
            assert "You won!" in shopper.html and len(taken) == 1, (tier, taken)
    finally:
        event.remove(world.engine.pool, "checkout", counted)
