"""The kiosk asks for the code texted to the shopper's phone: for a prize above the program's
threshold, and when a new phone joins. The controller without a window against the server
in-process (SMS to the file gateway), then the screen itself, with a picture of it."""

from __future__ import annotations

import os
import time
from pathlib import Path

from kiosk.flow import Flow
from kiosk.i18n import LANGUAGES, render
from kiosk.settings import KioskSettings
from server_stub.catalog import prize_catalogue
from server_stub.loyalty import members, program
from server_stub.notifications.sms import FileGateway
from tests.sync.test_member_codes import PHONE, code_for
from tests.world import World

NEW = "+77017654321"


def _kiosk(world: World, lang: str = "en") -> tuple[Flow, Path]:
    world.setup()
    sms = world.tmp / "sms"
    world.service.sms = FileGateway(sms)
    with world.engine.begin() as conn:
        program.set_program(conn, otp_above=500)
        members.register(conn, PHONE, via="centre", now=0.0)
    prize_catalogue.put_item(world.engine, "tv", "Television", 800)
    prize_catalogue.put_item(world.engine, "mug", "Mug", 100)
    kiosk = world.device("s1", "Kiosk", online=True)
    kiosk.terminal.accrue(PHONE, 10_000.0, "R-1")
    flow = Flow(kiosk.terminal, KioskSettings(db=kiosk.path, country="KZ", lang=lang))
    flow.open_loyalty()
    return flow, sms


def _type(flow: Flow, digits: str) -> None:
    for d in digits:
        flow.loyalty.code_key(d)


def test_a_prize_above_the_threshold_asks_for_the_code(world: World) -> None:
    flow, sms = _kiosk(world)
    desk = flow.loyalty
    desk.phone = "87011234567"
    assert desk.submit_phone() and desk.member == PHONE and desk.balance == 1000
    desk.choose("tv")
    desk.confirm()
    assert desk.code_for == "spend" and desk.message is not None
    assert render(desk.message, "en") == "We sent a code to your phone ending 4567. Type it here."
    right = code_for(sms, PHONE)
    desk.resend()
    assert render(desk.message, "en").startswith("A code was sent a moment ago")
    _type(flow, f"{(int(right) + 1) % 10**6:06d}")
    desk.submit_code()
    assert desk.code_for == "spend" and desk.code == ""  # still asked, typed afresh
    assert render(desk.message, "ru").startswith("Код неверный.")
    _type(flow, right + "99")  # a seventh digit is not taken
    assert desk.code == right
    desk.code_key("type.delete")
    desk.code_key(right[-1])
    desk.submit_code()
    assert desk.code_for is None and desk.tone == "good" and desk.balance == 200
    desk.choose("mug")
    desk.confirm()  # below the threshold: no code
    assert desk.code_for is None and desk.balance == 100


def test_offline_a_large_prize_waits_for_the_network(world: World) -> None:
    flow, sms = _kiosk(world)
    desk = flow.loyalty
    desk.phone = PHONE
    desk.submit_phone()
    world.transport.down = True
    assert not list(sms.glob("*.json"))
    desk.choose("tv")
    desk.confirm()
    assert desk.code_for is None and desk.message is not None
    assert "offline" in render(desk.message, "en") and desk.balance == 1000


def test_a_new_phone_joins_with_the_code(world: World) -> None:
    flow, sms = _kiosk(world, lang="kk")
    desk = flow.loyalty
    desk.phone = "87017654321"
    assert not desk.submit_phone()
    assert desk.code_for == "register" and desk.member is None
    _type(flow, code_for(sms, NEW))
    desk.submit_code()
    assert desk.member == NEW and desk.message is not None
    assert render(desk.message, "kk") == "Қош келдіңіз! Енді сіз бағдарлама қатысушысысыз."
    with world.engine.connect() as conn:
        joined = members.find(conn, NEW)
    assert joined is not None and joined.registered_via == "kiosk" and joined.lang == "kk"


def test_the_code_screen_in_every_language(world: World, tmp_path: Path) -> None:
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    from kiosk.screens.common import DEBOUNCE_S
    from tests.kiosk.ui import Ui

    flow, sms = _kiosk(world)
    desk = flow.loyalty
    desk.phone = PHONE
    desk.submit_phone()
    ui = Ui(flow)
    try:
        ui.wait(lambda: ui.screen.name == "loyalty")
        desk.choose("tv")
        ui.spin()
        ui.tap(ui.button(text="Yes"))
        ui.wait(lambda: desk.code_for == "spend")
        typed = code_for(sms, PHONE)[:3]
        for i, digit in enumerate(typed):
            if i and digit == typed[i - 1]:
                time.sleep(DEBOUNCE_S)  # the same key again, at a person's pace (not a bounce)
            ui.tap(ui.key(digit))
        assert desk.code == code_for(sms, PHONE)[:3]
        for lang in LANGUAGES:
            flow.set_language(lang)
            ui.spin()
            texts = " ".join(w.text for w in ui.screen.walk() if hasattr(w, "text"))
            assert "{" not in texts
            ui.shot(tmp_path / f"member-code-{lang}.png")
        flow.set_language("en")
        ui.spin()
        ui.tap(ui.button(text="Cancel"))
        assert desk.code_for is None
    finally:
        ui.close()
