"""Mermaid flowcharts (`--format mermaid`, `diff.mmd` of `advisor report`), for Markdown
renderers that draw Mermaid natively (GitHub, GitLab, many wikis).

Same visual language as the Graphviz diagrams, as far as Mermaid can say it: one shape
and class (colour) per category, edges by mode (sync -->, async -.->, stream ==>, poll
-.-> labelled "poll"), a DLQ / on-failure reference as a grey -.-o arrow labelled with
its prop, groups as subgraphs, `⚠ N errors` under a node with error findings.
`side="before"` draws the original, `side="after"` (default) the rewritten design,
`side="diff"` the union with the diff marks of the Graphviz diff: removed = red class,
`✕` and the name struck through; added = green, `+`; changed = amber, `~` and the
changed props (`throttling: off -> on`); the status word is in the label too (Mermaid
has no legend). Status is colour + mark only: every edge keeps its mode's arrow.

The output is always one valid Mermaid document (paste it into one ```mermaid block or
save it as `.mmd`): several input files become one flowchart with a subgraph per file (in
input order), since concatenated `flowchart` headers are not a document Mermaid accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from advisor import catalog
from advisor.render import badges
from advisor.render.diff import GraphDiff, diff, ref_edges
from advisor.render.style import (
    badge_words,
    edge_text,
    short_title,
    shown_changes,
    status_label,
    style,
)

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
REF_ARROW = "-.-o"
REF_COLOR = "#8D99A6"
SIDES = ("before", "after", "diff")


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


@dataclass
class _Doc:
    """What the class and linkStyle lines at the end need: node ids per class, link
    indexes (Mermaid counts every link, `~~~` included, in document order) per style."""

    classes: dict[str, list[str]] = field(default_factory=dict)
    links: dict[str, list[int]] = field(default_factory=dict)
    count: int = 0

    def link(self, style_key: str | None) -> None:
        if style_key:
            self.links.setdefault(style_key, []).append(self.count)
        self.count += 1


@dataclass
class _View:
    """One drawing: nodes (name -> data), edges, refs, and their statuses (diff only)."""

    name: str
    nodes: dict[str, dict[str, Any]]
    edges: list[tuple[str, str, dict[str, Any]]]
    refs: list[tuple[str, str, str]]
    status: GraphDiff | None = None
    errors: dict[str, int | None] = field(default_factory=dict)


def _view(arch: Any, errors: Any = None) -> _View:
    return _View(arch.name, {n: arch.graph.nodes[n] for n in arch.node_names()},
                 arch.edges_sorted(), ref_edges(arch), None, badges.normalize(errors))


def _diff_view(before: Any, after: Any, errors: Any = None) -> _View:
    status = diff(before, after)
    nodes = {n: (before if s == "removed" else after).graph.nodes[n] for n, s in status.nodes.items()}
    edges = [(a, b, (before if s == "removed" else after).graph.edges[a, b])
             for (a, b), s in status.edges.items()]
    return _View(after.name or before.name, nodes, edges, list(status.refs), status,
                 badges.normalize(errors))


def _node_label(v: _View, n: str) -> str:
    data = v.nodes[n]
    kind = str(data.get("kind", "resource"))
    st = v.status.nodes.get(n, "same") if v.status else "same"
    spec = style()["status"][st]
    name = _text(n)
    if spec.get("strike"):
        name = f"<s>{name}</s>"
    head = f"{_text(spec['mark'])} {name}" if spec["mark"] else name
    lines = [head, _text(short_title(kind)) + (f" · {spec['word']}" if st != "same" else "")]
    changes = v.status.node_changes.get(n, []) if v.status else []
    lines += [_text(c) for c in shown_changes(changes)]
    if n in v.errors and st != "removed":
        lines.append(badge_words(v.errors[n]))
    return "<br/>".join(lines)


def _edge_label(data: dict[str, Any], status: str, changes: list[str]) -> tuple[str, str | None]:
    """(label, style key): the edge's own text, poll marked, status mark in front."""
    mode = data.get("mode") or "sync"
    label = edge_text(data)
    if mode == "poll":
        label = f"poll {label}".strip()
    if status == "same":
        return label, None
    if status == "changed" and changes:
        text = f"{style()['status'][status]['mark']} " + "; ".join(changes)
    else:
        text = status_label(status, label)
    return text, f"st_{status}"


def _body(v: _View, prefix: str, depth: int, doc: _Doc) -> list[str]:
    """Node, group and edge lines of one drawing (ids prefixed, so several files share one
    document); classes and link styles are recorded in `doc`."""
    names = sorted(v.nodes)
    ids = _ids(names, prefix)
    lines: list[str] = []
    tree: dict[tuple[str, ...], list[str]] = {}
    for n in names:
        tree.setdefault(tuple(v.nodes[n].get("group") or ()), []).append(n)
    paths = sorted({p[:i] for p in tree for i in range(1, len(p) + 1)})
    gid = {p: f"{prefix}g{i}" for i, p in enumerate(paths)}

    def node_line(n: str, indent: str) -> str:
        kind = str(v.nodes[n].get("kind", "resource"))
        left, right = SHAPES.get(catalog.category_of(kind), SHAPES["other"])
        return f'{indent}{ids[n]}{left}"{_node_label(v, n)}"{right}'

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
    for a, b, data in v.edges:
        status = v.status.edges.get((a, b), "same") if v.status else "same"
        changes = v.status.edge_changes.get((a, b), []) if v.status else []
        label, key = _edge_label(data, status, changes)
        arrow = ARROWS.get(data.get("mode") or "sync", "-->")
        mid = f'|"{_text(label)}"|' if label else ""
        lines.append(f"{indent}{ids[a]} {arrow}{mid} {ids[b]}")
        doc.link(key)
    for a, b, prop in v.refs:
        if a not in ids or b not in ids:
            continue
        status = v.status.refs.get((a, b, prop), "same") if v.status else "same"
        label = status_label(status, prop) if status != "same" else prop
        lines.append(f'{indent}{ids[a]} {REF_ARROW}|"{_text(label)}"| {ids[b]}')
        doc.link(f"st_{status}" if status != "same" else "ref")
    for n in names:
        st = v.status.nodes.get(n, "same") if v.status else "same"
        key = f"st_{st}" if st != "same" else f"cat_{catalog.category_of(str(v.nodes[n].get('kind')))}"
        doc.classes.setdefault(key, []).append(ids[n])
    return lines


def _styles(doc: _Doc) -> list[str]:
    cats = style()["categories"]
    statuses = style()["status"]
    lines = []
    for key in sorted(doc.classes):
        kind, _, name = key.partition("_")
        if kind == "cat":
            s = cats.get(name, cats["other"])
            lines.append(f"  classDef {key} fill:{s['fill']},stroke:{s['color']},color:#000")
        else:
            s = statuses[name]
            lines.append(f"  classDef {key} fill:{s['fill']},stroke:{s['color']},"
                         f"stroke-width:3px,color:{s['color']}")
    for key in sorted(doc.classes):
        lines.append(f"  class {','.join(doc.classes[key])} {key}")
    for key in sorted(doc.links):
        indexes = ",".join(str(i) for i in doc.links[key])
        if key == "ref":
            lines.append(f"  linkStyle {indexes} stroke:{REF_COLOR},stroke-width:1px,color:{REF_COLOR}")
        else:
            color = statuses[key.partition("_")[2]]["color"]
            lines.append(f"  linkStyle {indexes} stroke:{color},stroke-width:2.5px,color:{color}")
    return lines


def _single(v: _View) -> str:
    doc = _Doc()
    lines = ["flowchart LR", f"  %% {_text(v.name)}"]
    lines += _body(v, "", 1, doc) + _styles(doc)
    return "\n".join(lines) + "\n"


def diagram(arch: Any, *, errors: Any = None) -> str:
    """One `flowchart LR` for an Architecture; `errors` (findings, {node: count} or
    names) put `⚠ N errors` under their nodes."""
    return _single(_view(arch, errors))


def diff_diagram(before: Any, after: Any, *, errors: Any = None) -> str:
    """One `flowchart LR` of the union of before and after with the diff marks; `errors`
    are the error findings left after the rewrite."""
    return _single(_diff_view(before, after, errors))


def _views(report: Any, side: str) -> list[tuple[str, _View | None]]:
    if side not in SIDES:
        raise ValueError(f"unknown side {side!r}; use one of {', '.join(SIDES)}")
    out: list[tuple[str, _View | None]] = []
    for r in report.results:
        before, after = getattr(r, "before", None), getattr(r, "after", None) or getattr(r, "before", None)
        findings = list(getattr(r, "findings", None) or ())
        if before is None:
            out.append((str(r.source), None))
        elif side == "before":
            out.append((str(r.source), _view(before, badges.found(findings))))
        else:
            left = badges.remaining(findings, getattr(r, "changes", None) or (), after)
            view = _diff_view(before, after, left) if side == "diff" else _view(after, left)
            out.append((str(r.source), view))
    return out


def document(views: list[tuple[str, _View | None]]) -> str:
    """Several files as ONE Mermaid document: one flowchart with a subgraph per file
    (titled with its source; files top to bottom in input order, each left to right),
    ids prefixed per file so equal names do not merge.
    A file that did not parse (view None) is a comment line."""
    lines = ["flowchart TB"]
    doc = _Doc()
    drawn: list[str] = []
    for i, (source, view) in enumerate(views, start=1):
        if view is None:
            lines.append(f"  %% {_text(source)}: not parsed")
            continue
        lines.append(f'  subgraph f{i}["{_text(source)}"]')
        lines.append("    direction LR")
        lines += _body(view, f"f{i}_", 2, doc)
        lines.append("  end")
        drawn.append(f"f{i}")
    # invisible links keep the files in input order (Mermaid places unlinked
    # subgraphs as it likes); they count as links for linkStyle indexes
    for a, b in pairwise(drawn):
        lines.append(f"  {a} ~~~ {b}")
        doc.link(None)
    lines += _styles(doc)
    return "\n".join(lines) + "\n"


def write(report: Any, *, side: str = "after", **_: Any) -> str:
    """One valid Mermaid document: the single file's flowchart, or, for several files,
    one flowchart with a subgraph per file."""
    views = _views(report, side)
    if len(views) == 1 and views[0][1] is not None:
        return _single(views[0][1])
    return document(views)
