"""The loyalty program's content for shoppers: each catalogue prize's name and one line of
description per language and its picture, and the program's theme (colours, logo, attract-screen
pictures), read from a TOML file (docs/campaign-content.md, "The program's content"), checked as
a campaign's content is (the same picture limits, English required), stored, and handed to
devices with their config. A campaign's own theme wins over the program's on a kiosk."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from server_stub.catalog import device_config
from server_stub.catalog.campaign_content import (
    PictureFiles,
    bad_content,
    only_keys,
    read_item,
    read_theme,
    read_toml,
)
from server_stub.database.content_tables import program_content
from server_stub.database.schema import configs
from sync.protocol import ProgramContent

ROW = 1  # the program has one row of content


def catalogue_ids(conn: Connection) -> list[str]:
    """Every prize id of the chain's catalogue and of each store's own, sorted."""
    ids: set[str] = set()
    for row in conn.execute(select(configs.c.data)):
        data = json.loads(row.data)
        ids |= {str(item.get("id", "")) for item in data.get("catalogue", [])}
    return sorted(ids - {""})


def read_program_content(path: Path, prizes: list[str]) -> ProgramContent:
    """The file at `path` checked, for a catalogue of these prize ids; pictures beside it."""
    data = read_toml(path)
    only_keys(data, ("prizes", "theme"), path.name)
    pictures = PictureFiles(path.parent)
    content = ProgramContent()
    given = data.get("prizes", {})
    if not isinstance(given, dict):
        raise bad_content(
            "prizes are tables: [prizes.cinema-ticket] with name, description and picture"
        )
    for prize, table in given.items():
        if prize not in prizes:
            known = ", ".join(prizes) or "none yet (add them with 'instore admin catalogue set')"
            raise bad_content(f"unknown prize {prize!r}: the catalogue's prizes are {known}")
        content.prizes[prize] = read_item(table, f"prizes.{prize}", pictures)
    if "theme" in data:
        content.theme = read_theme(data["theme"], pictures)
    content.pictures = pictures.inline("the program's")
    return content


def missing_texts(content: ProgramContent) -> list[str]:
    """Each text that lacks a language the file uses elsewhere, e.g. 'prizes.cinema.name: kk'."""
    tables = [
        (f"prizes.{prize}.{field}", getattr(words, field))
        for prize, words in content.prizes.items()
        for field in ("name", "description")
    ]
    langs = sorted({lang for _, table in tables for lang in table})
    return [
        f"{where}: {', '.join(lacking)}"
        for where, table in tables
        if table and (lacking := [lang for lang in langs if lang not in table])
    ]


def load_program_content(engine: Engine, path: Path) -> dict[str, Any]:
    """Check the file and store it as the program's content (replacing what it had): devices
    get it at their next sync."""
    with engine.connect() as conn:
        content = read_program_content(path, catalogue_ids(conn))
    data = content.model_dump_json()
    with engine.begin() as conn:
        at = program_content.c.id == ROW
        stored = update(program_content).where(at).values(data=data, updated=time.time())
        if not conn.execute(stored).rowcount:
            conn.execute(program_content.insert().values(id=ROW, data=data, updated=time.time()))
        device_config.bump_config_version(conn)
    sizes = [len(base64.b64decode(p.data)) for p in content.pictures.values()]
    texts = [t for words in content.prizes.values() for t in (words.name, words.description)]
    return {
        "languages": sorted({lang for table in texts for lang in table}),
        "prizes": sorted(content.prizes),
        "pictures": len(sizes),
        "picture_bytes": sum(sizes),
        "theme": content.theme is not None,
        "missing": missing_texts(content),
    }


def program_content_for_devices(conn: Connection) -> ProgramContent | None:
    """The program's content as devices are sent it; None when it has none."""
    data = conn.execute(select(program_content.c.data).where(program_content.c.id == ROW)).scalar()
    return None if data is None else ProgramContent.model_validate_json(data)
