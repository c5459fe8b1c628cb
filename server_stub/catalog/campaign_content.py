"""A campaign's content for shoppers: its name, each tier's and each bonus wheel outcome's name,
description and picture in each language, and its theme (colours, logo, attract-screen pictures),
read from a brand's TOML file (docs/campaign-content.md), checked, stored, and handed to devices with the
campaign's grant."""

from __future__ import annotations

import base64
import re
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from server_stub.catalog.campaign_setup import load_campaigns
from server_stub.catalog.device_config import bump_config_version
from server_stub.catalog.pictures import Picture, checked_picture
from server_stub.database.content_tables import campaign_content
from server_stub.database.wheel_tables import wheels
from server_stub.errors import ApiError, not_found
from sync.protocol import (
    MAX_CONTENT_PICTURES_BYTES,
    MIN_CONTRAST,
    CampaignContent,
    PictureData,
    ThemeContent,
    TierContent,
)

_LANG = re.compile(r"[a-z]{2,3}")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_TEXT = 300
THEME_COLOURS = ("primary", "background", "text", "button_text")


def bad_content(message: str) -> ApiError:
    return ApiError(422, "bad_content", message)


def only_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise bad_content(f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(allowed)}")


def read_texts(value: Any, where: str) -> dict[str, str]:
    """A table of language to words, English among them (the words a kiosk falls back to)."""
    if not isinstance(value, dict) or not value:
        raise bad_content(
            f'{where} is a table of language to words, e.g. {where} = {{ en = "..." }}'
        )
    for lang, words in value.items():
        if not _LANG.fullmatch(lang):
            raise bad_content(f"{where}: {lang!r} is not a language code such as en, hi, ru or kk")
        if not isinstance(words, str) or not words.strip() or _CONTROL.search(words):
            raise bad_content(f"{where}.{lang} is one line of words")
        if len(words) > MAX_TEXT:
            raise bad_content(f"{where}.{lang} is {len(words)} characters; at most {MAX_TEXT}")
    if "en" not in value:
        raise bad_content(
            f"{where} needs English (en): a kiosk shows it where a language lacks words"
        )
    return {lang: words.strip() for lang, words in value.items()}


class PictureFiles:
    """The pictures a file names, each checked once, by their SHA-256."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.found: dict[str, Picture] = {}

    def ref(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise bad_content(f'{where} is a picture file\'s name, e.g. "gold.png"')
        path = self.folder / value
        if not path.is_file():
            raise bad_content(f"{where}: no picture file {value} beside the content file")
        picture = checked_picture(path)
        self.found[picture.sha256] = picture
        return picture.sha256

    def inline(self, whose: str) -> dict[str, PictureData]:
        """The pictures as the wire carries them, all of them within the limit together."""
        total = sum(len(p.data) for p in self.found.values())
        if total > MAX_CONTENT_PICTURES_BYTES:
            raise bad_content(f"the pictures come to {total:,} bytes once re-encoded; {whose}"
                              f" pictures reach every device, so at most"
                              f" {MAX_CONTENT_PICTURES_BYTES:,}")  # fmt: skip
        return {
            sha: PictureData(kind=p.kind, data=base64.b64encode(p.data).decode())  # type: ignore[arg-type]
            for sha, p in self.found.items()
        }


def read_theme(value: Any, pictures: PictureFiles) -> ThemeContent:
    if not isinstance(value, dict):
        raise bad_content(
            "[theme] is a table: primary, background, text, button_text, logo, attract"
        )
    only_keys(value, (*THEME_COLOURS, "logo", "attract"), "[theme]")
    for name in THEME_COLOURS:
        if name not in value and name != "button_text":
            raise bad_content(f'[theme] needs {name}, a colour such as "#1a1a1a"')
        if name in value and not (isinstance(value[name], str) and _COLOUR.fullmatch(value[name])):
            raise bad_content(f'[theme] {name} is a colour written #rrggbb, e.g. "#1a1a1a"')
    attract = value.get("attract", [])
    if not isinstance(attract, list) or len(attract) > 8:
        raise bad_content("[theme] attract is a list of up to 8 picture files")
    theme = ThemeContent(
        primary=value["primary"].lower(), background=value["background"].lower(),
        text=value["text"].lower(), button_text=value.get("button_text", "#ffffff").lower(),
        logo=pictures.ref(value["logo"], "[theme] logo") if "logo" in value else "",
        attract=[pictures.ref(p, f"[theme] attract[{n}]") for n, p in enumerate(attract)],
    )  # fmt: skip
    weak = theme.weak_pair()
    if weak is not None:
        pair, ratio = weak
        fore, back = pair.split("/")
        raise ApiError(
            422, "low_contrast",
            f"[theme] {fore} {getattr(theme, fore)} on {back} {getattr(theme, back)} has a"
            f" contrast of {ratio:.2f}:1; shoppers need {MIN_CONTRAST}:1 or more ({pair})",
        )  # fmt: skip
    return theme


def read_toml(path: Path) -> dict[str, Any]:
    """A content file's tables, or a refusal saying why it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise bad_content(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise bad_content(f"{path.name} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise bad_content(f"{path.name} is not valid TOML: {exc}") from None


def read_item(table: Any, where: str, pictures: PictureFiles) -> TierContent:
    """One prize's `name`, `description` (tables of language to words) and `picture`, from its
    table `where` ("tiers.gold", "prizes.cinema-ticket")."""
    if not isinstance(table, dict):
        raise bad_content(f"[{where}] is a table with name, description and picture")
    only_keys(table, ("name", "description", "picture"), f"[{where}]")
    return TierContent(
        name=read_texts(table["name"], f"{where}.name") if "name" in table else {},
        description=(
            read_texts(table["description"], f"{where}.description")
            if "description" in table else {}
        ),
        picture=pictures.ref(table["picture"], f"[{where}] picture") if "picture" in table else "",
    )  # fmt: skip


def read_content(path: Path, tiers: list[str], wheel: Sequence[str] = ()) -> CampaignContent:
    """The content file at `path` for a campaign of these tiers and bonus wheel outcomes (their
    labels; none: it has no wheel), checked; pictures beside it."""
    data = read_toml(path)
    only_keys(data, ("name", "tiers", "wheel", "theme"), path.name)
    pictures = PictureFiles(path.parent)
    content = CampaignContent()
    if "name" in data:
        content.name = read_texts(data["name"], "name")
    given = data.get("tiers", {})
    if not isinstance(given, dict):
        raise bad_content("tiers are tables: [tiers.gold] with name, description and picture")
    for tier, table in given.items():
        if tier not in tiers:
            raise bad_content(f"unknown tier {tier!r}: the campaign's tiers are {', '.join(tiers)}")
        content.tiers[tier] = read_item(table, f"tiers.{tier}", pictures)
    outcomes = data.get("wheel", {})
    if not isinstance(outcomes, dict):
        raise bad_content('the wheel\'s outcomes are tables: [wheel.cap], [wheel."50 points"]')
    for label, table in outcomes.items():
        if label not in wheel:
            raise bad_content(
                f"unknown wheel outcome {label!r}: the wheel's outcomes are"
                f" {', '.join(repr(w) for w in wheel)}" if wheel else
                f"[wheel.{label}]: the campaign has no bonus wheel yet; set it first"
                " (instore admin wheel set), then load its outcomes' words"
            )  # fmt: skip
        content.wheel[label] = read_item(table, f"wheel.{label}", pictures)
    if "theme" in data:
        content.theme = read_theme(data["theme"], pictures)
    content.pictures = pictures.inline("a campaign's")
    return content


def wheel_labels(conn: Connection, campaign: str) -> list[str]:
    """The labels of the campaign's bonus wheel, in the order it was set ([] for no wheel). The
    wheel stores its outcomes as 'instore admin wheel set' takes them: '50 points:40,cap:1'."""
    spec = conn.execute(select(wheels.c.outcomes).where(wheels.c.campaign == campaign)).scalar()
    return [part.rpartition(":")[0] for part in spec.split(",")] if spec else []


def missing_texts(content: CampaignContent) -> list[str]:
    """Each text that lacks a language the file uses elsewhere, e.g. 'tiers.gold.description: kk'
    (a kiosk shows English there)."""
    items = [(f"tiers.{tier}", t) for tier, t in content.tiers.items()]
    items += [(f"wheel.{label}", t) for label, t in content.wheel.items()]
    tables = [("name", content.name)] + [
        (f"{where}.{field}", getattr(t, field))
        for where, t in items for field in ("name", "description")
    ]  # fmt: skip
    langs = sorted({lang for _, table in tables for lang in table})
    return [
        f"{where}: {', '.join(lacking)}"
        for where, table in tables
        if table and (lacking := [lang for lang in langs if lang not in table])
    ]


def load_content(engine: Engine, campaign_id: str, path: Path) -> dict[str, Any]:
    """Check the content file and store it as the campaign's (replacing what it had): devices
    get it at their next sync."""
    with engine.connect() as conn:
        found = [c for c, _ in load_campaigns(conn) if c.id == campaign_id]
        labels = wheel_labels(conn, campaign_id)
    if not found:
        raise not_found(f"campaign {campaign_id}")
    content = read_content(path, [t.name for t in found[0].tiers], labels)
    data = content.model_dump_json()
    with engine.begin() as conn:
        at = campaign_content.c.campaign_id == campaign_id
        if not conn.execute(update(campaign_content).where(at).values(data=data,
                                                                        updated=time.time())).rowcount:  # fmt: skip
            conn.execute(campaign_content.insert().values(
                campaign_id=campaign_id, data=data, updated=time.time()))  # fmt: skip
        bump_config_version(conn)
    sizes = [len(base64.b64decode(p.data)) for p in content.pictures.values()]
    return {
        "campaign": campaign_id,
        "languages": sorted({lang for table in _all_texts(content) for lang in table}),
        "tiers": sorted(content.tiers), "wheel": list(content.wheel),
        "pictures": len(sizes), "picture_bytes": sum(sizes),
        "theme": content.theme is not None, "missing": missing_texts(content),
    }  # fmt: skip


def _all_texts(content: CampaignContent) -> list[dict[str, str]]:
    items = [*content.tiers.values(), *content.wheel.values()]
    return [content.name] + [t for x in items for t in (x.name, x.description)]
