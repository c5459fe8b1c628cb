"""Building instore's wheel as `pip install .` does, from a clean copy of the checkout.

A copy, because setuptools builds inside the source tree: a `build/` folder an earlier build left
there would slip its files into the wheel and hide a pattern missing from pyproject.toml.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# what a fresh clone does not have: the folders .gitignore names, and git's own
LEFT_OUT = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "instore-data", "artifacts",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis",
)  # fmt: skip


def build_wheel(out: Path) -> Path:
    """The wheel, built into `out` (its sources copied to `out/source`, links kept as links)."""
    source = out / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=LEFT_OUT)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"pip wheel failed:\n{done.stdout}{done.stderr}")
    (wheel,) = out.glob("instore-*.whl")
    return wheel
