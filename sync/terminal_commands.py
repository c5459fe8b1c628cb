"""`instore terminal ...` with the server: `init --server` enrolls, and an enrolled device's
commands are online-first.

The terminal part may not import sync (layers), so its CLI takes the enroller and the way to open
a device as parameters, and this module, above both, puts them together.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from terminal import cli
from terminal.engine import Terminal
from terminal.ledger import Device


def _enroll(path: Path, server_url: str, token: str) -> Device:
    # imported here: a till's every command starts quickly without the HTTP client and pydantic
    from sync.enroll import enroll

    return enroll(path, server_url, token)


@contextmanager
def _open(path: Path) -> Iterator[Terminal]:
    """Online-first on an enrolled device, as at a till: a code redeemed elsewhere is refused at
    once and balances come from the server; with no answer in time, the offline rules. The next
    sync sends what was recorded."""
    from sync.online import OnlineDevice

    device = OnlineDevice(path, background=False)
    try:
        yield device.terminal
    finally:
        device.close()


def register(parser: argparse.ArgumentParser) -> None:
    cli.register(parser, enroller=_enroll, opener=_open)
