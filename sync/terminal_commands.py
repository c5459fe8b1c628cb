"""`instore terminal ...` with enrollment: the terminal's commands, and `init --server` through sync.

The terminal part may not import sync (layers), so its CLI takes the enroller as a parameter and
this module, above both, puts them together.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from terminal import cli
from terminal.ledger import Device


def _enroll(path: Path, server_url: str, token: str) -> Device:
    # imported here: a till's every command starts quickly without the HTTP client and pydantic
    from sync.enroll import enroll

    return enroll(path, server_url, token)


def register(parser: argparse.ArgumentParser) -> None:
    cli.register(parser, enroller=_enroll)
