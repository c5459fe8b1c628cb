"""The member's code at the till: the cashier's console and the POS bridge ask for it on a spend
above the program's threshold and on a new member's registration, against a real server on
loopback whose SMS go to the file gateway."""

from __future__ import annotations

import io
from pathlib import Path

import requests

from pos_plugin.bridge import Bridge
from pos_plugin.checkout import Till
from pos_plugin.console import CashierConsole
from pos_plugin.http_server import BridgeServer
from pos_plugin.token import bridge_token
from server_stub.catalog import enrollment
from server_stub.loyalty import members, program
from server_stub.notifications.sms import FileGateway
from sync.enroll import enroll
from sync.online import OnlineDevice
from tests.live import live_server
from tests.sync.test_member_codes import PHONE, code_for
from tests.world import World

NEW = "+77017654321"


def _program(world: World) -> Path:
    world.setup()
    folder = world.tmp / "sms"
    world.service.sms = FileGateway(folder)
    with world.engine.begin() as conn:
        program.set_program(conn, otp_above=500)
        members.register(conn, PHONE, via="centre", now=0.0)
    return folder


def test_the_console_asks_for_the_code_and_says_when_it_is_wrong(world: World) -> None:
    sms = _program(world)
    enrolled = world.device("s1", "Till A")
    device = OnlineDevice(enrolled.path, background=False, transport=world.transport)
    till = Till(device.terminal, device=device)
    out = io.StringIO()
    console = CashierConsole(till, stdin=io.StringIO(""), stdout=out)

    def say(line: str) -> str:
        start = out.tell()
        console.onecmd(line)
        return out.getvalue()[start:]

    try:
        till.terminal.accrue(PHONE, 10_000.0, "R-1")
        till.terminal.accrue(PHONE, 10_000.0, "R-2")
        assert "2,000 points" in say("member " + PHONE)
        asked = say("spend 800 tv")
        assert asked.startswith("!! A code was sent to the phone ending 4567")
        right = code_for(sms, PHONE)
        assert "ask for another in" in say("resend")  # a minute between codes
        wrong = f"{(int(right) + 1) % 10**6:06d}"
        assert "Wrong code, 4 tries left" in say(f"code {wrong}")
        assert "800 points spent" in say(f"code {right}")
        assert "No spend or registration is waiting" in say(f"code {right}")
        joined = say(f"join {NEW}")
        assert "ending 4321" in joined
        assert "is a member now" in say(f"code {code_for(sms, NEW)}")
        assert "member " + NEW in say("basket")
        world.transport.down = True
        say("member " + PHONE)
        offline = say("spend 600 radio")
        assert "This spend needs the member's code; the till is offline." in offline
    finally:
        till.close()


def test_the_bridge_carries_the_code_over_http(world: World) -> None:
    sms = _program(world)
    with live_server(world.engine, world.service) as url:
        made = enrollment.enroll_device(world.engine, "s1", "Till A")
        path = world.tmp / "till.db"
        enroll(path, url, made["token"])
        till = Till.open(path, sync=False)
        server = BridgeServer(Bridge(till))
        server.start()
        headers = {"Authorization": f"Bearer {bridge_token(till.terminal.ledger)}"}

        def post(route: str, body: dict[str, object]) -> dict[str, object]:
            answer = requests.post(server.url + route, json=body, headers=headers, timeout=20)
            assert answer.status_code == 200, answer.text
            data: dict[str, object] = answer.json()
            return data

        try:
            asked = post("/v1/register", {"phone": NEW, "lang": "ru"})
            assert asked["status"] == "needs_code" and asked["sent_to"] == "4321"
            again = post("/v1/code", {"member": NEW, "purpose": "register"})
            assert again["status"] == "code_wait"
            wrong = post("/v1/register", {"phone": NEW, "code": "12"})
            assert wrong["status"] == "wrong_code"
            joined = post("/v1/register", {"phone": NEW, "code": code_for(sms, NEW)})
            assert joined["status"] == "registered" and joined["member"] == NEW
            assert post("/v1/register", {"phone": NEW})["status"] == "member_found"
            till.terminal.accrue(PHONE, 10_000.0, "R-1")
            till.terminal.accrue(PHONE, 10_000.0, "R-2")
            spend = {"member": PHONE, "points": 800, "item": "tv"}
            assert post("/v1/spend", spend)["status"] == "needs_code"
            right = code_for(sms, PHONE)
            done = post("/v1/spend", {**spend, "code": right})
            assert done["status"] == "accepted_online" and done["points"] == -800
            used = post("/v1/spend", {**spend, "code": right})  # a code works once
            assert used["status"] == "wrong_code" and "used already" in str(used["message"])
        finally:
            server.shutdown()
            server.server_close()
            till.close()
