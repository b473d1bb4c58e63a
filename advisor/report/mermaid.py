"""Mermaid flowchart of the architecture after the rewrites (`--format mermaid`), for
Markdown renderers that draw Mermaid natively (GitHub, GitLab, many wikis).

Same visual language as the Graphviz diagrams, as far as Mermaid can say it: one shape
and class (colour) per category, edges by mode (sync -->, async -.->, stream ==>, poll
-.-> labelled "poll"), groups as subgraphs. `side="before"` draws the original.

The output is always one valid Mermaid document (paste it into one ```mermaid block or
save it as `.mmd`): several input files become one flowchart with a subgraph per file (in input order),
since concatenated `flowchart` headers are not a document Mermaid accepts.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from advisor import catalog
from advisor.render.style import edge_text, short_title, style

SHAPES = {
    "client": ("([", "])"),
    "edge": ("{{", "}}"),
    "compute": ("(", ")"),
    "messaging": (">", "]"),
    "stream": ("[/", "/]"),
    "orchestration": ("[[", "]]"),
    "storage": ("[(", ")]"),
    "identity": ("{{", "}}"),
    "security": ("{{", "}}"),
    "observability": ("[", "]"),
    "external": ("[", "]"),
    "other": ("[", "]"),
}
ARROWS = {"sync": "-->", "async": "-.->", "stream": "==>", "poll": "-.->"}


def _text(value: str) -> str:
    """Mermaid label text: quotes and angle brackets as entities."""
    return value.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _ids(names: list[str], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = prefix + "n_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
        ident, i = base, 2
        while ident in used:
            ident, i = f"{base}_{i}", i + 1
        used.add(ident)
        out[name] = ident
    return out


def _body(arch: Any, prefix: str, depth: int) -> tuple[list[str], dict[str, list[str]]]:
    """Node, group and edge lines of one architecture (ids prefixed, so several files
    share one document), and the node ids per category for the class lines."""
    names = arch.node_names()
    ids = _ids(names, prefix)
    lines: list[str] = []
    tree: dict[tuple[str, ...], list[str]] = {}
    for n in names:
        tree.setdefault(tuple(arch.graph.nodes[n].get("group") or ()), []).append(n)
    paths = sorted({p[:i] for p in tree for i in range(1, len(p) + 1)})
    gid = {p: f"{prefix}g{i}" for i, p in enumerate(paths)}

    def node_line(n: str, indent: str) -> str:
        kind = arch.kind(n)
        left, right = SHAPES.get(catalog.category_of(kind), SHAPES["other"])
        return f'{indent}{ids[n]}{left}"{_text(n)}<br/>{_text(short_title(kind))}"{right}'

    def emit(path: tuple[str, ...], level: int) -> None:
        indent = "  " * level
        for n in tree.get(path, []):
            lines.append(node_line(n, indent))
        for child in [p for p in paths if len(p) == len(path) + 1 and p[: len(path)] == path]:
            lines.append(f'{indent}subgraph {gid[child]}["{_text(child[-1])}"]')
            emit(child, level + 1)
            lines.append(f"{indent}end")

    emit((), depth)
    indent = "  " * depth
    for a, b, data in arch.edges_sorted():
        mode = data.get("mode") or "sync"
        label = edge_text(data)
        if mode == "poll":
            label = f"poll {label}".strip()
        arrow = ARROWS.get(mode, "-->")
        mid = f'|"{_text(label)}"|' if label else ""
        lines.append(f"{indent}{ids[a]} {arrow}{mid} {ids[b]}")
    members: dict[str, list[str]] = {}
    for n in names:
        members.setdefault(catalog.category_of(arch.kind(n)), []).append(ids[n])
    return lines, members


def _classes(members: dict[str, list[str]]) -> list[str]:
    cats = style()["categories"]
    lines = []
    for cat in sorted(members):
        s = cats.get(cat, cats["other"])
        lines.append(f"  classDef cat_{cat} fill:{s['fill']},stroke:{s['color']},color:#000")
    for cat in sorted(members):
        lines.append(f"  class {','.join(members[cat])} cat_{cat}")
    return lines


def diagram(arch: Any) -> str:
    """One `flowchart LR` for an Architecture."""
    lines = ["flowchart LR", f"  %% {_text(arch.name)}"]
    body, members = _body(arch, "", 1)
    lines += body + _classes(members)
    return "\n".join(lines) + "\n"


def document(archs: list[tuple[str, Any]]) -> str:
    """Several files as ONE Mermaid document: one flowchart with a subgraph per file
    (titled with its source; files top to bottom in input order, each left to right),
    ids prefixed per file so equal names do not merge.
    A file that did not parse (arch None) is a comment line."""
    # top to bottom between files (so they read in input order), left to right inside
    lines = ["flowchart TB"]
    members: dict[str, list[str]] = {}
    drawn: list[str] = []
    for i, (source, arch) in enumerate(archs, start=1):
        if arch is None:
            lines.append(f"  %% {_text(source)}: not parsed")
            continue
        lines.append(f'  subgraph f{i}["{_text(source)}"]')
        lines.append("    direction LR")
        body, mine = _body(arch, f"f{i}_", 2)
        lines += body
        lines.append("  end")
        for cat, ids in mine.items():
            members.setdefault(cat, []).extend(ids)
        drawn.append(f"f{i}")
    # invisible links keep the files in input order (Mermaid places unlinked
    # subgraphs as it likes)
    lines += [f"  {a} ~~~ {b}" for a, b in pairwise(drawn)]
    lines += _classes(members)
    return "\n".join(lines) + "\n"


def write(report: Any, *, side: str = "after", **_: Any) -> str:
    """One valid Mermaid document: the single file's flowchart, or, for several files,
    one flowchart with a subgraph per file."""
    archs = [
        (str(r.source), getattr(r, side, None) or getattr(r, "before", None))
        for r in report.results
    ]
    if len(archs) == 1 and archs[0][1] is not None:
        return diagram(archs[0][1])
    return document(archs)
