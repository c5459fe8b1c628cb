"""The kiosk's flow without a window: which screen shows what, and what a shopper's act does.

Screens call these methods and draw what they read back; the Kivy app only forwards touches,
keys and decoded frames here. The rules about codes are the terminal's (`terminal.Terminal`):
the flow adds the shopper's side of them. A pack held to the camera is seen in many frames, so the
same code again within `same_code_window_s` of its last sighting shows its result again and is
never redeemed twice; an idle session is wiped after a prompt. After Done, a pack still in front
of the camera is ignored until it has left the view (`camera_saw`), so its result does not come
back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

from codes import crockford
from kiosk.brand import Brand
from kiosk.code_entry import CodeEntry
from kiosk.details_desk import DetailsDesk
from kiosk.i18n import LANGUAGES, Text
from kiosk.loyalty_desk import LoyaltyDesk
from kiosk.manager_desk import ManagerDesk, Syncer
from kiosk.manager_lock import ManagerLock
from kiosk.result_view import ResultView, view_of
from kiosk.settings import KioskSettings
from kiosk.wheel_desk import WheelDesk
from terminal.engine import Terminal
from terminal.results import Status


class Screen(StrEnum):
    ATTRACT = "attract"
    TYPE = "type"
    RESULT = "result"
    DETAILS = "details"
    LOYALTY = "loyalty"
    PIN = "pin"
    MANAGER = "manager"
    WHEEL = "wheel"  # the bonus wheel: its rules, then the spin
    WHEEL_RESULT = "wheel_result"


Listener = Callable[[], None]


class Flow:
    """One kiosk's state. Thread-safe: decoded frames arrive from a worker thread."""

    def __init__(
        self, terminal: Terminal, settings: KioskSettings,
        clock: Callable[[], float] = time.monotonic,
        after_operation: Callable[[], None] | None = None,
        before_operation: Callable[[], None] | None = None, syncer: Syncer | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.terminal = terminal
        self.settings = settings
        self.clock = clock
        self.after_operation = after_operation
        self.before_operation = before_operation
        self.lang = settings.lang
        # the shopper's large-text mode: like the language, theirs for the session only
        self.large_text = False
        self.screen = Screen.ATTRACT
        self.result: ResultView | None = None
        self.entry = CodeEntry(terminal.checker)
        self.came_from = Screen.ATTRACT
        self.idle_left: float | None = None  # seconds on the "still there?" prompt, or None
        self.redemptions = 0  # how many codes this kiosk redeemed since it started
        self._recent: dict[str, tuple[float, ResultView]] = {}
        self._held: dict[str, float] = {}  # codes the camera must lose first: last sighting
        self._touched = clock()
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self.camera_ok = True  # the app says when there is no camera
        # the campaigns' and the program's words and look
        self.brand = Brand(terminal.ledger, terminal.campaigns, lambda: terminal.config.catalogue)
        self.details = DetailsDesk(settings.country, settings.cities, self._changed)
        self.loyalty = LoyaltyDesk(
            terminal, settings.country, settings.actor, self._changed, self._recorded,
            lambda: self.lang, self.brand.catalogue_prize, self.brand.catalogue_picture,
        )  # fmt: skip
        self.wheel = WheelDesk(
            terminal, self.loyalty, settings.actor, self._changed, self._recorded,
            lambda: self.online, self.brand.wheel_outcome, self.brand.picture_file,
        )  # fmt: skip
        lock = ManagerLock(terminal.ledger, settings.pin_attempts, settings.pin_lock_s, wall_clock)
        self.manager = ManagerDesk(
            terminal, lock, syncer, self._changed, lambda: self._go(Screen.MANAGER)
        )

    @property
    def campaign_name(self) -> str:
        """In the shopper's language, as the brand wrote it (the campaign file's name without)."""
        return self.brand.campaign_name(self.lang)

    @property
    def online(self) -> bool:
        return bool(self.terminal.ledger.setting("online", False))

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    # -- codes -------------------------------------------------------------------------------

    def code_seen(self, text: str) -> ResultView | None:
        """A code from the camera or the scanner, on any screen: straight to its result (or to
        the details its campaign asks first). On the loyalty screen a member card names the
        member. None when nothing is redeemed (yet)."""
        with self._lock:
            if self.screen is Screen.LOYALTY and self.loyalty.member_card(text):
                return None
            key = _key(text)
            if self.screen is Screen.DETAILS and _key(self.details.code) == key:
                return None  # the same pack, still in front of the camera
            if self._seen(key) is None and self._asks_details(text):
                self.details.start(text)
                self._go(Screen.DETAILS)
                return None
            view = self._answer(text)
            self.came_from = Screen.ATTRACT if self.screen is not Screen.TYPE else Screen.TYPE
            self._show(view)
            return view

    def camera_saw(self, codes: Sequence[str]) -> None:
        """One camera frame's codes (none too: a frame without a code is how a pack leaves).
        A code held since Done stays ignored while it is in view, and is let go once the camera
        has not seen it for `left_view_s` (a blurred frame or two do not count as leaving)."""
        with self._lock:
            now = self.clock()
            seen = {_key(text): text for text in codes}
            for key, last in list(self._held.items()):
                if key in seen:
                    self._held[key] = now
                elif now - last >= self.settings.left_view_s:
                    del self._held[key]
            fresh = [text for key, text in seen.items() if key not in self._held]
        for text in fresh:
            self.code_seen(text)

    def details_done(self) -> ResultView | None:
        """Continue on the details screen: the code is redeemed, with the answers if consented."""
        with self._lock:
            context = self.details.context()
            if context is None:
                return None  # the phone number is not a real one: said on the screen
            view = self._answer(self.details.code, context)
            self._show(view)
            return view

    def _asks_details(self, text: str) -> bool:
        if not any(c.ask_details for c in self.terminal.campaigns()):
            return False  # nearly always: no second look at the code before redeeming it
        checked = self.terminal.check(text)
        if checked.status is not Status.VALID:
            return False
        campaign = next((c for c in self.terminal.campaigns() if c.id == checked.campaign), None)
        return campaign is not None and campaign.ask_details

    def _seen(self, key: str) -> ResultView | None:
        """The answer this code got within the window, its sighting renewed (the window slides
        while the pack stays in front of the camera); None when it was not seen lately."""
        now = self.clock()
        seen = self._recent.get(key)
        if seen is None or now - seen[0] > self.settings.same_code_window_s:
            return None
        self._recent[key] = (now, seen[1])
        return seen[1]

    def _answer(self, text: str, context: dict[str, Any] | None = None) -> ResultView:
        key = _key(text)
        seen = self._seen(key)
        if seen is not None:
            return seen
        if self.before_operation is not None:
            self.before_operation()  # rules and keys a sync has just brought
        result = self.terminal.redeem(text, actor=self.settings.actor, context=context)
        if result.ok:
            self.redemptions += 1
            self._recorded()
        view = view_of(result, self.terminal.reward(result.campaign, result.tier))
        now = self.clock()
        self._forget_old(now)
        self._recent[key] = (now, view)
        return view

    def _recorded(self) -> None:
        """Something was written to the ledger: the sync pushes it soon."""
        if self.after_operation is not None:
            self.after_operation()

    def _forget_old(self, now: float) -> None:
        window = self.settings.same_code_window_s
        for key in [k for k, (at, _) in self._recent.items() if now - at > window]:
            del self._recent[key]

    def _show(self, view: ResultView) -> None:
        if self.screen is Screen.RESULT and self.result is view:
            return  # the same answer is already up: nothing to redraw
        self.result = view
        self.screen = Screen.RESULT
        self._changed()

    # -- the keypad --------------------------------------------------------------------------

    def open_typing(self) -> None:
        self._go(Screen.TYPE)

    def press(self, key: str) -> None:
        if self.entry.press(key):
            self._changed()

    def delete(self) -> None:
        self.entry.delete()
        self._changed()

    def typing_hint(self) -> Text:
        """What the line under the typed code says."""
        if self.entry.mistyped:
            group = self.entry.suspect_group()
            if group is not None:
                return Text.of("type.typo", group=group)
            return Text.of("result.mistyped")
        if self.entry.complete:
            return Text.of("type.complete")
        return Text.of("type.incomplete", left=self.entry.left)

    def submit(self) -> ResultView | None:
        """Check my code: refused on the keypad itself while incomplete or mistyped."""
        with self._lock:
            if not self.entry.complete or self.entry.mistyped:
                return None
            view = self._answer(self.entry.compact())
            self.came_from = Screen.TYPE
            self._show(view)
            return view

    # -- the ways on -------------------------------------------------------------------------

    def act(self, action: str) -> None:
        """A result screen's button."""
        if action == "button.try_again":
            if self.came_from is Screen.TYPE:
                self.entry.clear()
                self._go(Screen.TYPE)
            else:
                self._go(Screen.ATTRACT)
        else:  # done, start over
            self.start_over()

    def open_loyalty(self) -> None:
        self.loyalty.start()
        self._go(Screen.LOYALTY)

    # -- the bonus wheel (wheel_desk.py) ----------------------------------------------------

    def open_wheel(self) -> None:
        """The wheel's rules for the member known here: its odds, and why not, if not."""
        with self._lock:
            if self.loyalty.member is None:
                return
            self.wheel.open()
            self._go(Screen.WHEEL)

    def spin_wheel(self) -> None:
        """The engine draws, then the wheel turns to show it (or straight to the words)."""
        with self._lock:
            if self.screen is not Screen.WHEEL:
                return
            if self.before_operation is not None:
                self.before_operation()  # a slice a sync has just brought
            self.wheel.spin()
            if self.wheel.phase == "landed":
                self._go(Screen.WHEEL_RESULT)

    def wheel_landed(self) -> None:
        """The animation has stopped on the drawn outcome."""
        with self._lock:
            if self.screen is Screen.WHEEL and self.wheel.phase == "spinning":
                self.wheel.landed()
                self._go(Screen.WHEEL_RESULT)

    def back_to_points(self) -> None:
        """From the wheel to the member's points, the member still known."""
        with self._lock:
            self.wheel.start()
            self.loyalty.message = None
            self.loyalty.refresh_balance()
            self._go(Screen.LOYALTY)

    def open_pin(self) -> None:
        """The long press in the attract screen's corner: staff only, behind the PIN."""
        self.manager.start()
        self._go(Screen.PIN)

    def close_manager(self) -> None:
        self._go(Screen.ATTRACT)

    def start_over(self) -> None:
        """Back to the start with nothing of this shopper left: typed code, answers, language,
        text size."""
        with self._lock:
            self.entry.clear()
            self.details.start("")
            self.loyalty.start()
            self.wheel.start()
            self.result = None
            self.idle_left = None
            self.lang = self.settings.lang
            self.large_text = False
            # the codes seen lately stay remembered: a pack still in front of the camera after
            # "Done" must not be redeemed again, nor bring its result back until it has left
            self._held.update({key: at for key, (at, _) in self._recent.items()})
            self._go(Screen.ATTRACT)

    def set_language(self, lang: str) -> None:
        if lang in LANGUAGES and lang != self.lang:
            self.lang = lang
            self._changed()

    def toggle_large_text(self) -> None:
        """The attract screen's "Larger text" / "Normal text": every screen's words grow or go
        back, until this shopper leaves (start_over)."""
        self.large_text = not self.large_text
        self._changed()

    def _go(self, screen: Screen) -> None:
        self.screen = screen
        self._touched = self.clock()
        self._changed()

    # -- idle --------------------------------------------------------------------------------

    def touched(self) -> None:
        self._touched = self.clock()
        if self.idle_left is not None:
            self.idle_left = None
            self._changed()

    def tick(self) -> None:
        """Called about once a second: the "still there?" prompt, then the reset."""
        if self.screen is Screen.ATTRACT:
            return
        idle = self.clock() - self._touched
        if idle < self.settings.idle_s:
            return
        left = self.settings.idle_s + self.settings.idle_countdown_s - idle
        if left <= 0:
            self.start_over()
            return
        shown = float(int(left + 0.999))
        if shown != self.idle_left:
            self.idle_left = shown
            self._changed()


def _key(text: str) -> str:
    try:
        return crockford.normalise(text)
    except crockford.NotACode:
        return text.strip().upper()
