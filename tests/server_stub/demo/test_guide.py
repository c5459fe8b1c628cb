"""What the demo says to try: the same list with a display or without, the kiosk's window named
only where there is no display to open it on."""

from __future__ import annotations

from pathlib import Path

from server_stub.demo import guide
from server_stub.demo.setup import Demo

CODES = {"gold": ["HV-G1", "HV-G2", "HV-G3"], "silver": ["HV-S1", "HV-S2", "HV-S3"],
         "music": ["HV-M1", "HV-M2"]}  # fmt: skip


def test_with_a_display_the_list_leaves_out_the_window_and_keeps_the_rest(tmp_path: Path) -> None:
    demo = Demo(tmp_path / "demo", 9000, 9001)
    headless = guide.things_to_try(demo, CODES, "make demo", window=True)
    shown = guide.things_to_try(demo, CODES, "make demo", window=False)
    assert shown == headless[:-1]
    assert "on a computer with one, make demo opens the North kiosk's window" in headless[-1]
    # the code before the last of each prize: the day takes the first, the camera the last
    assert "these are unused: gold HV-G2, silver HV-S2, music HV-M1." in shown[1]
    assert "http://127.0.0.1:9000/play/" in shown[1]
    assert "http://127.0.0.1:9000/dashboard/demo-phone" in shown[2]
    assert not any("kiosk's window" in line for line in shown)
