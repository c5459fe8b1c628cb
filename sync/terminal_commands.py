"""`instore terminal ...` with enrollment: the terminal's commands, and `init --server` through sync.

The terminal part may not import sync (layers), so its CLI takes the enroller as a parameter and
this module, above both, puts them together.
"""

from __future__ import annotations

import argparse

from sync.enroll import enroll
from terminal import cli


def register(parser: argparse.ArgumentParser) -> None:
    cli.register(parser, enroller=enroll)
