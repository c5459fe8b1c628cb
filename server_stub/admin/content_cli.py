"""`instore admin campaign content`: a campaign's texts, pictures and look for the kiosks."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from server_stub.catalog import campaign_content

Command = Callable[
    [Any, str, str, Callable[[Engine, argparse.Namespace], int]], argparse.ArgumentParser
]
Say = Callable[[argparse.Namespace, dict[str, Any], str], int]


def summary(whose: str, items: str, done: dict[str, Any]) -> str:
    """What a content load stored, as a manager reads it (the program's content says the same)."""
    text = (
        f"{whose}: texts in {', '.join(done['languages']) or 'no language'} for {items},"
        f" {done['pictures']} picture(s) ({done['picture_bytes']:,} bytes),"
        f" {'a theme' if done['theme'] else 'no theme'}; kiosks get it at their next sync"
    )
    if done["missing"]:
        text += "\nmissing (kiosks show English there): " + "; ".join(done["missing"])
    return text


def register(campaign: Any, command: Command, say: Say) -> None:
    def load(engine: Engine, args: argparse.Namespace) -> int:
        done = campaign_content.load_content(engine, args.campaign, args.file)
        items = f"{len(done['tiers'])} tier(s)" + (
            f" and {len(done['wheel'])} wheel outcome(s)" if done["wheel"] else ""
        )
        text = summary(f"campaign {done['campaign']}", items, done)
        return say(args, done, text)

    p = command(
        campaign, "content",
        "load what shoppers see of a campaign on the kiosks: its name, each prize's name, a one"
        " line description and a picture, in each language (the bonus wheel's prizes too: set"
        " the wheel first), and the brand's look (colours, logo,"
        " attract-screen pictures). The file is TOML (see docs/campaign-content.md);"
        " pictures are PNG or JPEG files beside it, at most 512 KB each once re-encoded. A theme"
        " whose text or buttons are hard to read (contrast below 4.5:1) is refused and the pair"
        " named. Loading again replaces the campaign's content",
        load,
    )  # fmt: skip
    p.add_argument("--campaign", required=True, metavar="CAMPAIGN_ID",
                   help="the campaign, as 'instore admin campaign list' shows it")  # fmt: skip
    p.add_argument("--file", required=True, type=Path, metavar="CONTENT_TOML",
                   help="the content file, e.g. docs/examples/campaign-content/content.toml")  # fmt: skip
