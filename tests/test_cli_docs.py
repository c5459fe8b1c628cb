"""docs/cli.md is every command's --help as the commands print it now."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_command_reference_is_current() -> None:
    done = subprocess.run(
        [sys.executable, "instore_cli.py", "--help-pages"], cwd=ROOT, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == done.stdout, "docs/cli.md is out of date: run `make docs`"
    for command in ("instore kiosk", "instore terminal redeem", "instore admin device revoke"):
        assert f"## `{command}`" in written


# "(see docs/campaign-content.md, 'The program's content')": a page, and maybe its section
_PAGE = re.compile(r"docs/([a-z0-9-]+\.md)(?:,\s+'([^']+)')?")


def test_every_page_a_help_points_to_has_what_it_names() -> None:
    """A store manager sent by a --help to a page (and a section of it) finds it there."""
    written = " ".join((ROOT / "docs" / "cli.md").read_text(encoding="utf-8").split())
    pointed = _PAGE.findall(written)
    assert ("campaign-content.md", "") in pointed  # `admin campaign content`'s own page
    for page, section in pointed:
        path = ROOT / "docs" / page
        assert path.is_file(), f"a --help points to docs/{page}, which is not there"
        if section:
            headings = [line.lstrip("#").strip().lower() for line in
                        path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]  # fmt: skip
            assert any(h.startswith(section.lower()) for h in headings), (page, section)
