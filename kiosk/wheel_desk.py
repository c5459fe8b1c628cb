"""The bonus wheel's side of the kiosk: whether a member may spin, the rules screen's words (the
outcomes and their real odds, the commitment, the spins this kiosk holds), the spin and where
the animation must stop, and the result in the shopper's words: each outcome named as the
campaign's content names it in the shopper's language ([wheel.cap], kiosk/brand.py), else in the
kiosk's own words ("50 bonus points", "Nothing this time"), a prize's label humanised last.

The engine decides (`Terminal.spin`: the next outcome of this device's slice of the server's
draw); the animation only shows that outcome: `stop_at` is a rotation that puts the drawn
outcome's segment under the pointer. The segments are as wide as the odds, so the picture does
not promise more than the draw gives.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from kiosk.i18n import Text, Words
from kiosk.loyalty_desk import LoyaltyDesk
from terminal.engine import Terminal
from terminal.ledger_content import TierWords
from terminal.results import Result, Status
from terminal.wheel import Outcome, WheelRules, humanised

Phase = Literal["rules", "spinning", "landed"]
TURNS = 4  # whole turns before the wheel stops: long enough to read as a spin
SPIN_S = 4.0  # the animation's length
# the brand's words for an outcome: (campaign, label) -> its name, description and picture
Named = Callable[[str, str], TierWords | None]


def unnamed(_campaign: str, _label: str) -> TierWords | None:
    return None


@dataclass(frozen=True)
class Segment:
    """One outcome on the wheel: its share of the circle, clockwise from the pointer at the top
    (in degrees), and its words."""

    label: str
    kind: str
    words: Text
    odds: Text  # its chance in percent, as the rules screen says it
    start: float
    sweep: float

    @property
    def middle(self) -> float:
        return self.start + self.sweep / 2


def brand_words(table: Mapping[str, str]) -> Text:
    """Words the brand wrote per language, as a Text said in the screen's language."""
    return Text.of("wheel.outcome.prize", prize=Words.of(table))


def outcome_words(outcome: Outcome, named: TierWords | None = None) -> Text:
    """The outcome's name: the brand's where its content names it, else the kiosk's words for
    points and for nothing, else (a prize the brand did not name) its label humanised."""
    if named is not None:
        return brand_words(named.name)
    if outcome.kind == "points":
        return Text.of("wheel.outcome.points", points=outcome.points)
    if outcome.kind == "nothing":
        return Text.of("wheel.outcome.nothing")
    return Text.of("wheel.outcome.prize", prize=humanised(outcome.label))


def percent(weight: int, total: int) -> Text:
    """A chance in percent as the language writes it, to two decimals ('40%', '33.33%'); below
    1% to two significant digits, so a rare prize is never shown as 0 ('0.0005%')."""
    share = 100 * weight / total if total else 0.0
    places = 2 if share >= 1 or not share else 1 - math.floor(math.log10(share))
    words = f"{share:.{places}f}".rstrip("0").rstrip(".") if share else "0"
    whole, _, fraction = words.partition(".")
    if fraction:
        return Text.of("wheel.odds_fraction", whole=whole, fraction=fraction)
    return Text.of("wheel.odds", odds=whole)


def segments(rules: WheelRules, named: Named = unnamed) -> list[Segment]:
    """The wheel's outcomes in the order the server set them, each as wide as its odds."""
    total, at, out = rules.total, 0.0, []
    for o in rules.outcomes:
        sweep = 360.0 * o.weight / total if total else 0.0
        words = outcome_words(o, named(rules.campaign, o.label))
        out.append(Segment(o.label, o.kind, words, percent(o.weight, total), at, sweep))
        at += sweep
    return out


def pointer_reads(rotation: float, parts: list[Segment]) -> Segment | None:
    """The segment under the pointer (at the top) once the wheel has turned `rotation` degrees
    clockwise: the wheel's angle 0 is then at `rotation`, so the pointer reads `-rotation`."""
    at = -rotation % 360.0
    return next((s for s in parts if s.start <= at < s.start + s.sweep), None)


def stop_at(now: float, segment: Segment, event_id: str) -> float:
    """A rotation TURNS to TURNS + 1 turns past `now` that leaves the pointer inside
    `segment`: at its middle, moved by at most a quarter of its width (from the spin's event id,
    so the wheel does not stop at the same spot every time; the outcome is already drawn)."""
    jitter = int(hashlib.sha256(event_id.encode()).hexdigest()[:4], 16) / 0xFFFF - 0.5  # ±0.5
    target = -(segment.middle + jitter * segment.sweep / 2) % 360.0
    return now + TURNS * 360.0 + (target - now) % 360.0


class WheelDesk:
    def __init__(
        self, terminal: Terminal, loyalty: LoyaltyDesk, actor: str, changed: Callable[[], None],
        recorded: Callable[[], None], online: Callable[[], bool], named: Named = unnamed,
        picture_file: Callable[[str], str] = lambda _sha: "",
    ) -> None:  # fmt: skip
        self.terminal = terminal
        self._named = named  # the campaign's content (kiosk/brand.py)
        self._picture_file = picture_file
        self.loyalty = loyalty  # who the member is, and their balance after a win
        self.actor = actor
        self._changed = changed
        self._recorded = recorded  # a spin went into the ledger
        self._online = online
        self.start()

    def start(self) -> None:
        self.phase: Phase = "rules"
        self.result: Result | None = None
        self.rotation = 0.0  # where the wheel rests now, degrees clockwise
        self.target = 0.0  # where the animation must stop: the drawn outcome under the pointer
        self.message: Text | None = None  # why the member cannot spin, in words

    # -- before the spin --------------------------------------------------------------------

    def rules(self) -> WheelRules | None:
        return self.terminal.wheel()

    def segments(self, rules: WheelRules | None) -> list[Segment]:
        """The rules' outcomes on the wheel, named as the brand names them."""
        return segments(rules, self._named) if rules else []

    def offered(self) -> bool:
        """A wheel is here for the member known at the kiosk (its rules can be read)."""
        return self.loyalty.member is not None and self.rules() is not None

    def ready(self) -> bool:
        """A spin waits for the member today: the engine says so (a check-in or a purchase here
        today, spins of today left, an outcome held on this device)."""
        member = self.loyalty.member
        return member is not None and self.terminal.spin_refusal(member) is None

    def open(self) -> None:
        """The rules screen: the odds, the commitment, and why the member cannot spin, if not."""
        self.start()
        member = self.loyalty.member
        refused = None if member is None else self.terminal.spin_refusal(member)
        self.message = None if refused is None else self.refusal(refused)

    def rule_lines(self, rules: WheelRules) -> list[Text]:
        """How often one may spin and how many spins this kiosk holds."""
        return [
            Text.of("wheel.how", n=rules.per_day),
            Text.of("wheel.left", n=rules.held),
        ]

    def refusal(self, result: Result) -> Text:
        """Why not, in the shopper's words."""
        status = result.status
        if status is Status.ALREADY_SPUN:
            rules = self.rules()
            return Text.of("wheel.already_spun", n=rules.per_day if rules else 1)
        if status is Status.NOT_QUALIFIED:
            return Text.of("wheel.not_qualified")
        if status is Status.NO_SPINS:
            return Text.of("wheel.no_spins" if self._online() else "wheel.no_spins_offline")
        if status is Status.WHEEL_ENDED:
            return Text.of("wheel.ended")
        if status is Status.NO_WHEEL:
            return Text.of("wheel.no_wheel")
        return Text.of("wheel.not_saved")

    # -- the spin ---------------------------------------------------------------------------

    def spin(self) -> Result | None:
        """The engine draws (the next outcome of this device's slice); the wheel is then told
        where to stop. A refusal stays on the rules screen, in words."""
        member = self.loyalty.member
        if member is None or self.phase != "rules":
            return None
        rules = self.rules()
        result = self.terminal.spin(member, actor=self.actor)
        if not result.ok:
            self.message = self.refusal(result)
            self._changed()
            return result
        self.result = result
        self._recorded()
        parts = self.segments(rules)
        drawn = next((s for s in parts if s.label == result.outcome), None)
        if drawn is None or drawn.sweep <= 0:  # no picture of it: straight to the words
            self.phase = "landed"
        else:
            self.target = stop_at(self.rotation, drawn, result.event_id or "")
            self.phase = "spinning"
        self.loyalty.refresh_balance()
        self._changed()
        return result

    def landed(self) -> None:
        """The animation has stopped (on the engine's outcome): the result screen."""
        if self.phase == "spinning":
            self.rotation = self.target % 360.0
            self.phase = "landed"
            self._changed()

    # -- the result -------------------------------------------------------------------------

    def named(self) -> TierWords | None:
        """The brand's words for the outcome won, where its content names it."""
        result = self.result
        if result is None or not result.outcome:
            return None
        return self._named(result.campaign or "", result.outcome)

    def headline(self) -> Text:
        result, named = self.result, self.named()
        if result is None:
            return Text.of("wheel.title")
        if result.outcome_kind == "prize" or (result.outcome_kind == "points" and named):
            prize = Words.of(named.name) if named else humanised(result.outcome or "")
            return Text.of("wheel.won_prize", prize=prize)
        if result.outcome_kind == "points" and result.points:
            return Text.of("wheel.won_points", points=result.points)
        return brand_words(named.name) if named else Text.of("wheel.won_nothing")

    def next_step(self) -> list[Text]:
        """What the win means: the brand's line about it, then the new balance, where to collect
        a prize and its reference (a cashier voids a prize not handed over by it: `instore
        terminal void`), or come back."""
        result, named = self.result, self.named()
        if result is None:
            return []
        about = [brand_words(named.description)] if named and named.description else []
        if result.outcome_kind == "points" and result.points:
            balance = (self.loyalty.balance_text(), self.loyalty.pending_text())
            return [*about, *(t for t in balance if t)]
        if result.outcome_kind == "prize":  # handed over at the counter, by this reference
            reference = Text.of("wheel.reference", reference=result.reference or "")
            return [*about, Text.of("wheel.collect"), reference]
        return [*about, Text.of("wheel.thanks")]

    def picture(self) -> str:
        """The picture of the outcome won as a file, where the brand gave one ("" for none)."""
        named = self.named()
        return self._picture_file(named.picture) if named and named.picture else ""

    @property
    def won(self) -> bool:
        return self.result is not None and self.result.outcome_kind in ("points", "prize")
