"""Campaign files: what a campaign is, its reward plan, and reading and writing it (TOML or JSON)."""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

import tomli_w

from codes import crockford, keys, layout, tiers
from codes.common.errors import InstoreError

DEFAULT_CAPACITY = 10_000_000_000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TIER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
TierKind = Literal["instant", "claim"]
TIER_KINDS: tuple[TierKind, ...] = ("instant", "claim")


@dataclass(frozen=True)
class Tier:
    """One reward level. `count` None means: every serial the other tiers leave.

    With `every` set the tier is planned as a rate: `count` codes in every `every` serials, so each
    print run of that many consecutive serials holds exactly its share (`gold:1/10000`).
    """

    name: str
    count: int | None
    value: float = 0.0
    description: str = ""
    every: int | None = None
    # "instant": handed over at the counter (a music code, a coupon); "claim": shipped after the
    # brand verifies the win (a gold coin), so an offline acceptance is provisional until then
    kind: TierKind = "instant"
    # a claim prize must be claimed within this many days of its redemption (the campaign file's
    # `claim_days`); an instant one ignores it
    claim_days: int = 30

    def spec(self) -> str | int:
        """The count as a campaign file and `--tiers` write it: 10, "1/10000" or "*"."""
        if self.count is None:
            return "*"
        return f"{self.count}/{self.every}" if self.every else self.count


@dataclass(frozen=True)
class Campaign:
    id: str
    prefix: str
    tiers: tuple[Tier, ...]
    capacity: int = DEFAULT_CAPACITY
    name: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    key_version: int = 1
    issued: int = 0
    master_key_file: str = ""
    key_check: str = ""
    # The server database that counts this campaign's codes once it is registered there.
    registered_with: str = ""
    # 1: the tier plan's seed came from the campaign key (every device could compute it);
    # 2: from the master key, which only the issuer and the server hold.
    plan_version: int = 1
    # a kiosk asks the shopper's details (phone, and optionally age band, gender, city) before
    # the reward; kept only with their consent
    ask_details: bool = False
    # prize claims one phone may file in this campaign before each further one is flagged for
    # the verifier (never refused by a machine); 0: no limit
    claims_per_phone: int = 3
    # where its one-time passwords and vouchers may be sent by SMS: calling codes as ISO
    # regions ("IN", "KZ"); empty: any country
    sms_countries: tuple[str, ...] = ()
    # a claimed prize worth this much or more needs an approver besides the verifier who
    # recommended it; 0: every claim needs both
    approval_value: float = 0.0
    # a public page lists this campaign's major winners (first name, initial, city)
    winners_list: bool = False
    path: Path | None = field(default=None, compare=False)

    def block(self) -> int:
        """How many consecutive serials hold the whole plan once: the capacity for counts, the
        least common multiple of the rates' denominators for rates."""
        everies = [t.every for t in self.tiers if t.every]
        return math.lcm(*everies) if everies else self.capacity

    def block_counts(self) -> list[int]:
        """Each tier's count within one block, the remainder tier resolved."""
        block = self.block()
        counts = [
            None if t.count is None else (t.count * block // t.every if t.every else t.count)
            for t in self.tiers
        ]
        fixed = sum(c for c in counts if c is not None)
        return [block - fixed if c is None else c for c in counts]

    def tier_counts(self) -> list[int]:
        """The count of every tier over the whole capacity, the remainder tier resolved."""
        blocks = self.capacity // self.block()
        return [c * blocks for c in self.block_counts()]

    def tier_named(self, name: str) -> Tier:
        return next(t for t in self.tiers if t.name == name)

    def master_key_path(self) -> Path:
        path = Path(self.master_key_file)
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        return path

    def issuer_keys(self) -> tuple[bytes, bytes | None]:
        """(campaign key, tier plan seed) from one read of the master key file, refusing the
        file of another campaign. The seed is None for a plan of version 1, whose seed comes
        from the campaign key."""
        master = keys.read_master_key(self.master_key_path())
        key = keys.derive_campaign_key(master, self.id, self.key_version)
        if self.key_check and keys.key_check_value(key) != self.key_check:
            raise InstoreError(
                "wrong_key",
                f"master key file {self.master_key_path()} is not the key of campaign {self.id}",
            )
        seed = keys.derive_plan_seed(master, self.id, tiers.SEED_BYTES)
        return key, seed if self.plan_version >= 2 else None

    def campaign_key(self) -> bytes:
        return self.issuer_keys()[0]

    def plan_seed(self) -> bytes | None:
        return self.issuer_keys()[1]


def with_claim_tiers(tiers: tuple[Tier, ...], names: str) -> tuple[Tier, ...]:
    """The tiers with those named ("gold,silver") made prizes shipped after verification."""
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    unknown = wanted - {t.name for t in tiers}
    if unknown:
        raise InstoreError(
            "bad_tiers", f"--claim-tiers names no tier of the plan: {', '.join(sorted(unknown))}"
        )
    return tuple(replace(t, kind="claim") if t.name in wanted else t for t in tiers)


def parse_tiers(spec: str) -> tuple[Tier, ...]:
    """`gold:10,silver:1000,music:*` or `gold:1/10000,silver:1/100,music:*` -> tiers.

    A count is how many codes of the whole campaign carry the tier; a rate `K/N` is K codes in
    every N consecutive serials; `*` marks the remainder tier.
    """
    tiers = []
    for part in (p.strip() for p in spec.split(",")):
        name, sep, count = part.partition(":")
        name, count = name.strip(), count.strip()
        if not sep or not name or not count:
            raise InstoreError(
                "bad_tiers", f"tier {part!r} must look like name:count, name:1/10000 or name:*"
            )
        tiers.append(_tier(name, count))
    return tuple(tiers)


def _tier(name: str, count: Any, value: float = 0.0, description: str = "") -> Tier:
    """One tier from its count as written: a whole number, "K/N" or "*"."""
    if count == "*":
        return Tier(name, None, value, description)
    text = str(count).replace("_", "").replace(",", "").strip()
    share, slash, every = text.partition("/")
    try:
        if isinstance(count, bool) or (isinstance(count, float) and not count.is_integer()):
            raise ValueError
        number = int(share)
        per = int(every) if slash else None
    except ValueError:
        raise InstoreError(
            "bad_tiers",
            f"tier {name!r} needs a whole number (10) or a rate (1/10000), not {count!r}",
        ) from None
    return Tier(name, number, value, description, per)


def validate(c: Campaign) -> Campaign:
    """Return the campaign if it is coherent, else raise InstoreError saying what is wrong."""

    def bad(message: str) -> InstoreError:
        return InstoreError("bad_campaign", message)

    if not _ID.match(c.id):
        raise bad(f"campaign id {c.id!r} must be 1-64 letters, digits, '.', '_' or '-'")
    if not (math.isfinite(c.approval_value) and c.approval_value >= 0):
        raise bad(f"approval_value {c.approval_value!r} must be a prize value of 0 or more")
    if not 1 <= len(c.prefix) <= layout.MAX_PREFIX or any(
        ch not in crockford.ALPHABET for ch in c.prefix
    ):
        raise bad(
            f"prefix {c.prefix!r} must be 1 to {layout.MAX_PREFIX} of {crockford.ALPHABET}"
            " (no I, L, O or U, upper case)"
        )
    if not 1 <= c.capacity <= layout.MAX_SERIALS:
        raise bad(f"capacity must be from 1 to {layout.MAX_SERIALS:,}, not {c.capacity:,}")
    if not 1 <= c.key_version <= layout.MAX_KEY_VERSION:
        raise bad(f"key version must be from 1 to {layout.MAX_KEY_VERSION}")
    if not c.tiers or len(c.tiers) > layout.MAX_TIERS:
        raise bad(f"a campaign needs 1 to {layout.MAX_TIERS} tiers")
    names = [t.name for t in c.tiers]
    for name in names:
        if not _TIER_NAME.match(name):
            raise bad(f"tier name {name!r} must be 1-32 lower-case letters, digits, '_' or '-'")
    if len(set(names)) != len(names):
        raise bad("tier names must be different from each other")
    remainders = [t for t in c.tiers if t.count is None]
    if len(remainders) > 1:
        raise bad("only one tier can take the remainder (name:*)")
    if any(t.count is not None and t.count < 0 for t in c.tiers):
        raise bad("tier counts cannot be negative")
    rates = [t for t in c.tiers if t.every is not None]
    if rates:
        _validate_rates(c, rates)
    else:
        fixed = sum(t.count for t in c.tiers if t.count is not None)
        if remainders and fixed > c.capacity:
            raise bad(f"tiers ask for {fixed:,} codes but the capacity is {c.capacity:,}")
        if not remainders and fixed != c.capacity:
            raise bad(
                f"tiers cover {fixed:,} codes but the capacity is {c.capacity:,};"
                " give a remainder tier such as reward:* or set the capacity to match"
            )
    if not 0 <= c.issued <= c.capacity:
        raise bad(f"issued count {c.issued:,} must be between 0 and the capacity")
    if c.starts_at and c.ends_at and c.ends_at <= c.starts_at:
        raise bad("the campaign must end after it starts")
    return c


def _validate_rates(c: Campaign, rates: list[Tier]) -> None:
    def bad(message: str) -> InstoreError:
        return InstoreError("bad_campaign", message)

    if any(t.every is None and t.count is not None for t in c.tiers):
        raise bad(
            "plan every tier as a rate (gold:1/10000) or every tier as a count (gold:10),"
            " with one remainder tier (music:*)"
        )
    for t in rates:  # a rate tier has both numbers: parse_tiers and from_dict make them so
        every, count = t.every or 0, t.count or 0
        if every < 1 or not 0 <= count <= every:
            raise bad(f"tier {t.name!r}: a rate K/N needs 0 <= K <= N and N >= 1")
    block = c.block()
    if block > c.capacity or c.capacity % block:
        raise bad(
            f"with these rates the plan repeats every {block:,} serials; the capacity"
            f" ({c.capacity:,}) must be a multiple of {block:,}"
        )
    shares = sum(n for t, n in zip(c.tiers, c.block_counts(), strict=True) if t.every)
    if shares > block or (not any(t.count is None for t in c.tiers) and shares != block):
        raise bad(
            f"the rates add up to {shares:,} in every {block:,} codes;"
            " they must leave room for the remainder tier (name:*) or add up exactly"
        )


def to_dict(c: Campaign) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "prefix": c.prefix,
        "capacity": c.capacity,
        "key_version": c.key_version,
        "issued": c.issued,
        "master_key_file": c.master_key_file,
        "key_check": c.key_check,
    }
    if c.registered_with:
        data["registered_with"] = c.registered_with
    if c.plan_version != 1:
        data["plan_version"] = c.plan_version
    if c.ask_details:
        data["ask_details"] = True
    if c.claims_per_phone != 3:
        data["claims_per_phone"] = c.claims_per_phone
    if c.sms_countries:
        data["sms_countries"] = list(c.sms_countries)
    if c.approval_value:
        data["approval_value"] = c.approval_value
    if c.winners_list:
        data["winners_list"] = True
    if c.starts_at:
        data["starts_at"] = c.starts_at
    if c.ends_at:
        data["ends_at"] = c.ends_at
    data["tiers"] = [
        {
            "name": t.name,
            "count": t.spec(),
            "value": t.value,
            "description": t.description,
            **({"delivery": t.kind} if t.kind != "instant" else {}),
            **({"claim_days": t.claim_days} if t.kind == "claim" and t.claim_days != 30 else {}),
        }
        for t in c.tiers
    ]
    return data


def _kind(value: Any) -> TierKind:
    if value not in TIER_KINDS:
        raise InstoreError(
            "bad_campaign", f"a tier's delivery is 'instant' or 'claim', not {value!r}"
        )
    return cast(TierKind, value)


def _countries(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, str) and len(v) == 2 and v.isalpha() and v.isascii() for v in value
    ):
        raise InstoreError(
            "bad_campaign", f"sms_countries lists two-letter regions (IN, KZ), not {value!r}"
        )
    return tuple(v.upper() for v in value)


def _claim_days(value: Any) -> int:
    if type(value) is not int or not 1 <= value <= 3660:
        raise InstoreError("bad_campaign", f"a tier's claim_days is 1 to 3660 days, not {value!r}")
    return value


def _when(value: Any, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InstoreError("bad_campaign", f"{name} {value!r} is not a date and time") from None
    if not isinstance(value, datetime):
        raise InstoreError("bad_campaign", f"{name} must be a date and time")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def from_dict(data: dict[str, Any], path: Path | None = None) -> Campaign:
    try:
        tiers = tuple(
            replace(
                _tier(
                    str(t["name"]),
                    t["count"],
                    value=float(t.get("value", 0)),
                    description=str(t.get("description", "")),
                ),
                kind=_kind(t.get("delivery", t.get("kind", "instant"))),
                claim_days=_claim_days(t.get("claim_days", 30)),
            )
            for t in data["tiers"]
        )
        campaign = Campaign(
            id=str(data["id"]),
            prefix=str(data["prefix"]),
            tiers=tiers,
            capacity=int(data.get("capacity", DEFAULT_CAPACITY)),
            name=str(data.get("name", "")),
            starts_at=_when(data.get("starts_at"), "starts_at"),
            ends_at=_when(data.get("ends_at"), "ends_at"),
            key_version=int(data.get("key_version", 1)),
            issued=int(data.get("issued", 0)),
            master_key_file=str(data.get("master_key_file", "")),
            key_check=str(data.get("key_check", "")),
            registered_with=str(data.get("registered_with", "")),
            ask_details=data.get("ask_details", False) is True,
            plan_version=int(data.get("plan_version", 1)),
            claims_per_phone=int(data.get("claims_per_phone", 3)),
            sms_countries=_countries(data.get("sms_countries", ())),
            approval_value=float(data.get("approval_value", 0.0)),
            winners_list=data.get("winners_list", False) is True,
            path=path,
        )
    except KeyError as exc:
        raise InstoreError("bad_campaign", f"campaign file lacks {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise InstoreError("bad_campaign", f"campaign file has a wrong value: {exc}") from None
    return validate(campaign)


def load(path: Path) -> Campaign:
    """Read a campaign file (.toml, or .json), checking it makes sense."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InstoreError("file_missing", f"campaign file {path} does not exist") from None
    except OSError as exc:
        raise InstoreError("file_unreadable", f"cannot read campaign file {path}: {exc}") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(raw)
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InstoreError("bad_campaign", f"campaign file {path} is not valid: {exc}") from None
    if not isinstance(data, dict):
        raise InstoreError("bad_campaign", f"campaign file {path} is not a campaign")
    return from_dict(data, path=path)


def save(campaign: Campaign, path: Path) -> Campaign:
    """Write atomically: a crash never leaves half a campaign file."""
    validate(campaign)
    data = to_dict(campaign)
    if path.suffix.lower() == ".json":
        for name in ("starts_at", "ends_at"):
            if name in data:
                data[name] = data[name].isoformat()
        text = json.dumps(data, indent=2) + "\n"
    else:
        text = tomli_w.dumps(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; a campaign file holds no secret
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return replace(campaign, path=path)


@dataclass(frozen=True)
class NewCampaign:
    campaign: Campaign
    key: bytes
    plan_seed: bytes | None
    master_key_path: Path
    master_key_created: bool


def create(
    out: Path,
    campaign_id: str,
    prefix: str,
    tiers: tuple[Tier, ...] | None = None,
    capacity: int | None = None,
    name: str = "",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    master_key: Path | None = None,
    ask_details: bool = False,
    force: bool = False,
) -> NewCampaign:
    """Write a new campaign file, and its master key file unless one exists.

    Without tiers the plan is one tier covering the whole capacity; without a capacity it is the
    default when a tier takes the remainder, else the sum of the tiers. An existing campaign
    file is replaced only with `force`; a master key file never is (other campaigns need it).
    """
    if out.exists() and not force:
        raise InstoreError(
            "exists",
            f"campaign file {out} already exists; choose another --out, or replace it with"
            " --force (codes printed from it stop checking unless the new plan matches)",
        )
    key_path = master_key or out.parent / "master.key"
    tiers = tiers or (Tier("reward", None),)
    if capacity is None:
        open_ended = any(t.count is None or t.every for t in tiers)
        capacity = DEFAULT_CAPACITY if open_ended else sum(t.count or 0 for t in tiers)
    try:  # stored relative to the campaign file, so the pair can move together
        stored_key_path = str(key_path.resolve().relative_to(out.parent.resolve()))
    except ValueError:
        stored_key_path = str(key_path.resolve())
    draft = validate(
        Campaign(
            id=campaign_id,
            prefix=prefix.strip().upper(),
            tiers=tiers,
            capacity=capacity,
            name=name,
            starts_at=starts_at,
            ends_at=ends_at,
            master_key_file=stored_key_path,
            plan_version=2,
            ask_details=ask_details,
            path=out,
        )
    )
    created = keys.create_master_key(key_path)
    key, seed = draft.issuer_keys()
    saved = save(replace(draft, key_check=keys.key_check_value(key)), out)
    return NewCampaign(saved, key, seed, key_path, created)
