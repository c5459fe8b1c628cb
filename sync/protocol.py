"""The wire between in-store devices and the central server: models, limits and request signing.

Both sides import this module and nothing else of each other. Models ignore fields they do not
know, so a newer server can talk to an older device and the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from typing_extensions import TypedDict  # pydantic reads this one's fields on Python 3.11

PROTOCOL_VERSION = 1
MAX_BATCH = 500  # events per push; more is refused with 413
MAX_BODY_BYTES = 4 * 1024 * 1024  # request body after gunzip; more is refused with 413
CLOCK_WINDOW_S = 300  # a signed request's timestamp must be this close to the server's clock
PULL_PAGE = 20_000  # feed entries per pull answer, at most
BIG = 2**62  # upper bound of counters on the wire: fits every database's 64-bit integer

# headers of a signed request
DEVICE = "X-Instore-Device"
TIMESTAMP = "X-Instore-Timestamp"
NONCE = "X-Instore-Nonce"
SIGNATURE = "X-Instore-Signature"

Verdict = Literal["accepted", "duplicate", "conflict", "rejected"]
EVENT_KINDS = ("redeem", "void", "accrue", "spend", "checkin", "spin")


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What the signature covers: the request line, its time, a one-off nonce and the body."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), path, timestamp, nonce, digest)).encode()


def sign(secret: bytes, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(
        secret, string_to_sign(method, path, timestamp, nonce, body), hashlib.sha256
    ).hexdigest()


def sign_answer(secret: bytes, nonce: str, status: int, body: bytes) -> str:
    """The server signs its answer to a signed request, so a device can tell it from an impostor's
    or a garbled one before it changes anything."""
    return sign(secret, "ANSWER", str(status), "", nonce, body)


# Request text a database can keep, with the rule written into the schema too, so clients and
# fuzzers know it: no NUL (the pattern); the validator refuses lone surrogates by itself.
_NO_NUL = StringConstraints(pattern=r"^[^\x00]*$")
Text = Annotated[str, _NO_NUL]
# a name people read: no control characters (C0 or C1), not blank. C1 is spelled out because
# U+0085 is whitespace to Python's \s and not to a JSON Schema's, which then disagreed
Name = Annotated[
    str,
    StringConstraints(
        pattern=r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    ),
]
# an id: letters, digits and . _ - :
Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ErrorBody(Model):
    """Every 4xx answer: a stable code for programs and a sentence for people."""

    error: str
    message: str
    server_time: float | None = None  # with `clock_skew`, so a device can correct its clock


# -- configuration a device gets from the server --------------------------------------------


class LimitConfig(Model):
    scope: Literal["cashier_day", "terminal_hour", "member_day"]
    max: int = Field(ge=0)
    hard: bool = True


class PointLimitConfig(Model):
    """A limit on points (loyalty/limits.py on the server, terminal/point_limits.py offline): of
    one scope's subject (`*`: each one counted apart), on a measure per operation or per period
    (UTC). A total reaching `soft_low` alerts; past `soft_high` or `hard` it is refused."""

    id: int = Field(ge=0)
    scope: Literal["card", "cashier", "store", "partner", "terminal"]
    subject: str = Field(default="*", max_length=128)
    measure: Literal["earn_points", "spend_points", "operations"]
    per: Literal["operation", "hour", "day", "week", "month"]
    soft_low: int | None = Field(default=None, ge=1, le=BIG)
    soft_high: int | None = Field(default=None, ge=1, le=BIG)
    hard: int | None = Field(default=None, ge=1, le=BIG)

    def level(self, total: int) -> Literal["ok", "soft", "block"]:
        """Where a total with the operation in it stands (terminal.config.PointLimit.level
        answers the same, held equal by a test)."""
        for cap in (self.hard, self.soft_high):
            if cap is not None and total > cap:
                return "block"
        return "soft" if self.soft_low is not None and total >= self.soft_low else "ok"


class TierRuleConfig(Model):
    tier: str
    offline_count: int | None = Field(default=None, ge=0)
    offline_value: float | None = Field(default=None, ge=0)
    needs_online: bool = False


Rounding = Literal["down", "nearest", "up"]
_Day = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]  # YYYY-MM-DD
_Category = Annotated[str, StringConstraints(min_length=1, max_length=64)]
MAX_CATEGORIES = 50  # multipliers a rule names, and categories an accrual's basket names
# the earn rules a partner may set for its stores (the rest stay the store's: check-in, caps)
EARN_RULE_FIELDS = (
    "currency_per_unit", "points_per_unit", "rounding", "min_purchase", "category_multipliers",
    "bonus_periods", "max_points_per_receipt",
)  # fmt: skip


class BonusPeriodConfig(Model):
    """Between two days (both counted), every purchase earns `multiplier` times the points."""

    start: _Day
    end: _Day
    multiplier: float = Field(gt=0, le=100)

    @model_validator(mode="after")
    def _in_order(self) -> BonusPeriodConfig:
        if self.end < self.start:
            raise ValueError(f"a bonus period ends ({self.end}) before it starts ({self.start})")
        return self


class LoyaltyConfig(Model):
    # which version of the store's earn rules these are (the server numbers each change); an
    # accrual names it, so the server recounts with the rules the device had
    version: int = Field(default=0, ge=0)
    currency_per_unit: float = Field(default=10.0, gt=0)
    points_per_unit: int = Field(default=1, ge=0)
    checkin_points: int = Field(default=10, ge=0)
    offline_spend_cap: int = Field(default=500, ge=0)
    max_points_per_receipt: int = Field(default=10_000, ge=0)
    rounding: Rounding = "down"  # of the currency units a purchase is worth
    min_purchase: float = Field(default=0.0, ge=0, allow_inf_nan=False)  # less earns nothing
    # a basket's amount in a category counts this many times (absent: once)
    category_multipliers: dict[_Category, Annotated[float, Field(ge=0, le=100)]] = Field(
        default={}, max_length=MAX_CATEGORIES
    )
    bonus_periods: list[BonusPeriodConfig] = Field(default=[], max_length=100)

    def points_for(
        self, amount: float, categories: Mapping[str, float] | None = None,
        day: str | None = None,
    ) -> int:  # fmt: skip
        """The server's count of an accrual; a device counts the same (terminal.config.Loyalty,
        held to this one by a property test). `categories`: the basket's amount per product
        category ({"fuel": 40.0}; what no category names counts once); `day`: the purchase's
        day (YYYY-MM-DD) for bonus periods. Without them, the count of before either existed."""
        if not amount > 0 or amount < self.min_purchase:
            return 0
        worth = amount
        if categories and self.category_multipliers:
            worth = _weighted(amount, categories, self.category_multipliers)
        bonus = max(
            (b.multiplier for b in self.bonus_periods
             if day is not None and b.start <= day <= b.end),
            default=1.0,
        )  # fmt: skip
        if bonus != 1.0:
            worth = worth * bonus
        if not math.isfinite(worth / self.currency_per_unit):
            return self.max_points_per_receipt if self.points_per_unit else 0
        if self.rounding == "nearest":
            units = math.floor(worth / self.currency_per_unit + 0.5)
        elif self.rounding == "up":
            units = math.ceil(worth / self.currency_per_unit)
        else:
            units = int(worth // self.currency_per_unit)
        return min(units * self.points_per_unit, self.max_points_per_receipt)

    def points_for_accrual(self, payload: Mapping[str, Any]) -> int:
        """`points_for` an accrual event's payload: its `amount`, and the basket's `categories`
        ({category: amount}) and the purchase's `day` where the device sent them. A category
        or day that is not one (a device's bug, a forgery) is counted as if not sent."""
        categories = payload.get("categories")
        basket: dict[str, float] | None = None
        if isinstance(categories, dict) and len(categories) <= MAX_CATEGORIES:
            basket = {
                str(k): float(v) for k, v in categories.items()
                if type(v) in (int, float) and math.isfinite(v) and len(str(k)) <= 64
            }  # fmt: skip
        day = payload.get("day")
        if not (isinstance(day, str) and len(day) == 10 and day[4] == day[7] == "-"):
            day = None
        return self.points_for(payload["amount"], basket, day)


def _weighted(amount: float, categories: Mapping[str, float], times: Mapping[str, float]) -> float:
    """The amount with each category's part counted its multiplier's times, in the order of the
    categories' names (so both sides add the same floats); parts beyond the amount are ignored."""
    worth, covered = 0.0, 0.0
    for name in sorted(categories):
        part = min(categories[name], amount - covered)
        if not part > 0:
            continue
        worth += part * times.get(name, 1.0)
        covered += part
    return worth + (amount - covered)


class CatalogueItemConfig(Model):
    id: str
    name: str
    points: int = Field(gt=0)
    partner: str = ""  # who supplies the prize (a partner's id); empty: none named
    # that partner's name as shoppers know it, filled in as a device is sent its config (a
    # device from before ignores it: its model drops fields it does not know)
    partner_name: str = Field(default="", max_length=200)


class DeviceConfig(Model):
    """The rules a terminal applies offline; the same fields and defaults as the terminal's own
    (terminal.config.TerminalConfig, which the server may not import: a test holds the two
    equal)."""

    limits: list[LimitConfig] = []
    tier_rules: list[TierRuleConfig] = []
    loyalty: LoyaltyConfig = LoyaltyConfig()
    catalogue: list[CatalogueItemConfig] = []
    hold_seconds: int = Field(default=15 * 60, ge=1)
    max_offline_seconds: int = Field(default=72 * 3600, ge=60)
    claim_timeout: float = Field(default=0.8, gt=0, le=10)
    # the shoppers' address of the server (its public URL), for the claim QR a device shows;
    # empty: the address the device syncs with
    play_url: str = Field(default="", max_length=200)
    # the program's lot rules, so a lot earned here offline gets the dates the server will give it
    # (a server from before lots sends neither: nothing pending, nothing expires)
    pending_days: int = Field(default=0, ge=0, le=365)  # the returns window
    expiry_months: int | None = Field(default=None, ge=1, le=120)
    # limits on points earned and spent (`limits` above are the code redemptions')
    point_limits: list[PointLimitConfig] = []
    # a spend of more points asks for the member's one-time password (online only; offline it is
    # refused as needs_online); 0: no spend asks
    otp_above: int = Field(default=0, ge=0, le=BIG)


# -- a campaign's texts, pictures and look (`admin campaign content`, docs/campaign-content.md) --

MAX_PICTURE_BYTES = 512 * 1024  # one picture, as the server re-encoded it
MAX_CONTENT_PICTURES_BYTES = 2 * 1024 * 1024  # all of one campaign's pictures together
MIN_CONTRAST = 4.5  # WCAG AA for text: a theme's text and button pairs
_Lang = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
_Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
_PictureRef = Annotated[str, StringConstraints(pattern=r"^([0-9a-f]{64})?$")]  # sha256 or ""
Texts = dict[_Lang, Annotated[str, Field(max_length=300)]]  # language -> words


class TierContent(Model):
    name: Texts = {}
    description: Texts = {}
    picture: _PictureRef = ""


class ThemeContent(Model):
    primary: _Colour  # the main buttons' colour
    background: _Colour
    text: _Colour
    button_text: _Colour = "#ffffff"  # the words on a button
    logo: _PictureRef = ""
    attract: list[_PictureRef] = Field(default=[], max_length=8)  # attract-screen pictures

    def weak_pair(self) -> tuple[str, float] | None:
        """The first pair below MIN_CONTRAST ("text/background" or "button_text/primary") and
        its ratio; None when both are readable. Device and server judge with this one rule."""
        for name, fore, back in (
            ("text/background", self.text, self.background),
            ("button_text/primary", self.button_text, self.primary),
        ):
            ratio = contrast(fore, back)
            if ratio < MIN_CONTRAST:
                return name, ratio
        return None


def _luminance(colour: str) -> float:
    """WCAG 2's relative luminance of '#rrggbb'."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """WCAG 2's contrast ratio of two '#rrggbb' colours, 1 to 21."""
    hi, lo = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


class PictureData(Model):
    kind: Literal["png", "jpeg"]
    data: str = Field(max_length=(MAX_PICTURE_BYTES * 4) // 3 + 4)  # base64


class CampaignContent(Model):
    """What shoppers read and see of a campaign: its name, each tier's and each bonus wheel
    outcome's name, description and picture per language, its theme; pictures inline by their
    SHA-256 (checked by the server)."""

    name: Texts = {}
    tiers: dict[Ident, TierContent] = {}
    # the bonus wheel's outcomes by label ("cap", "50 points"): named and pictured as tiers are
    wheel: dict[Annotated[str, StringConstraints(min_length=1, max_length=32)], TierContent] = {}
    theme: ThemeContent | None = None
    pictures: dict[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")], PictureData] = {}


class ProgramContent(Model):
    """What shoppers see of the loyalty program (`instore admin program content`): each
    catalogue prize's name, description and picture per language (a tier's shape), and the
    program's theme, which a campaign's own theme wins over; pictures inline by their SHA-256."""

    prizes: dict[Ident, TierContent] = {}
    theme: ThemeContent | None = None
    pictures: dict[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")], PictureData] = {}


def _readable_or_none(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Content this device cannot read (a newer server's) is left out, never what carries it:
    codes still check and points still count, in the kiosk's own words and look."""
    try:
        return handler(value)
    except ValidationError:
        return None


class CampaignGrant(Model):
    """A campaign a device may check codes of, with its key."""

    campaign: dict[str, Any]  # the campaign file's fields (codes.campaign.to_dict)
    key: str  # hex
    # its texts and look; None: it has none (or the server is older than campaign content)
    content: CampaignContent | None = None

    @field_validator("content", mode="wrap")
    @classmethod
    def _content_or_none(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Content this device cannot read (a newer server's) is left out, never the grant:
        the campaign's codes still check, in the kiosk's own words and look."""
        try:
            return handler(value)
        except ValidationError:
            return None


# -- enroll ---------------------------------------------------------------------------------


class EnrollRequest(Model):
    token: Text = Field(min_length=1, max_length=200)


class EnrollResponse(Model):
    protocol: int = PROTOCOL_VERSION
    device_id: str
    device_name: str
    store_id: str
    secret: str  # hex; 32 bytes
    campaigns: list[CampaignGrant]
    config: DeviceConfig
    config_version: int
    server_time: float
    # the program's texts and look; None: it has none (or the server is older than them)
    program_content: ProgramContent | None = None

    _program_content = field_validator("program_content", mode="wrap")(_readable_or_none)


# -- push -----------------------------------------------------------------------------------


# An event's limits, shared by its two readings below.
_EventId = Annotated[str, Field(min_length=1, max_length=64)]
_Seq = Annotated[int, Field(ge=1, le=BIG)]
_Kind = Annotated[str, Field(min_length=1, max_length=32)]
_Short = Annotated[str, Field(max_length=64)]


class WireEvent(Model):
    """One ledger event as signed by its device (see terminal/chain.py)."""

    event_id: Annotated[_EventId, _NO_NUL]
    seq: _Seq
    kind: Annotated[_Kind, _NO_NUL]
    payload: dict[str, Any]
    local_time: Annotated[_Short, _NO_NUL]
    prev_hash: Annotated[_Short, _NO_NUL]
    mac: Annotated[_Short, _NO_NUL]


class WireEventData(TypedDict):
    """A WireEvent as a plain dict: how the server reads a push whose body holds no NUL.

    The same limits without the NUL pattern on each text (a body without `\\u0000` cannot hold
    one) and without a model per event: a push of 500 is read in half the time.
    """

    event_id: _EventId
    seq: _Seq
    kind: _Kind
    payload: dict[str, Any]
    local_time: _Short
    prev_hash: _Short
    mac: _Short


class PushRequest(Model):
    # Each event is validated alone by the server, so one malformed event is rejected by itself.
    events: list[Any] = Field(description="WireEvent objects, at most MAX_BATCH")


class EventVerdict(Model):
    event_id: str
    seq: int | None = None
    verdict: Verdict
    reason: str = ""
    conflict_id: int | None = None


class PushResponse(Model):
    verdicts: list[EventVerdict]
    device_seq: int  # the highest of this device's events the server holds
    chain_ok: bool


# -- pull -----------------------------------------------------------------------------------


class PullRequest(Model):
    cursor: int = Field(default=0, ge=0, le=BIG)
    config_version: int = Field(default=0, ge=0, le=BIG)
    limit: int = Field(default=PULL_PAGE, ge=1, le=PULL_PAGE)
    # the device's own summary, for its store manager's dashboard (older devices send none)
    pending: int | None = Field(default=None, ge=0, le=BIG)
    oldest_pending_s: float | None = Field(default=None, ge=0, le=1e10, allow_inf_nan=False)


class Notice(Model):
    """A later verdict on one of this device's events (a conflict found, a resolution)."""

    event_id: str
    verdict: Verdict
    reason: str = ""
    conflict_id: int | None = None


class WireLot(Model):
    """One open lot of a member's points as the server holds it (server_stub loyalty.lots): who
    issued it, when it was earned, until when it is pending, when it expires, what is left."""

    id: int = Field(ge=0, le=BIG)
    partner: str = ""
    earned: float = Field(allow_inf_nan=False)
    pending_until: float = Field(allow_inf_nan=False)
    expires_at: float = Field(allow_inf_nan=False)
    remaining: int = Field(ge=0, le=BIG)


class MemberBalance(Model):
    member: str
    balance: int
    # the member's open lots (balance = their sum); None: a server without lots, the figure alone
    lots: list[WireLot] | None = None


class VoucherGrant(Model):
    """A voucher of a digital prize's pool, held by a device to hand out while offline."""

    campaign: Text = Field(min_length=1, max_length=64)
    tier: Text = Field(min_length=1, max_length=32)
    voucher: Text = Field(min_length=1, max_length=128)


class RedeemedAt(Model):
    """Where a code of `PullResponse.redeemed` was taken: the device's name and its store, so a
    kiosk can tell a shopper "at the till Counter 2 of this store" or "at another store"."""

    campaign: str
    serial: int
    device: str = ""  # the device's name
    store: str = ""  # its store's id


class WheelOutcome(Model):
    """One slice of a bonus wheel and its weight: the odds its rules screen shows."""

    label: Text = Field(min_length=1, max_length=32)
    weight: int = Field(ge=1, le=1_000_000)
    points: int = Field(default=0, ge=0, le=BIG)  # bonus points it gives as a lot
    kind: Literal["points", "prize", "nothing"] = "nothing"


class WheelConfig(Model):
    """A campaign's bonus wheel as a device needs it (server_stub/loyalty/wheel.py): its
    outcomes, spins per member per day, the SHA-256 commitment to its seed; `open` False once
    the seed is revealed (the wheel has ended: no device spins after it)."""

    campaign: Text = Field(min_length=1, max_length=64)
    outcomes: list[WheelOutcome] = Field(max_length=20)
    per_day: int = Field(default=1, ge=1, le=100)
    commitment: Text = Field(max_length=64)
    open: bool = True


class WheelGrant(Model):
    """One outcome of a wheel's sequence held by a device: spin `index` gives `outcome`."""

    campaign: Text = Field(min_length=1, max_length=64)
    index: int = Field(ge=0, le=BIG)
    outcome: Text = Field(min_length=1, max_length=32)


class PullResponse(Model):
    cursor: int
    more: bool  # another page is waiting
    redeemed: list[tuple[str, int]] = []  # (campaign, serial) redeemed by other devices
    redeemed_at: list[RedeemedAt] = []  # where each of those was taken, when the server says
    released: list[tuple[str, int]] = []  # voided there: free again
    notices: list[Notice] = []
    balances: list[MemberBalance] = []
    device_seq: int = 0
    config_version: int
    config: DeviceConfig | None = None  # only when it changed since the device's version
    campaigns: list[CampaignGrant] | None = None
    # every voucher the device holds now, when that changed (None: as before); one it held and
    # no longer finds here was withdrawn, and is never shown
    vouchers: list[VoucherGrant] | None = None
    # the bonus wheels, and every unused outcome of their sequences this device holds (its
    # slice, topped up first), when any wheel exists (None: as before)
    wheels: list[WheelConfig] | None = None
    wheel_slices: list[WheelGrant] | None = None
    server_time: float
    # the program's texts and look, sent with `config` (when config is sent, None here: it has
    # none now); a device keeps what it had when config is not sent
    program_content: ProgramContent | None = None

    _program_content = field_validator("program_content", mode="wrap")(_readable_or_none)


# -- online claim and balance ---------------------------------------------------------------


class ClaimRequest(Model):
    event_id: Text = Field(min_length=1, max_length=64)
    campaign: Text = Field(min_length=1, max_length=64)
    serial: int = Field(ge=0, le=BIG)
    code: Text = Field(min_length=1, max_length=64)


class ClaimResponse(Model):
    won: bool
    winner_device: str | None = None
    winner_store: str | None = None
    winner_name: str | None = None  # the winning device's name, for "redeemed at Counter 2"


class ReleaseRequest(Model):
    """Give back an online claim whose redemption could not be saved on the device."""

    event_id: Text = Field(min_length=1, max_length=64)
    campaign: Text = Field(min_length=1, max_length=64)
    serial: int = Field(ge=0, le=BIG)


class ReleaseResponse(Model):
    released: bool


class BalanceRequest(Model):
    member: Text = Field(min_length=1, max_length=128)


class BalanceResponse(Model):
    member: str
    balance: int
    device_seq: int  # this device's events up to here are counted in the balance
    lots: list[WireLot] | None = None  # as in MemberBalance


# -- a member's one-time password, asked by a till or kiosk ----------------------------------
# A spend above the program's otp_above, and a new member's registration, ask for the code the
# server texts to the member's phone (server_stub/device_api/member_codes.py).

CodePurpose = Literal["spend", "register"]
_Code = Annotated[str, Field(min_length=1, max_length=64), _NO_NUL]


class CodeSendRequest(Model):
    """Text the member a code: `member` a phone or card (spend) or the phone to register."""

    purpose: CodePurpose
    member: Text = Field(min_length=1, max_length=128)
    points: int = Field(default=0, ge=0, le=BIG)  # of a spend: the SMS says what it confirms
    lang: Text = Field(default="en", max_length=8)


class CodeSent(Model):
    to: str  # the phone's last four digits ("4567"), for "sent to the phone ending 4567"
    expires: float  # when the code stops working
    again_in: int = 60  # seconds before another code may be asked for


class SpendConfirmRequest(Model):
    member: Text = Field(min_length=1, max_length=128)
    points: int = Field(ge=1, le=BIG)
    code: _Code


class SpendConfirmation(Model):
    """A one-use token for one spend: this member, these points, this device. The spend event
    carries it as `confirmation`."""

    token: str


class RegisterRequest(Model):
    phone: Text = Field(min_length=1, max_length=64)
    via: Literal["till", "kiosk"]
    lang: Text = Field(default="en", max_length=8)
    card: Text | None = Field(default=None, max_length=64)
    code: _Code | None = None  # none: find the member, or text a code to a new one


class RegisterResponse(Model):
    # member: the phone was a member already; registered: made now; code_sent: a new phone,
    # a code is on its way (ask again with it)
    state: Literal["member", "registered", "code_sent"]
    member: str  # the phone in E.164
    card: str | None = None
    sent: CodeSent | None = None
