"""Which nodes and edges a rewrite removed, added or changed, and what changed on them:
the diff diagram's input.

Status and details are computed from the two graphs alone (not from the change log), so a
diagram always matches what the two architectures really contain. A changed element says
what changed as `prop: before -> after` lines (`throttling: off -> on`, `mode: sync ->
async`), with catalog defaults standing in for props a side does not state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.model import Architecture

STATUSES = ("removed", "added", "changed", "same")


@dataclass
class GraphDiff:
    """Status per node name and per (source, target) edge, in sorted order."""

    nodes: dict[str, str] = field(default_factory=dict)
    edges: dict[tuple[str, str], str] = field(default_factory=dict)
    refs: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # `prop: before -> after` lines of every changed node / edge (sorted by prop)
    node_changes: dict[str, list[str]] = field(default_factory=dict)
    edge_changes: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for s in self.nodes.values() if s == status) + sum(
            1 for s in self.edges.values() if s == status
        )


def _node_key(arch: Architecture, name: str) -> tuple[Any, ...]:
    data = arch.graph.nodes[name]
    return (data.get("kind"), _norm(data.get("props", {})), tuple(data.get("group", ())))


def _edge_key(arch: Architecture, a: str, b: str) -> tuple[Any, ...]:
    data = arch.graph.edges[a, b]
    return (data.get("mode"), data.get("label"), _norm(data.get("props", {})))


def _norm(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((str(k), _norm(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_norm(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def ref_edges(arch: Architecture) -> list[tuple[str, str, str]]:
    """(owner, target, prop) for props that name another node (a DLQ, an on-failure
    destination, an enrichment): drawn as reference arrows so a DLQ is not left floating.
    Skipped where a real edge already joins the two."""
    from advisor import catalog

    out: set[tuple[str, str, str]] = set()
    for name in arch.node_names():
        kind = arch.kind(name)
        for prop, value in (arch.graph.nodes[name].get("props") or {}).items():
            spec = catalog.prop_spec(kind, prop)
            if spec is not None and spec.type == "ref" and isinstance(value, str):
                out.add((name, value, prop))
    edge_specs = catalog.edge_props()
    for a, b, data in arch.edges_sorted():
        for prop, value in (data.get("props") or {}).items():
            spec = edge_specs.get(prop)
            if spec is not None and spec.type == "ref" and isinstance(value, str):
                out.add((b if prop in ("on_failure", "on_success") else a, value, prop))
    return sorted(
        (a, b, p) for a, b, p in out if b in arch.graph and a != b and not arch.graph.has_edge(a, b)
    )


def _line(what: str, old: str, new: str) -> str:
    return f"{what}: {old} -> {new}"


def _props_lines(kind_before: str | None, kind_after: str | None, old: dict[str, Any],
                 new: dict[str, Any]) -> list[str]:
    from advisor.render.style import value_text  # the catalog: only a diff with props needs it

    lines = []
    for prop in sorted(set(old) | set(new), key=str):
        a, b = old.get(prop), new.get(prop)
        if _norm(a) == _norm(b):
            continue
        before_text, after_text = value_text(kind_before, prop, a), value_text(kind_after, prop, b)
        if before_text != after_text:
            lines.append(_line(str(prop), before_text, after_text))
    return lines


def node_change_lines(before: Architecture, after: Architecture, name: str) -> list[str]:
    """What changed on a node present on both sides: kind, group, then each prop."""
    b, a = before.graph.nodes[name], after.graph.nodes[name]
    lines = []
    if b.get("kind") != a.get("kind"):
        lines.append(_line("kind", str(b.get("kind")), str(a.get("kind"))))
    if tuple(b.get("group") or ()) != tuple(a.get("group") or ()):
        lines.append(_line("group", "/".join(b.get("group") or ()) or "none",
                           "/".join(a.get("group") or ()) or "none"))
    lines += _props_lines(b.get("kind"), a.get("kind"), dict(b.get("props") or {}),
                          dict(a.get("props") or {}))
    return lines


def edge_change_lines(before: Architecture, after: Architecture, a: str, b: str) -> list[str]:
    """What changed on an edge present on both sides: mode, label, then each edge prop."""
    old, new = before.graph.edges[a, b], after.graph.edges[a, b]
    lines = []
    if old.get("mode") != new.get("mode"):
        lines.append(_line("mode", str(old.get("mode") or "sync"), str(new.get("mode") or "sync")))
    if old.get("label") != new.get("label"):
        lines.append(_line("label", str(old.get("label") or "none"), str(new.get("label") or "none")))
    lines += _props_lines(None, None, dict(old.get("props") or {}), dict(new.get("props") or {}))
    return lines


def diff(before: Architecture, after: Architecture) -> GraphDiff:
    """Status of every node and edge of the union of `before` and `after`."""
    out = GraphDiff()
    for name in sorted(set(before.graph.nodes) | set(after.graph.nodes)):
        if name not in after.graph:
            out.nodes[name] = "removed"
        elif name not in before.graph:
            out.nodes[name] = "added"
        elif _node_key(before, name) != _node_key(after, name):
            out.nodes[name] = "changed"
            out.node_changes[name] = node_change_lines(before, after, name)
        else:
            out.nodes[name] = "same"
    for a, b in sorted(set(before.graph.edges) | set(after.graph.edges)):
        if not after.graph.has_edge(a, b):
            out.edges[a, b] = "removed"
        elif not before.graph.has_edge(a, b):
            out.edges[a, b] = "added"
        elif _edge_key(before, a, b) != _edge_key(after, a, b):
            out.edges[a, b] = "changed"
            out.edge_changes[a, b] = edge_change_lines(before, after, a, b)
        else:
            out.edges[a, b] = "same"
    b_refs, a_refs = set(ref_edges(before)), set(ref_edges(after))
    for ref in sorted(b_refs | a_refs):
        out.refs[ref] = "removed" if ref not in a_refs else "added" if ref not in b_refs else "same"
    return out
