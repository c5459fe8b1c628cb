"""The shopper's web attacked from outside, over HTTP against a real server on loopback: forged
forms, one-time passwords guessed and texts sent to someone else's phone, claim numbers probed,
other shoppers' wins, claims and vouchers asked for, a kiosk's claim QR forged, codes guessed,
odd input in every field, abusive uploads and a hundred requests at once.

Each attack gets a clear answer with an error code, never a 5xx, and leaves nothing confirmed
lost. Most run on SQLite only, to stay fast; those where the database matters (NUL in text) run
on PostgreSQL too.
"""

from __future__ import annotations

import html
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from codes.common.claim_link import claim_url
from server_stub.admin.device_control import revoke_device
from server_stub.database.schema import devices, events, otp_codes, play_sessions, prize_claims
from server_stub.device_api.service import SyncService
from server_stub.phones import otp
from server_stub.play import claim_form
from server_stub.prizes import vouchers
from server_stub.settings import ServerSettings, proxy_network
from tests.live import live_server
from tests.server_stub.play.shopper import (
    TIERS,
    Client,
    Shopper,
    last_password,
    messages,
    serial_of_tier,
    sms_folder,
)
from tests.server_stub.play.test_play_pages import PDF, _claim, _photo
from tests.world import World

PHONE = "+919876543210"  # the shopper
ATTACKER = "+919811111111"
VICTIM = "+919822222222"
SQLITE = pytest.mark.parametrize("server_url", ["sqlite"], indirect=True)
CROSS_SITE = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
ERROR = re.compile(r'role="alert">([^<]*)<')


class Clock:
    """The one-time passwords' clock, moved on by the test (the server runs in this process)."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


@dataclass
class Site:
    base: str
    world: World

    def shopper(self, address: str | None = None) -> Shopper:
        """A new browser; `address`: where it seems to come from (the server trusts loopback as
        its proxy, so each test can play many addresses)."""
        client = Client(self.base)
        if address:
            client.headers["X-Forwarded-For"] = address
        return Shopper(client, sms_folder(self.world))

    def otps(self, phone: str) -> list[str]:
        return [m["text"] for m in messages(sms_folder(self.world), "otp") if m["to"] == phone]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    made = Clock()
    monkeypatch.setattr(otp, "time", made)
    return made


@pytest.fixture
def site(world: World, clock: Clock) -> Iterator[Site]:
    world.setup(tiers=TIERS)
    settings = ServerSettings(
        sms_gateway=f"file://{sms_folder(world)}", documents_dir=str(world.tmp / "documents"),
        trusted_proxies=frozenset({proxy_network("127.0.0.1")}),
    )  # fmt: skip
    with live_server(world.engine, SyncService(world.engine, settings)) as url:
        yield Site(url, world)


def _gold_link(site: Site, shopper: Shopper, skip: int = 0) -> str:
    shopper.enter(site.world.code(serial_of_tier(site.world, "gold", skip)))
    link = re.search(r'href="(/play/claim\?event=[^"]+)"', shopper.html)
    assert link, shopper.html
    return html.unescape(link.group(1))


def _filed(site: Site, phone: str) -> str:
    """A claim filed from the web by `phone`; its number."""
    shopper = site.shopper().sign_in(phone)
    shopper.open(_gold_link(site, shopper))
    _claim(shopper)
    found = re.search(r"CL-[0-9A-Z]{8}", shopper.html)
    assert found, shopper.html
    return found.group(0)


def _claims(site: Site) -> int:
    with site.world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(prize_claims)).scalar_one())


def _redemptions(site: Site) -> int:
    with site.world.engine.connect() as conn:
        query = select(func.count()).select_from(events).where(events.c.kind == "redeem")
        return int(conn.execute(query).scalar_one())


# -- forged forms and fixed sessions -----------------------------------------------------------


@SQLITE
def test_a_form_posted_from_elsewhere_or_with_another_visits_token_does_nothing(
    site: Site,
) -> None:
    victim = site.shopper().sign_in(PHONE)
    attacker = site.shopper()
    attacker.open()
    gold = site.world.code(serial_of_tier(site.world, "gold"))
    forged = [
        ("/play/", {"code": gold}), ("/play/", {"leave": "1"}), ("/play/", {"phone": ATTACKER}),
        ("/play/status", {"claim": "CL-7Q2M9XK4"}), ("/play/claim", {"phone": ATTACKER}),
    ]  # fmt: skip
    for path, fields in forged:
        for token in ({}, {"csrf": attacker.csrf()}, {"csrf": ""}):
            page = victim.client.post(
                path, data={**fields, **token}
            )  # the victim's cookie rides along
            assert page.status_code == 403 and "expired" in page.text, (path, token)
    assert _redemptions(site) == 0 and site.otps(ATTACKER) == []
    assert victim.client.get("/play/?format=json").json()["step"] == "codes"  # still signed in


@SQLITE
def test_a_token_after_sign_out_and_a_cookie_fixed_before_sign_in_are_worth_nothing(
    site: Site,
) -> None:
    shopper = site.shopper().sign_in(PHONE)
    cookies, token = shopper.client.cookies.copy(), shopper.csrf()
    shopper.post(leave="1")
    again = site.shopper()
    again.client.cookies.update(cookies)  # the cookie and token from before the sign-out
    page = again.client.post("/play/", data={"csrf": token, "code": "HV-0000"})
    assert page.status_code == 403
    assert again.client.get("/play/?format=json").json()["step"] == "phone"

    # fixation: the attacker's cookie planted in the victim's browser before the victim signs in
    attacker = site.shopper()
    attacker.open()
    planted = attacker.client.cookies.get("instore_play")
    victim = site.shopper()
    victim.client.cookies.update(attacker.client.cookies)
    victim.sign_in(VICTIM)
    assert victim.client.cookies.get("instore_play") != planted
    assert attacker.client.get("/play/?format=json").json() == {"step": "phone"}
    # the attacker's own form token still posts, but only as a visitor with no phone
    page = attacker.client.post("/play/", data={"csrf": attacker.csrf(), "code": "HV-0000"})
    assert 'name="phone"' in page.text and 'name="code"' not in page.text
    assert VICTIM[-4:] not in page.text


@SQLITE
def test_a_status_link_from_another_site_neither_texts_nor_signs_the_visitor_in(
    site: Site,
) -> None:
    """Login CSRF: the attacker sends a victim's browser to the status page of the attacker's
    own claim, with the password the attacker received; the victim would then enter their codes
    under the attacker's phone."""
    number = _filed(site, ATTACKER)
    texts = len(site.otps(ATTACKER))
    victim = site.shopper()
    victim.open()
    page = victim.client.get(f"/play/status?claim={number}", headers=CROSS_SITE)
    assert page.status_code == 200 and len(site.otps(ATTACKER)) == texts  # nothing sent
    assert f'value="{number}"' in page.text  # the number is in the form, for the visitor to send

    attacker = site.shopper()
    attacker.open("/play/status")
    attacker.post("/play/status", claim=number)
    code = last_password(sms_folder(site.world), ATTACKER)
    page = victim.client.get(f"/play/status?claim={number}&otp={code}", headers=CROSS_SITE)
    assert "Received" not in page.text
    assert victim.client.get("/play/?format=json").json()["step"] == "phone"
    # the same link opened by its owner (typed, or from the SMS: no other site) works
    page = attacker.client.get(f"/play/status?claim={number}&otp={code}")
    assert "Received" in page.text


# -- claim numbers, one-time passwords, texts --------------------------------------------------


def _status_answers(site: Site, number: str, address: str) -> list[object]:
    """Everything a stranger sees when asking for `number`'s status: two asks, the visit's own
    page, six wrong passwords; the number itself written N."""
    stranger = site.shopper(address)
    stranger.open("/play/status")
    token = stranger.csrf()
    seen: list[object] = []

    def note(page: requests.Response) -> None:
        seen.append((page.status_code, page.headers.get("Retry-After"),
                     page.text.replace(number, "N")))  # fmt: skip

    for _ in range(2):
        note(
            stranger.client.post("/play/status?format=json", data={"csrf": token, "claim": number})
        )
    note(stranger.client.get("/play/?format=json"))
    sent = site.otps(PHONE)
    wrong = "111111" if "111111" not in sent[-1] else "222222"
    for _ in range(6):
        note(stranger.client.post(
            "/play/status?format=json", data={"csrf": token, "claim": number, "otp": wrong}
        ))  # fmt: skip
    return seen


@SQLITE
def test_a_claim_number_real_or_made_up_gets_the_same_answers(site: Site) -> None:
    number = _filed(site, PHONE)
    real = _status_answers(site, number, "198.51.100.1")
    assert _status_answers(site, "CL-ZZZZZZZZ", "198.51.100.2") == real
    assert not any("3210" in str(answer) for answer in real)  # no part of the phone either


@SQLITE
def test_a_claim_number_typed_sloppily_still_reaches_its_phone(site: Site) -> None:
    number = _filed(site, PHONE)
    owner = site.shopper()  # another browser, later
    owner.open("/play/status")
    owner.post("/play/status", claim=f" {number[3:].lower()[:4]} {number[3:].lower()[4:]} ")
    owner.post("/play/status", claim=owner.carried()["claim"], otp=last_password(
        sms_folder(site.world), PHONE))  # fmt: skip
    assert "Received" in owner.html


@SQLITE
def test_texts_to_a_claims_phone_through_its_status_page_stay_within_the_phones_limit(
    site: Site, clock: Clock
) -> None:
    """SMS bombing: whoever knows a claim number asks its status again and again, each time from
    another address; the phone's own limit (5 an hour, all purposes) bounds what it receives."""
    number = _filed(site, PHONE)  # one password already
    for minute in range(15):
        clock.now += 61
        page = site.shopper(f"198.51.100.{minute}").open("/play/status", claim=number)
        assert page.status_code == 200  # a held phone answers as any other number
    assert len(site.otps(PHONE)) == otp.PER_PHONE.most


@SQLITE
def test_passwords_guessed_across_purposes_and_addresses_get_five_tries_each(
    site: Site, clock: Clock
) -> None:
    """A new password every minute for someone else's phone, for playing, claiming and a claim's
    status in turn, each from another address, and six guesses at each."""
    number = _filed(site, VICTIM)
    asks = [("/play/", {}), ("/play/claim", {}), ("/play/status", {"claim": number})]
    for minute in range(12):
        clock.now += 61
        attacker = site.shopper(f"203.0.113.{minute}")
        path, carried = asks[minute % 3]
        attacker.open(path)
        attacker.post(path, **(carried or {"phone": VICTIM}))
        sent = site.otps(VICTIM)
        wrong = "111111" if "111111" not in sent[-1] else "222222"
        for _ in range(6):
            page = attacker.post(path, **carried, otp=wrong)
            assert page.status_code < 500, page.text
    with site.world.engine.connect() as conn:
        rows = conn.execute(select(otp_codes.c.tries).where(otp_codes.c.phone == VICTIM)).all()
    assert len(site.otps(VICTIM)) == len(rows) <= otp.PER_PHONE.most
    assert all(r.tries <= otp.MOST_TRIES for r in rows)  # at most 25 guesses compared an hour


# -- what is not yours ---------------------------------------------------------------------------


@SQLITE
def test_another_phones_wins_vouchers_and_claims_stay_theirs(site: Site) -> None:
    pool = site.world.tmp / "vouchers.csv"
    pool.write_text("voucher\nMUSIC-AAAA-0001\nMUSIC-AAAA-0002\n")
    vouchers.load(site.world.engine, site.world.campaign.id, "music", pool)
    victim = site.shopper().sign_in(VICTIM)
    music = site.world.code(serial_of_tier(site.world, "music"))
    victim.enter(music)
    assert "MUSIC-AAAA-000" in victim.html
    link = _gold_link(site, victim)
    victim.open(link)
    _claim(victim)
    number = re.search(r"CL-[0-9A-Z]{8}", victim.html).group(0)  # type: ignore[union-attr]

    attacker = site.shopper().sign_in(ATTACKER)
    theirs = attacker.client.get(link + "&format=json")
    made_up = attacker.client.get("/play/claim?event=web-0123456789abcdef&format=json")
    assert theirs.status_code == made_up.status_code == 404
    assert theirs.json()["error"] == made_up.json()["error"]
    assert attacker.client.get("/play/?format=json").json()["codes"] == []
    attacker.enter(music)  # someone else's code, typed in: taken, and no voucher
    assert "MUSIC-AAAA" not in attacker.html and "already" in attacker.html
    again = ("invoice.jpg", _photo(9), "image/jpeg")
    for claim in (number, "CL-ZZZZZZZZ"):
        page = attacker.client.post("/play/claim", data={"csrf": attacker.csrf(), "resubmit": claim},
                                    files={"invoice": again})  # fmt: skip
        assert page.status_code == 404, page.text
    page = attacker.client.get(f"/play/status?claim={number}&otp=123456")
    assert "Received" not in page.text and "MUSIC" not in page.text


@SQLITE
def test_json_pages_never_carry_the_forms_token(site: Site) -> None:
    shopper = site.shopper().sign_in(PHONE)
    token = shopper.csrf()
    for path in ("/play/?format=json", "/play/claim?format=json", "/play/status?format=json"):
        page = shopper.client.get(path)
        assert token not in page.text and "csrf" not in json.loads(page.text)


# -- a kiosk's claim QR --------------------------------------------------------------------------


def _kiosk(site: Site, name: str) -> tuple[object, str, bytes]:
    kiosk = site.world.device("s1", name)
    kiosk.sync()
    with site.world.engine.connect() as conn:
        row = conn.execute(
            select(devices.c.id, devices.c.secret).where(devices.c.name == name)
        ).one()
    return kiosk, row.id, bytes.fromhex(row.secret)


@SQLITE
def test_a_forged_or_stale_claim_qr_finds_no_win(site: Site) -> None:
    kiosk, device, secret = _kiosk(site, "Kiosk 1")
    world = site.world
    gold = [world.code(serial_of_tier(world, "gold", n)) for n in (0, 1)]
    music = world.code(serial_of_tier(world, "music"))
    ids = [str(kiosk.terminal.redeem(code).event_id) for code in (*gold, music)]  # type: ignore[attr-defined]
    kiosk.sync()  # type: ignore[attr-defined]
    _, other_device, _ = _kiosk(site, "Kiosk 2")

    def opened(link: str) -> requests.Response:
        return site.shopper().open(link)

    good = claim_url("", secret, gold[0], ids[0], device)
    assert opened(good).status_code == 200 and "Gold coin" in opened(good).text
    query = dict(p.split("=", 1) for p in urlsplit(good).query.split("&"))
    for changed in ({"code": quote(gold[1])}, {"event": ids[1]}, {"device": other_device},
                    {"mac": query["mac"][:-1] + ("0" if query["mac"][-1] != "0" else "1")}):  # fmt: skip
        forged = "/play/claim?" + "&".join(f"{k}={v}" for k, v in {**query, **changed}.items())
        page = opened(forged)
        assert page.status_code == 404 and "cannot find this win" in page.text, changed
    # signed with the device's own secret (a stolen tablet): another code's event, an instant prize
    page = opened(claim_url("", secret, gold[0], ids[1], device))
    assert page.status_code == 404
    page = opened(claim_url("", secret, music, ids[2], device))
    assert page.status_code == 409 and "nothing to claim" in page.text

    # a revoked device's secret names no win its server never received
    thief, stolen, stolen_secret = _kiosk(site, "Kiosk 3")
    late = world.code(serial_of_tier(world, "gold", 2))
    unsynced = str(thief.terminal.redeem(late).event_id)  # type: ignore[attr-defined]
    revoke_device(world.engine, stolen)
    page = opened(claim_url("", stolen_secret, late, unsynced, stolen))
    assert page.status_code == 404 and "cannot find this win" in page.text
    page = opened(claim_url("", stolen_secret, late, "made-up-event", stolen))
    assert page.status_code == 404


# -- guessing codes ------------------------------------------------------------------------------


@SQLITE
def test_codes_that_are_not_ours_hold_the_phone_after_twenty(site: Site) -> None:
    guesser = site.shopper().sign_in(ATTACKER)
    for n in range(20):
        assert guesser.enter(f"HV-{n:04d}-AAAA-BBBB-CCCC-D").status_code == 200
    page = guesser.enter("HV-9999-AAAA-BBBB-CCCC-D")
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 3000
    # a genuine code still counts for a held phone: the limit costs guessers, not shoppers
    genuine = site.world.code(serial_of_tier(site.world, "sticker"))
    assert "You won" in guesser.enter(genuine).text
    # another phone from the same address is not held by it
    other = site.shopper().sign_in(PHONE)
    assert other.enter("HV-9999-AAAA-BBBB-CCCC-D").status_code == 200


# -- odd input ------------------------------------------------------------------------------------

ODD = [
    "a\x00b",
    "\ud800x",
    "x" * 10_000,
    "\u202e\ufeff",
    "\uff11\uff12\uff13\uff14\uff15\uff16",  # full-width digits
    "<b>x</b>\r\nSet-Cookie: a=1",
]


def _q(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"))


def _answered(page: requests.Response, what: object) -> None:
    """A clear answer: no 5xx, no traceback, and a refusal names its error."""
    assert page.status_code < 500, (what, page.status_code, page.text[:300])
    assert "Traceback" not in page.text and "Set-Cookie: a" not in str(page.headers)
    if page.status_code >= 400:
        assert ERROR.search(page.text) or '"error"' in page.text, (what, page.text[:300])


def test_odd_input_in_every_field_is_answered_in_words(site: Site) -> None:
    shopper = site.shopper().sign_in(PHONE)
    link = _gold_link(site, shopper)
    shopper.open(link)
    carried = shopper.carried()
    pending = site.shopper()
    pending.open()
    pending.post(phone=ATTACKER)
    files = [("invoice", ("i.jpg", _photo(1), "image/jpeg")),
             ("id_front", ("f.jpg", _photo(2), "image/jpeg")),
             ("id_back", ("b.pdf", PDF, "application/pdf"))]  # fmt: skip
    form = {"content-type": "application/x-www-form-urlencoded"}
    details = {"name": "Asha Rao", "address": "12 MG Road", "id_type": "aadhaar",
               "id_number": "1234", "consent": "on"}  # fmt: skip
    for value in ODD:
        v = _q(value)
        for path in ("/play/", "/play/claim", "/play/status"):
            for name in ("lang", "format", "claim", "otp", "event", "code", "device", "mac"):
                _answered(shopper.client.get(f"{path}?{name}={v}&mac=1"), (path, name, value))
        for who, name in ((site.shopper(), "phone"), (pending, "otp"), (shopper, "code")):
            who.open()
            body = f"csrf={who.csrf()}&{name}={v}"
            _answered(who.client.post(f"/play/?lang={v}", data=body, headers=form), (name, value))
        shopper.open("/play/status")
        body = f"csrf={shopper.csrf()}&claim={v}&otp={v}"
        page = shopper.client.post("/play/status", data=body, headers=form)
        _answered(page, ("status", value))
        if value in ODD[4:]:  # readable text: a name in full-width digits is still a name
            continue
        for name in (*details, "email", "invoice_number", "event", "resubmit"):
            fields = {"csrf": shopper.csrf(), **carried, **details, name: value}
            parts: list[tuple[str, Any]] = [
                (k, (None, f.encode("utf-8", "surrogatepass"))) for k, f in fields.items()
            ]
            page = shopper.client.post(link, files=parts + files)
            _answered(page, ("claim", name, value))
            if name != "event":
                assert page.status_code in (404, 409, 422), (name, value, page.status_code)
    assert _claims(site) == 0  # nothing odd was filed


@SQLITE
def test_html_typed_into_a_form_comes_back_as_text(site: Site) -> None:
    shopper = site.shopper().sign_in(PHONE)
    shopper.enter('<img src=x onerror="alert(1)">')
    assert "<img src=x" not in shopper.html and "&lt;img src=x" in shopper.html
    shopper.open(_gold_link(site, shopper))
    _claim(shopper, name="<script>alert(1)</script>", consent="")
    assert shopper.page is not None and shopper.page.status_code == 422
    assert "<script>alert" not in shopper.html and "&lt;script&gt;alert(1)" in shopper.html
    page = shopper.client.get("/play/?lang=en%0d%0aSet-Cookie:%20evil=1")
    assert "evil" not in str(page.headers) and "instore_play_lang" not in str(page.headers)


@SQLITE
def test_invisible_characters_are_no_name_or_address(site: Site) -> None:
    """A right-to-left override turns what a verifier reads around; a field of nothing but
    invisible characters is an empty one. Hindi's joiners (ZWJ, ZWNJ) are letters' business."""
    shopper = site.shopper().sign_in(PHONE)
    shopper.open(_gold_link(site, shopper))
    for field, value in (("name", "\u202eoaR ahsA"), ("address", "\u200b\ufeff"),
                         ("id_number", "1234\u2066")):  # fmt: skip
        _claim(shopper, **{field: value})
        assert shopper.page is not None and shopper.page.status_code == 422, (field, shopper.html)
    _claim(shopper, name="क्\u200dष रा\u200cव")
    assert re.search(r"CL-[0-9A-Z]{8}", shopper.html), shopper.html


# -- abusive requests -----------------------------------------------------------------------------


def _raw(base: str, request: bytes) -> bytes:
    """One request on its own connection, closed after the answer."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return answer


def _multipart(body: bytes, length: bool = True) -> bytes:
    head = b"POST /play/claim HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n"
    head += b"Content-Type: multipart/form-data; boundary=b\r\n"
    if length:
        return head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    return head + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"


@SQLITE
def test_abusive_multipart_bodies_are_refused_with_a_code(site: Site) -> None:
    field = b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n'
    upload = b'--b\r\nContent-Disposition: form-data; name="f%d"; filename="a.jpg"\r\n\r\nx\r\n'
    cases = {
        "many fields": b"".join(field % i for i in range(5000)) + b"--b--\r\n",
        "many files": b"".join(upload % i for i in range(50)) + b"--b--\r\n",
        "a 3 MB field": b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
        + b"x" * (3 * 1024 * 1024) + b"\r\n--b--\r\n",
        "not multipart": b"no boundary anywhere",
    }  # fmt: skip
    for what, body in cases.items():
        answer = _raw(site.base, _multipart(body))
        head = answer.split(b"\r\n", 1)[0]
        assert head.startswith(b"HTTP/1.1 4") and b"error" in answer, (what, answer[:300])
    answer = _raw(site.base, _multipart(b"--b--\r\n", length=False))
    assert answer.startswith(b"HTTP/1.1 411") and b"length_required" in answer


@contextmanager
def _trickling(base: str, count: int) -> Iterator[None]:
    """`count` uploads that send their headers and a little of their body, then nothing."""
    parts = urlsplit(base)
    slow = []
    for _ in range(count):
        s = socket.create_connection((parts.hostname, parts.port))
        s.sendall(b"POST /play/claim HTTP/1.1\r\nHost: shop\r\nContent-Length: 9000000\r\n"
                  b"Content-Type: multipart/form-data; boundary=b\r\n\r\n--b\r\nContent-Disposition:"
                  b' form-data; name="invoice"; filename="a.jpg"\r\n\r\n\xff\xd8')  # fmt: skip
        slow.append(s)
    try:
        yield
    finally:
        for s in slow:
            s.close()


class _Seen(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@SQLITE
def test_slow_uploads_keep_no_one_else_from_claiming(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claim_form, "UPLOAD_WAIT_S", 2.0)  # the wait a busy server allows
    seen = _Seen()
    logging.getLogger("uvicorn.error").addHandler(seen)
    try:
        shopper = site.shopper().sign_in(PHONE)
        shopper.open(_gold_link(site, shopper))
        with _trickling(site.base, claim_form.UPLOADS_AT_ONCE + 2):
            time.sleep(0.3)
            began = time.monotonic()
            _claim(shopper)
            assert re.search(r"CL-[0-9A-Z]{8}", shopper.html), shopper.html
            assert time.monotonic() - began < 2.0
        time.sleep(0.3)  # the slow ones have gone: nothing of theirs is a server fault
    finally:
        logging.getLogger("uvicorn.error").removeHandler(seen)
    assert not seen.records, [r.getMessage() for r in seen.records]


@SQLITE
def test_a_hundred_requests_at_once_are_each_answered(site: Site) -> None:
    shopper = site.shopper().sign_in(PHONE)
    link = _gold_link(site, shopper)
    shopper.open(link)
    fields = {"csrf": shopper.csrf(), **shopper.carried(), "name": "Asha Rao",
              "address": "12 MG Road", "id_type": "aadhaar", "id_number": "1234", "consent": "on"}  # fmt: skip
    files = {"invoice": ("i.jpg", _photo(1), "image/jpeg"),
             "id_front": ("f.jpg", _photo(2), "image/jpeg"), "id_back": ("b.pdf", PDF, "application/pdf")}  # fmt: skip
    cookies = dict(shopper.client.cookies)

    def visit(n: int) -> int:
        return requests.get(site.base + ("/play/", "/play/claim")[n % 2], timeout=30).status_code

    def claim(n: int) -> tuple[int, str]:
        page = requests.post(
            site.base + link, data=fields, files=files, cookies=cookies, timeout=60
        )
        found = re.search(r"CL-[0-9A-Z]{8}", page.text)
        return page.status_code, found.group(0) if found else ""

    barrier = threading.Barrier(2)

    def visits() -> list[int]:
        with ThreadPoolExecutor(100) as pool:
            barrier.wait()
            return list(pool.map(visit, range(100)))

    def claims() -> list[tuple[int, str]]:
        with ThreadPoolExecutor(100) as pool:
            barrier.wait()
            return list(pool.map(claim, range(100)))

    with ThreadPoolExecutor(2) as both:
        pages, filings = both.submit(visits), both.submit(claims)
        visited, filed = pages.result(), filings.result()
    assert visited == [200] * 100
    statuses = sorted(status for status, _ in filed)
    assert statuses == [200] + [409] * 99, statuses  # one claim; the rest told it is filed
    assert len({number for _, number in filed}) == 1 and _claims(site) == 1
    assert requests.get(site.base + "/v1/health", timeout=5).status_code == 200


@SQLITE
def test_a_flood_of_first_visits_writes_nothing(site: Site) -> None:
    """A visit is stored only once a password is sent (which is limited): pages opened by the
    thousand without a cookie cost the database no write, so they never queue the tills."""
    for _ in range(40):
        page = site.shopper().open()
        assert 'name="phone"' in page.text
    with site.world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(play_sessions)).scalar_one() == 0
    site.shopper().sign_in(PHONE)
    with site.world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(play_sessions)).scalar_one() == 1
