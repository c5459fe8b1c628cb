"""The diagrams of docs/architecture.md, drawn as Mermaid from files in the repository.

    .venv/bin/python -m tests.architecture_diagram           # `make docs` runs it
    .venv/bin/python -m tests.architecture_diagram --check   # exit 1 when the page is stale

Three sources, so a diagram cannot say what the code does not:
- the data flows: docs/architecture.toml (parts, people, outside services, what flows);
- who may import whom: the import contracts in pyproject.toml that `lint-imports` holds;
- the server's rooms: the layers contract on `server_stub` in the same file.

Each diagram sits in the page between `<!-- generated: NAME -->` and `<!-- end: NAME -->`; the
words around them are written by hand. tests/test_architecture_docs.py checks the page is current.
"""

from __future__ import annotations

import itertools
import re
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
FLOWS = ROOT / "docs" / "architecture.toml"
PYPROJECT = ROOT / "pyproject.toml"

KINDS = ("part", "person", "outside", "data")
PLACES = {"store": "in the store: one SQLite ledger per device", "central": "the central server"}
_ID = re.compile(r"[a-z][a-z0-9_]*")
_BLOCK = re.compile(r"(<!-- generated: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- end: (?P=name) -->)",
                    re.S)  # fmt: skip


class DiagramError(ValueError):
    """A source file says something the diagram cannot draw; the message names it."""


def _label(text: str, where: str) -> str:
    """Words inside Mermaid's quotes: a quote or a bracket-pipe would end the label early."""
    if not text or any(c in text for c in '"|`\n'):
        raise DiagramError(f'{where}: a label must be plain words without " | ` or a line break')
    return text


def _node(node_id: str, node: dict[str, Any]) -> str:
    label = _label(node["label"], f"node {node_id}")
    shape = {"part": '["{}"]', "person": '(["{}"])', "outside": '[/"{}"/]', "data": '[("{}")]'}
    return f"{node_id}{shape[node['kind']].format(label)}"


def read_flows(path: Path = FLOWS) -> dict[str, Any]:
    """docs/architecture.toml, checked: every node known, every flow between known nodes."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise DiagramError(f"{path.name}: {e}") from e
    views, nodes, flows = data.get("views", {}), data.get("nodes", {}), data.get("flow", [])
    for node_id, node in nodes.items():
        if not _ID.fullmatch(node_id):
            raise DiagramError(f"node {node_id!r}: ids are lower case letters, digits and _")
        if node.get("kind") not in KINDS:
            raise DiagramError(f"node {node_id}: kind must be one of {', '.join(KINDS)}")
        if node.get("where", "") not in ("", *PLACES):
            raise DiagramError(f"node {node_id}: where must be store or central")
        _label(node.get("label", ""), f"node {node_id}")
    for n, flow in enumerate(flows, 1):
        for end in ("from", "to"):
            if flow.get(end) not in nodes:
                raise DiagramError(f"flow {n}: {end} {flow.get(end)!r} is not a node")
        if flow.get("view") not in views:
            raise DiagramError(f"flow {n}: view {flow.get('view')!r} is not in [views]")
        _label(flow.get("what", ""), f"flow {n}")
    return {"views": views, "nodes": nodes, "flows": flows}


def flow_diagram(flows: dict[str, Any], view: str) -> str:
    """One view's flows as a Mermaid flowchart, the store's and the server's parts boxed."""
    nodes, edges = flows["nodes"], [f for f in flows["flows"] if f["view"] == view]
    used = list(dict.fromkeys(end for f in edges for end in (f["from"], f["to"])))
    lines = ["flowchart LR"]
    for place, title in PLACES.items():
        inside = [n for n in used if nodes[n].get("where") == place]
        if inside:
            lines.append(f'  subgraph {place}["{title}"]')
            lines += [f"    {_node(n, nodes[n])}" for n in inside]
            lines.append("  end")
    lines += [f"  {_node(n, nodes[n])}" for n in used if not nodes[n].get("where")]
    lines += [f'  {f["from"]} -->|"{f["what"]}"| {f["to"]}' for f in edges]
    return "\n".join(lines)


def _contracts(pyproject: dict[str, Any]) -> list[dict[str, Any]]:
    contracts: list[dict[str, Any]] = pyproject["tool"]["importlinter"]["contracts"]
    return contracts


def _siblings(layer: str) -> list[str]:
    return [name.strip() for name in layer.split("|")]


def package_diagram(pyproject: dict[str, Any]) -> str:
    """Which top-level package may import which: the layers contract without a container, and
    each forbidden contract whose source is one package (what is left of the project for it,
    plus the modules its ignore_imports let through)."""
    roots: list[str] = pyproject["tool"]["importlinter"]["root_packages"]
    edges: list[str] = []
    for contract in _contracts(pyproject):
        if contract["type"] == "layers" and not contract.get("containers"):
            layers = [_siblings(layer) for layer in contract["layers"]]
            for upper, lower in itertools.pairwise(layers):
                edges += [f"  {a} --> {b}" for a in upper for b in lower]
    for contract in _contracts(pyproject):
        sources = contract.get("source_modules", [])
        if contract["type"] != "forbidden" or len(sources) != 1 or sources[0] not in roots:
            continue
        source, forbidden = sources[0], set(contract["forbidden_modules"])
        edges += [f"  {source} --> {r}" for r in roots if r != source and r not in forbidden]
        for rule in contract.get("ignore_imports", []):
            module = rule.split("->")[1].strip()
            package = module.split(".")[0]
            edges.append(f'  {source} -->|"{module} only"| {package}')
    return "\n".join(["flowchart TB", *[f"  {r}" for r in roots], *edges])


def rooms_diagram(pyproject: dict[str, Any]) -> str:
    """The server's rooms, top to bottom: a room imports only rooms below it."""
    for contract in _contracts(pyproject):
        if contract["type"] == "layers" and contract.get("containers") == ["server_stub"]:
            layers = contract["layers"]
            break
    else:
        raise DiagramError("pyproject.toml has no layers contract on server_stub")
    lines = ["flowchart TB"]
    for n, layer in enumerate(layers):
        lines.append(f'  layer{n}["{"  ·  ".join(_siblings(layer))}"]')
    lines += [f"  layer{n} --> layer{n + 1}" for n in range(len(layers) - 1)]
    return "\n".join(lines)


def contract_list(pyproject: dict[str, Any]) -> str:
    """Every import contract's name, as `lint-imports` reports it."""
    return "\n".join(f"- {c['name']}" for c in _contracts(pyproject))


def blocks(root: Path = ROOT) -> dict[str, str]:
    """Every generated block of the page, by name."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    flows = read_flows(root / "docs" / "architecture.toml")
    out = {f"flow-{view}": _mermaid(flow_diagram(flows, view)) for view in flows["views"]}
    out["packages"] = _mermaid(package_diagram(pyproject))
    out["rooms"] = _mermaid(rooms_diagram(pyproject))
    out["contracts"] = contract_list(pyproject) + "\n"
    return out


def _mermaid(diagram: str) -> str:
    return f"```mermaid\n{diagram}\n```\n"


def render(page: str, generated: dict[str, str]) -> str:
    """The page with each generated block replaced; a block the page lacks, or one it has that
    nothing generates, is an error (a renamed view would otherwise leave a stale picture)."""
    found = {m["name"] for m in _BLOCK.finditer(page)}
    if found != set(generated):
        missing, unknown = sorted(set(generated) - found), sorted(found - set(generated))
        raise DiagramError(f"docs/architecture.md: blocks missing {missing}, unknown {unknown}")
    return _BLOCK.sub(lambda m: m[1] + generated[m["name"]] + m[4], page)


def main(argv: Sequence[str] = ()) -> int:
    try:
        page = PAGE.read_text(encoding="utf-8")
        new = render(page, blocks())
    except DiagramError as e:
        print(f"architecture diagram: {e}", file=sys.stderr)
        return 2
    if "--check" in argv:
        if new != page:
            print("docs/architecture.md is out of date: run `make docs`", file=sys.stderr)
            return 1
        return 0
    if new != page:
        PAGE.write_text(new, encoding="utf-8")
        print("docs/architecture.md: diagrams redrawn")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
