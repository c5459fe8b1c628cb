"""Running the kiosk: the ledger online-first with its sync, the camera, the window, and a clean
stop on Ctrl-C or when the window closes (sync stopped, camera released, ledger closed).

Kivy reads its settings when first imported, so this module imports it only inside `run`.
"""

from __future__ import annotations

import os
import signal
import time
from types import FrameType
from typing import Any

from kiosk import service
from kiosk.display import display_size, fit
from kiosk.flow import Flow
from kiosk.frames import FrameReader, source_for
from kiosk.i18n import Text
from kiosk.settings import KioskSettings
from sync.cycle import CycleReport
from sync.online import OnlineDevice

SYNC_NOW_TIMEOUT_S = 60.0


def sync_words(report: CycleReport | None) -> Text:
    """What the manager reads after "sync now", in the kiosk's language."""
    if report is None:
        return Text.of("manager.sync_timeout")
    if report.skipped:
        return Text.of("manager.sync_busy")
    if not report.ok:
        return Text.of("manager.sync_failed", error=report.error or "the server did not answer")
    sent = sum(report.pushed.values())
    got = sum(report.pulled.values())
    return Text.of("manager.synced", seconds=f"{report.seconds:.1f}", sent=sent, got=got)


def syncer_for(device: OnlineDevice) -> Any:
    scheduler = device.scheduler
    if scheduler is None:
        return None

    def sync_now() -> Text:
        before = scheduler.cycles
        scheduler.poke(0)
        end = time.monotonic() + SYNC_NOW_TIMEOUT_S
        while scheduler.cycles == before and time.monotonic() < end:
            time.sleep(0.05)
        return sync_words(scheduler.last if scheduler.cycles > before else None)

    return sync_now


def configure_kivy(settings: KioskSettings) -> None:
    """Before Kivy is imported: its own argument parsing off, the window's size and mode."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # Kivy logs through `logging`, quietly
    # the design scaled to a window that fits the display (kiosk/display.py); a density the
    # person running it set is theirs
    fitted = fit(settings.size, display_size(), settings.fullscreen)
    from kivy.config import Config
    from kivy.metrics import Metrics

    width, height = fitted.size
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "fullscreen", "auto" if settings.fullscreen else "0")
    # touch screens through the kernel's input events; the default probe also tries libmtdev,
    # which a tablet image rarely has, and logs a traceback when it is missing
    for name, _value in Config.items("input"):
        Config.remove_option("input", name)
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("input", "touch", "probesysfs,provider=hidinput")
    Config.set("kivy", "exit_on_escape", "0")  # a shopper's Escape key must not close the kiosk
    # last: setting the density makes Kivy's window, with the configuration as it is by then
    # (set first, the window opened at Kivy's default 800x600 whatever the size asked)
    Metrics.density = float(os.environ.get("KIVY_METRICS_DENSITY") or fitted.density)


def tell_systemd(clock: Any) -> None:
    """Under systemd (`--install-service`): ready once the window is up, then a watchdog ping
    from the UI thread's clock, so a hung window is restarted as a crashed one is."""
    clock.schedule_once(lambda _dt: service.notify("READY=1"), 0)
    interval = service.watchdog_interval()
    if interval is not None:
        clock.schedule_interval(lambda _dt: service.notify("WATCHDOG=1"), interval)


def run(settings: KioskSettings) -> int:
    configure_kivy(settings)
    from kivy.clock import Clock

    from kiosk.app import KioskApp

    device = OnlineDevice(settings.db)
    reader: FrameReader | None = None
    try:
        flow = Flow(
            device.terminal, settings, after_operation=device.after_operation,
            before_operation=device.refresh, syncer=syncer_for(device),
        )  # fmt: skip
        source = source_for(settings.frames, settings.camera, settings.frame_interval_s)
        flow.camera_ok = source.available
        reader = FrameReader(source, flow.code_seen, settings.decoder, on_codes=flow.camera_saw)
        app = KioskApp(flow, settings.screenshots)

        def stop(_signum: int, _frame: FrameType | None) -> None:
            Clock.schedule_once(lambda _dt: app.stop(), 0)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        Clock.schedule_once(lambda _dt: reader.start(), 0.5)  # once the attract screen is up
        tell_systemd(Clock)
        app.run()
    finally:
        service.notify("STOPPING=1")
        if reader is not None:
            reader.stop()  # releases the camera
        device.close()  # stops the scheduler, closes the ledger
    return 0
