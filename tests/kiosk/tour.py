"""Every screen of the kiosk, visited as a shopper and a manager would, with a picture of each.

Run in the test process (portrait, every language) and as `python -m tests.kiosk.tour WORK OUT`
in a process of its own whose window is another size (INSTORE_TEST_KIOSK_SIZE=1920x1080).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from kivy.metrics import dp

from codes import campaign as campaign_file
from codes.campaign import parse_tiers, with_claim_tiers
from codes.campaign_cipher import CampaignCipher
from kiosk.flow import Flow, Screen
from kiosk.i18n import LANGUAGES, Text, render
from kiosk.manager_lock import set_pin
from kiosk.settings import KioskSettings
from terminal.config import CatalogueItem, TerminalConfig
from terminal.provision import provision
from tests.kiosk.conftest import Clocks, scan
from tests.kiosk.ui import Ui
from tests.kiosk.wheel_fixture import hold, raw_labels, wheel
from tests.terminal.conftest import Store

# the cinema ticket and the mug are the example program's (docs/examples/program-content): the
# branded tour shows them in the shopper's language, with their pictures
CATALOGUE = (
    CatalogueItem("cap", "Cap", 50), CatalogueItem("tee", "T-shirt", 500),
    CatalogueItem("cinema-ticket", "Cinema ticket", 300), CatalogueItem("mug", "Coffee mug", 80),
)  # fmt: skip
# the tour's gold is a prize to claim, so its win shows the claim QR
TOUR_CONFIG = TerminalConfig(catalogue=CATALOGUE, play_url="https://play.example.com")
CITIES = ("Delhi", "Almaty", "Moscow")


def tour_flow(store: Store, clocks: Clocks) -> Flow:
    """The tour's kiosk: its manager's PIN, and a bonus wheel whose next outcomes are a prize
    (the member spins once in each language's tour)."""
    terminal = store.open()
    set_pin(terminal.ledger, "2468")
    hold(terminal, ["cap"] * 2 * len(LANGUAGES), per_day=len(LANGUAGES))
    settings = KioskSettings(db=store.path, cities=CITIES)
    return Flow(terminal, settings, clock=lambda: clocks.now)


def within_reach(ui: Ui, screen: Screen) -> None:
    """Targets of 48 dp and more, primary ones of 72; on a portrait tablet the controls a
    shopper uses sit in the lower two thirds (the manager's screen is not for shoppers)."""
    from kivy.core.window import Window  # made by tests.kiosk.ui, at the size it was given

    from kiosk.screens.common import PressedOnce

    buttons = [b for b in ui.widgets(PressedOnce)  # buttons, and a prize's card
               if b.opacity > 0 and b.get_root_window() is not None]  # fmt: skip
    assert buttons, screen
    for b in buttons:
        what = getattr(b, "text", "") or b.action
        assert min(b.width, b.height) >= dp(48) - 0.5, (screen, what)
        if getattr(b, "primary", False):
            assert b.height >= dp(72) - 0.5, (screen, what)
        if screen is not Screen.MANAGER and Window.height > Window.width:
            assert b.to_window(b.x, b.top)[1] <= Window.height * 2 / 3 + 1, (screen, what)


def overflowing(ui: Ui) -> list[str]:
    """The words on screen that do not fit: a label or button whose drawn text is wider or taller
    than the widget, that breaks a word across lines, that spills out of its layout, or that
    reaches past the window (one in a scrolled list may); and words drawn at another size than
    their label's (a size changed in large text that the texture missed)."""
    from kivy.core.window import Window
    from kivy.uix.label import Label
    from kivy.uix.layout import Layout
    from kivy.uix.scrollview import ScrollView

    from kiosk.screens.common import plain

    roots = [ui.screen] + ([ui.app._idle] if ui.app._idle.parent else [])
    bad = []
    for root in roots:
        for w in root.walk(restrict=True):
            if not isinstance(w, Label) or not w.text.strip() or w.get_root_window() is None:
                continue
            chain = [w]
            while chain[-1].parent is not None and chain[-1].parent is not chain[-1]:
                chain.append(chain[-1].parent)
            if any(up.opacity == 0 for up in chain):
                continue
            w.texture_update()  # the texture as the words and size are now
            tw, th = w.texture_size
            x, y = w.to_window(w.x, w.y)
            where = f"{ui.screen.name}: {' '.join(plain(w.text).split())[:60]!r}"
            drawn = w._label.options["font_size"]  # the size its texture was drawn at
            if abs(drawn - w.font_size) > 0.5:
                bad.append(f"{where} is drawn at {drawn:.1f}px, its size is {w.font_size:.1f}px")
            if tw > w.width + 1 or th > w.height + 1:
                bad.append(f"{where} needs {tw:.0f}x{th:.0f}, has {w.width:.0f}x{w.height:.0f}")
            broken = _broken_word(w, plain(w.text) if w.markup else w.text)
            if broken:
                bad.append(f"{where} breaks the word {broken!r}")
            torn = _torn_number(w)
            if torn:
                bad.append(f"{where} puts {torn!r} on two lines")
            box = w.parent  # a layout too small for its words lets them spill over its edges
            if isinstance(box, Layout) and not _inside(w, box):
                bad.append(
                    f"{where} spills out of its {type(box).__name__} by {_spill(w, box):.0f}"
                )
            scrolled = any(isinstance(up, ScrollView) for up in chain)
            right, top = x + w.width, y + w.height
            outside = min(x, y) < -1 or right > Window.width + 1 or top > Window.height + 1
            if outside and not scrolled:
                bad.append(f"{where} at {x:.0f},{y:.0f} {w.width:.0f}x{w.height:.0f} is off screen")
        bad += _uneven_rows(root)
    return bad


def _uneven_rows(root: Any) -> list[str]:
    """A row of choices whose buttons stand at different heights: one whose words take two lines
    (Kazakh's 'under 18' in large text) juts above the others."""
    from kiosk.screens.common import ButtonGrid

    bad = []
    for grid in root.walk(restrict=True):
        if not isinstance(grid, ButtonGrid) or not grid.cols or grid.get_root_window() is None:
            continue
        made = list(reversed(grid.children))
        for row in (made[i : i + grid.cols] for i in range(0, len(made), grid.cols)):
            if max(b.top for b in row) - min(b.top for b in row) > 1:
                bad.append(
                    f"{getattr(root, 'name', 'idle')}: the row {[b.text for b in row]} is not level"
                )
    return bad


def _inside(widget: Any, box: Any) -> bool:
    return bool(
        widget.x >= box.x - 1 and widget.y >= box.y - 1
        and widget.right <= box.right + 1 and widget.top <= box.top + 1
    )  # fmt: skip


def _broken_word(label: Any, words: str) -> str:
    """A word wider than the label's lines, which Kivy breaks in two ("Стерет / ь"); "" if none.
    Latin runs are measured in the Latin font, as i18n.markup draws them in Hindi."""
    from kivy.core.text import Label as CoreLabel

    from kiosk.i18n import font

    width = label.text_size[0]
    if not width:
        return ""  # one line, as wide as its words
    room = width - label.padding[0] - label.padding[2]
    for word in words.split():
        face = font("en", label.bold) if word.isascii() else label.font_name
        core = CoreLabel(text=word, font_size=label.font_size, font_name=face, bold=label.bold)
        if core.get_extents(word)[0] > room + 1:
            return word
    return ""


def _torn_number(label: Any) -> str:
    """A number whose month or percent sign Kivy wrapped onto the next line ("18 / декабря",
    "40 / %"): a date or a chance read in two halves. "" if none."""
    months = {render(Text.of(f"month.{m}"), lang) for lang in LANGUAGES for m in range(1, 13)}
    lines = ["".join(w.text for w in line.words) for line in label._label._cached_lines]
    for before, after in pairwise(lines):
        last, first = before.split()[-1:], after.split()[:1]
        if last and first and last[0].isdigit() and (first[0].strip(".,") in months | {"%"}):
            return f"{last[0]} / {first[0]}"
    return ""


def _spill(widget: Any, box: Any) -> float:
    return float(
        max(box.x - widget.x, box.y - widget.y, widget.right - box.right, widget.top - box.top)
    )


def tour(ui: Ui, store: Store, clocks: Clocks, lang: str, out: Path, large: bool = False) -> None:
    """Every screen in `lang`, a picture of each in `out` with its words beside it in a .txt (those
    of a run before go first, so a screen the tour no longer reaches is missed, not counted from
    last time). `large`: in the shopper's large-text mode, every word checked to fit its widget
    and the window."""
    for old in [*out.glob("*.png"), *out.glob("*.txt")]:
        old.unlink()
    flow = ui.flow
    serial = iter(range(100, 1000))

    def shot(name: str, expected: Screen, fits: bool = large) -> None:
        ui.wait(lambda: ui.screen.name == expected.value)
        assert flow.lang == lang
        ui.shot(out / f"{name}.png")
        within_reach(ui, expected)
        if fits:
            assert not overflowing(ui), overflowing(ui)

    def fresh() -> None:
        flow.start_over()
        flow.set_language(lang)
        if large:
            flow.toggle_large_text()

    fresh()
    shot("attract", Screen.ATTRACT)
    flow.open_typing()
    code = store.code(5).replace("-", "")
    for symbol in code[2:9]:
        flow.press(symbol)
    shot("type", Screen.TYPE)
    wrong = "0" if code[12] != "0" else "1"  # one slip in the third group
    for symbol in code[9:12] + wrong + code[13:]:
        flow.press(symbol)
    assert flow.entry.mistyped and flow.entry.suspect_group() == 3
    shot("type-typo", Screen.TYPE)
    flow.code_seen(store.code(store.serial_of_tier("gold", LANGUAGES.index(lang))))
    shot("details", Screen.DETAILS)
    for digit in "9876543210":
        flow.details.press(digit)
    flow.details.choose("age_band", "25_34")
    flow.details.toggle_consent()
    shot("details-filled", Screen.DETAILS)
    view = flow.details_done()
    assert view is not None and view.won and view.qr
    shot("result-win", Screen.RESULT)
    assert ui.screen.ids.qr.opacity == 1
    fresh()
    scan(flow, "HV-not-a-code")
    shot("result-refused", Screen.RESULT)
    flow.open_loyalty()
    for digit in "9876543210":
        flow.loyalty.press(digit)
    shot("loyalty-phone", Screen.LOYALTY)
    assert flow.loyalty.submit_phone()
    flow.loyalty.check_in()
    shot("loyalty-member", Screen.LOYALTY)
    flow.terminal.accrue(flow.loyalty.member or "", 1000.0, f"r-{lang}-{next(serial)}")
    flow.loyalty.refresh_balance()
    flow.loyalty.choose("cap")
    shot("loyalty-confirm", Screen.LOYALTY)
    _wheel(ui, lang, shot, out)
    fresh()
    flow.open_pin()
    flow.manager.pin_key("1")
    shot("pin", Screen.PIN)
    for digit in "4682468":  # 1468 is wrong: one try fewer; then the right one
        flow.manager.pin_key(digit)
        if len(flow.manager.pin_typed) == 4:
            flow.manager.pin_key("pin.enter")
    shot("manager", Screen.MANAGER)
    flow.open_typing()
    clocks.tick(65)
    flow.tick()
    ui.wait(lambda: ui.app._idle.parent is not None)
    ui.shot(out / "idle.png")
    if large:
        assert not overflowing(ui), overflowing(ui)
    clocks.tick(30)
    flow.tick()
    ui.wait(lambda: ui.screen.name == "attract" and ui.app._idle.parent is None)


def _wheel(ui: Ui, lang: str, shot: Callable[[str, Screen, bool], None], out: Path) -> None:
    """The member checked in spins: the rules with the wheel's real odds, then its prize. The
    words of both screens must fit in every tour (no clipped heading, no broken word), and name
    every outcome in words, never by its label as the wheel was set ("cap")."""
    from kiosk.screens import wheel as wheel_screen
    from kiosk.screens.common import texts_shown

    flow = ui.flow
    flow.open_wheel()
    shot("wheel-rules", Screen.WHEEL, True)
    said = " ".join(texts_shown([ui.screen]))
    outcomes = wheel("tour")["outcomes"]
    assert isinstance(outcomes, list)
    total = sum(o["weight"] for o in outcomes)
    for o in outcomes:  # the chances the server draws with, as this language writes them
        odds = render(Text.of("wheel.odds", odds=f"{100 * o['weight'] / total:g}"), lang)
        odds = " ".join(odds.split())  # as said: a no-break space read as a space
        assert odds in said, (lang, odds, said)
    assert ui.screen.ids.spin.parent is not None  # checked in: the spin is offered
    turning = wheel_screen.SPIN_S  # type: ignore[attr-defined]  # the same turn, shorter:
    wheel_screen.SPIN_S = 0.3  # type: ignore[attr-defined]
    try:
        ui.screen.ids.spin.dispatch("on_act")
        ui.wait(lambda: ui.screen.name == Screen.WHEEL_RESULT.value)
    finally:
        wheel_screen.SPIN_S = turning  # type: ignore[attr-defined]
    assert flow.wheel.result is not None and flow.wheel.result.outcome == "cap"
    shot("wheel-result", Screen.WHEEL_RESULT, True)
    labels = [str(o["label"]) for o in outcomes]
    for name in ("wheel-rules", "wheel-result"):  # as a translator reads them
        lines = (out / f"{name}.txt").read_text(encoding="utf-8").splitlines()
        assert not raw_labels(lines, labels, lang), (lang, name, raw_labels(lines, labels, lang))


def kiosk_store(folder: Path) -> Store:
    """A kiosk's ledger with a campaign that asks details, and a catalogue of prizes."""
    made = campaign_file.create(
        folder / "tour.toml", "ice-2026", "HV",
        with_claim_tiers(parse_tiers("gold:1/200,silver:1/20,music:*"), "gold"),
        capacity=2000, ask_details=True,
    )  # fmt: skip
    campaign = campaign_file.save(replace(made.campaign, issued=1000), folder / "tour.toml")
    path = folder / "tour.db"
    provision(path, [(campaign, made.key)], device_name="tour", store_id="store-1",
              config=TOUR_CONFIG)  # fmt: skip
    return Store(path, CampaignCipher.issuer(campaign))


if __name__ == "__main__":
    work, out = Path(sys.argv[1]), Path(sys.argv[2])
    store = kiosk_store(work)
    clocks = Clocks()
    ui = Ui(tour_flow(store, clocks))
    try:
        tour(ui, store, clocks, "en", out, large="large" in sys.argv[3:])
    finally:
        ui.close()
