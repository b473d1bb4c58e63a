"""Which nodes and edges a rewrite removed, added or changed: the diff diagram's input.

Status is computed from the two graphs alone (not from the change log), so a diagram
always matches what the two architectures really contain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.model import Architecture

STATUSES = ("removed", "added", "changed", "same")


@dataclass
class GraphDiff:
    """Status per node name and per (source, target) edge, in sorted order."""

    nodes: dict[str, str] = field(default_factory=dict)
    edges: dict[tuple[str, str], str] = field(default_factory=dict)
    refs: dict[tuple[str, str, str], str] = field(default_factory=dict)

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
        else:
            out.nodes[name] = "same"
    for a, b in sorted(set(before.graph.edges) | set(after.graph.edges)):
        if not after.graph.has_edge(a, b):
            out.edges[a, b] = "removed"
        elif not before.graph.has_edge(a, b):
            out.edges[a, b] = "added"
        elif _edge_key(before, a, b) != _edge_key(after, a, b):
            out.edges[a, b] = "changed"
        else:
            out.edges[a, b] = "same"
    b_refs, a_refs = set(ref_edges(before)), set(ref_edges(after))
    for ref in sorted(b_refs | a_refs):
        out.refs[ref] = "removed" if ref not in a_refs else "added" if ref not in b_refs else "same"
    return out
