"""docs/architecture.md's diagrams are what docs/architecture.toml and pyproject.toml say now,
and those name parts that exist."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests import architecture_diagram as diagram

ROOT = Path(__file__).resolve().parents[1]


def test_the_diagrams_are_current() -> None:
    page = diagram.PAGE.read_text(encoding="utf-8")
    assert diagram.render(page, diagram.blocks()) == page, (
        "docs/architecture.md is out of date: run `make docs`"
    )
    assert "flowchart LR" in page and "subgraph store" in page  # drawn, not empty blocks


def test_every_part_drawn_is_in_the_checkout_and_every_package_is_drawn() -> None:
    flows = diagram.read_flows()
    folders = {node["folder"] for node in flows["nodes"].values() if "folder" in node}
    for folder in folders:
        assert (ROOT / folder).exists(), f"docs/architecture.toml names {folder}, which is gone"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for package in pyproject["tool"]["importlinter"]["root_packages"]:
        drawn = [f for f in folders if f == package or f.startswith(f"{package}/")]
        assert drawn, f"the package {package} is in no diagram of docs/architecture.toml"


def test_every_room_in_the_layers_is_a_room_of_the_server() -> None:
    drawn = diagram.rooms_diagram(tomllib.loads((ROOT / "pyproject.toml").read_text()))
    rooms = [r.strip() for line in drawn.splitlines()[1:] if '["' in line
             for r in line.split('["')[1].rstrip('"]').split("·")]  # fmt: skip
    assert "device_api" in rooms and "database" in rooms
    for room in rooms:
        here = ROOT / "server_stub"
        assert (here / room / "__init__.py").exists() or (here / f"{room}.py").exists(), room


def _sources(tmp_path: Path, flows: str) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "docs" / "architecture.toml").write_text(flows)
    return tmp_path


def test_a_flow_to_a_node_nobody_declared_is_refused(tmp_path: Path) -> None:
    root = _sources(tmp_path, """
[views]
codes = "A code"
[nodes]
kiosk = { label = "kiosk", kind = "part", folder = "kiosk", where = "store" }
[[flow]]
view = "codes"
from = "kiosk"
to = "terminl"
what = "redeem"
""")  # fmt: skip
    with pytest.raises(diagram.DiagramError, match="to 'terminl' is not a node"):
        diagram.blocks(root)


def test_a_label_that_would_end_the_diagram_early_is_refused(tmp_path: Path) -> None:
    root = _sources(tmp_path, """
[views]
codes = "A code"
[nodes]
kiosk = { label = 'the "kiosk"', kind = "part", where = "store" }
""")  # fmt: skip
    with pytest.raises(diagram.DiagramError, match="node kiosk: a label must be plain words"):
        diagram.blocks(root)


def test_a_stale_page_is_found_and_redrawn() -> None:
    page = diagram.PAGE.read_text(encoding="utf-8")
    stale = page.replace("layer1 --> layer2", "layer2 --> layer1", 1)
    assert stale != page
    assert diagram.render(stale, diagram.blocks()) == page
    with pytest.raises(diagram.DiagramError, match="blocks missing \\['rooms'\\]"):
        diagram.render(page.replace("<!-- generated: rooms -->", ""), diagram.blocks())
