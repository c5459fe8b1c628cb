"""`instore kiosk --screenshots DIR` writes beside each picture a .txt of every text shown on that
screen, top to bottom: for tests and for a translator's review."""

from __future__ import annotations

from pathlib import Path

from kiosk.flow import Flow
from kiosk.i18n import Text, render
from kiosk.settings import KioskSettings
from tests.kiosk.conftest import StoreFactory
from tests.kiosk.ui import Ui


def test_each_screenshot_has_its_texts_beside_it(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store(name="texts")
    flow = Flow(store.open(), KioskSettings(db=store.path))
    ui = Ui(flow, screenshots=tmp_path)
    try:
        ui.wait(lambda: len(ui.app.shots) == 1)
        flow.set_language("kk")
        flow.open_typing()
        ui.wait(lambda: len(ui.app.shots) == 2)
    finally:
        ui.close()
    attract, typing = sorted(tmp_path.glob("*.png"))
    assert attract.name == "001-attract.png" and typing.name == "002-type.png"
    lines = attract.with_suffix(".txt").read_text(encoding="utf-8").splitlines()
    said = [render(Text.of(k), "en") for k in ("attract.title", "attract.type", "attract.points")]
    assert [lines.index(words) for words in said] == sorted(lines.index(w) for w in said)
    # the languages left to right, and under them the large-text button
    assert lines[-5:] == ["English", "हिन्दी", "Русский", "Қазақша", "Larger text"]
    assert not any("[" in line or "&bl;" in line for line in lines)  # no markup
    kazakh = typing.with_suffix(".txt").read_text(encoding="utf-8")
    assert render(Text.of("type.delete"), "kk") in kazakh
