"""Mermaid flowchart of the architecture after the rewrites (`--format mermaid`), for
Markdown renderers that draw Mermaid natively (GitHub, GitLab, many wikis).

Same visual language as the Graphviz diagrams, as far as Mermaid can say it: one shape
and class (colour) per category, edges by mode (sync -->, async -.->, stream ==>, poll
-.-> labelled "poll"), groups as subgraphs. `side="before"` draws the original.
"""

from __future__ import annotations

import re
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


def _ids(names: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = "n_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
        ident, i = base, 2
        while ident in used:
            ident, i = f"{base}_{i}", i + 1
        used.add(ident)
        out[name] = ident
    return out


def diagram(arch: Any) -> str:
    """One `flowchart LR` for an Architecture."""
    names = arch.node_names()
    ids = _ids(names)
    lines = ["flowchart LR", f"  %% {_text(arch.name)}"]
    tree: dict[tuple[str, ...], list[str]] = {}
    for n in names:
        tree.setdefault(tuple(arch.graph.nodes[n].get("group") or ()), []).append(n)
    paths = sorted({p[:i] for p in tree for i in range(1, len(p) + 1)})
    gid = {p: f"g{i}" for i, p in enumerate(paths)}

    def node_line(n: str, indent: str) -> str:
        kind = arch.kind(n)
        left, right = SHAPES.get(catalog.category_of(kind), SHAPES["other"])
        return f'{indent}{ids[n]}{left}"{_text(n)}<br/>{_text(short_title(kind))}"{right}'

    def emit(path: tuple[str, ...], depth: int) -> None:
        indent = "  " * depth
        for n in tree.get(path, []):
            lines.append(node_line(n, indent))
        for child in [p for p in paths if len(p) == len(path) + 1 and p[: len(path)] == path]:
            lines.append(f'{indent}subgraph {gid[child]}["{_text(child[-1])}"]')
            emit(child, depth + 1)
            lines.append(f"{indent}end")

    emit((), 1)
    for a, b, data in arch.edges_sorted():
        mode = data.get("mode") or "sync"
        label = edge_text(data)
        if mode == "poll":
            label = f"poll {label}".strip()
        arrow = ARROWS.get(mode, "-->")
        mid = f'|"{_text(label)}"|' if label else ""
        lines.append(f"  {ids[a]} {arrow}{mid} {ids[b]}")
    used_cats = sorted({catalog.category_of(arch.kind(n)) for n in names})
    for cat in used_cats:
        s = style()["categories"].get(cat, style()["categories"]["other"])
        lines.append(f"  classDef cat_{cat} fill:{s['fill']},stroke:{s['color']},color:#000")
    for cat in used_cats:
        members = [ids[n] for n in names if catalog.category_of(arch.kind(n)) == cat]
        lines.append(f"  class {','.join(members)} cat_{cat}")
    return "\n".join(lines) + "\n"


def write(report: Any, *, side: str = "after", **_: Any) -> str:
    parts = []
    for r in report.results:
        arch = getattr(r, side, None) or getattr(r, "before", None)
        if arch is None:
            parts.append(f"%% {r.source}: not parsed\n")
            continue
        parts.append(diagram(arch))
    return "\n".join(parts)
