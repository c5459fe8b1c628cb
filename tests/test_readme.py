"""The README's walk-through, run as written, block by block, from a fresh folder.

A newcomer's first hour is these commands; when one of them breaks, this test says which.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[1]

# After a server goes into the background, wait until it answers, as a person would.
_WAIT = (
    '.venv/bin/python -c "import time, requests\n'
    "for _ in range(150):\n"
    "    try:\n"
    "        requests.get('{url}', timeout=1); break\n"
    '    except requests.ConnectionError: time.sleep(0.1)"\n'
)


def walkthrough() -> list[str]:
    """The shell blocks of the README's walk-through, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## What you can do today") : text.index("## The folders")]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def test_the_readme_walkthrough_runs_as_written(tmp_path: Path) -> None:
    blocks = walkthrough()
    assert len(blocks) == 6
    (tmp_path / ".venv").symlink_to(sys.prefix)  # the venv these tests run in
    server, bridge = free_port(), free_port()
    script = (
        "\n".join(blocks).replace(":8000", f":{server}").replace("--port 8000", f"--port {server}")
    )
    script = script.replace(
        "pos serve --db north-till.db", f"pos serve --db north-till.db --port {bridge}"
    )
    lines = []
    for line in script.splitlines():
        lines.append(line)
        if "instore server " in line:
            lines.append(_WAIT.format(url=f"http://127.0.0.1:{server}/v1/health"))
        if "instore pos serve " in line:
            lines.append(_WAIT.format(url=f"http://127.0.0.1:{bridge}/openapi.json"))
        if "instore kiosk " in line and line.endswith("&"):  # until it has shown an answer
            lines.append(
                "for _ in $(seq 300); do ls kiosk-screens/*-result.png && break; sleep 0.1; done"
            )
    body = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null' EXIT\n" + "\n".join(lines)
    (tmp_path / "walkthrough.sh").write_text(body)
    done = subprocess.run(
        ["bash", "walkthrough.sh"], cwd=tmp_path, capture_output=True, text=True, timeout=240,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "Traceback" not in out
    assert "this run holds: gold 1, silver 100, music 9,899" in out
    assert "valid:" in out and "expired:" not in out  # the code check said valid, not expired
    # the status words are for scripts (--json); people read whether the server has it yet
    assert ": Redeemed offline (will sync): " in out and ": Redeemed: " in out
    assert "accepted_offline" not in out and "accepted_online" not in out
    assert "chain intact" in out and "Voided" in out
    assert f"instore server on http://127.0.0.1:{server}" in out
    assert "sync done" in out and "1 accepted" in out
    assert "no conflicts" in out
    # earned at one partner, spent at another, the partners named as people know them
    assert "Mobi Telecom (mobi) owes Volt Electronics (volt) 10.00 for 200 points" in out
    scanned = [line for line in out.splitlines() if line.startswith("run2-qr/")]
    assert len(scanned) == 1 and "Valid code" in scanned[0]  # a printed QR, read at the till
    assert (tmp_path / "out.csv").exists() and (tmp_path / "run1.pdf").exists()
    shown = sorted(p.name for p in (tmp_path / "kiosk-screens").glob("*.png"))
    assert shown[:2] == ["001-attract.png", "002-result.png"], out  # a code from run2, answered


def test_the_folder_table_names_what_exists_and_all_of_it() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## The folders") :].split("\n\n")[1]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    named = [re.match(r"\| `([^`]+)`", row).group(1) for row in rows]  # type: ignore[union-attr]
    mentioned = {path for row in rows for path in re.findall(r"`([\w./]+)`", row)}
    for path in mentioned:
        if not path.startswith(".") and ("/" in path or path.endswith(".py")):
            assert (ROOT / path).exists(), f"the README names {path}, which does not exist"
    folders = {
        f"{p.name}/" for p in ROOT.iterdir()
        if p.is_dir() and not p.name.startswith(".")
        and subprocess.run(["git", "ls-files", "--error-unmatch", p.name], cwd=ROOT,
                           capture_output=True).returncode == 0
    }  # fmt: skip
    assert folders <= set(named), f"folders the README does not name: {folders - set(named)}"
