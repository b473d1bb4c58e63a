"""Editing a working copy of an Architecture: the primitives every rewrite is made of.

`fast_copy` gives a copy that can be changed independently; an `Editor` adds nodes under
free names, sets props, adds or merges edges, and records which nodes it touched (the
fixpoint re-matches around them). `snapshot`/`restore` let an alternative be applied
atomically (advisor/engine/ops.py). A rewrite that cannot be made safely raises
`Refused`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from advisor import catalog
from advisor.memo import once
from advisor.model import Architecture
from advisor.overlay import node_order


class Refused(Exception):
    """The alternative cannot be applied safely to this match. `violations`: the safety
    invariants it failed ({invariant, why}), when that is the reason."""

    def __init__(self, message: str, violations: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.violations = list(violations or ())


@dataclass
class Delta:
    """What one alternative did, as the safety invariants read it: the neighbourhood as it
    was (`nodes`, `edges`: the snapshot taken before the first op), the design as it is
    now (`after`, live), the nodes it added and touched. Local by construction: a check
    costs the size of the neighbourhood, not of the design."""

    nodes: dict[str, Any]
    edges: dict[tuple[str, str], Any]
    after: Architecture
    added: list[str]
    touched: set[str]
    pattern_id: str = ""
    alternative: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # the pattern's match params

    @once
    def removed(self) -> list[str]:
        """Nodes of the neighbourhood that no longer exist (worked out once: a delta is
        read after its rewrite, when the design no longer changes)."""
        nd = self.after.graph._node
        return sorted(n for n in self.nodes if n not in nd)

    def before_kind(self, n: str) -> str | None:
        data = self.nodes.get(n)
        return data["kind"] if data else None

    def before_props(self, n: str) -> dict[str, Any]:
        data = self.nodes.get(n)
        return dict(data["props"]) if data else {}

    def before_preds(self, n: str) -> list[str]:
        return sorted(a for (a, b) in self.edges if b == n)

    def before_succs(self, n: str) -> list[str]:
        return sorted(b for (a, b) in self.edges if a == n)

    @once
    def new_edges(self) -> list[tuple[str, str]]:
        """Edges of the neighbourhood that exist now and did not before."""
        g = self.after.graph
        pred, succ = g._pred, g._succ
        edges = self.edges
        out = set()
        for n in set(self.touched) | set(self.added):
            if n not in succ:
                continue
            out.update((p, n) for p in pred[n] if (p, n) not in edges)
            out.update((n, q) for q in succ[n] if (n, q) not in edges)
        return sorted(out)

    @once
    def failures(self) -> set[str]:
        """Failure destinations named around what changed (DLQs, on-failure targets)."""
        return self.after.failure_destinations(set(self.touched) | set(self.added))

    @once
    def structural(self) -> bool:
        """Nodes or edges came or went (else only props changed)."""
        if self.added or self.removed or self.new_edges:
            return True
        succ = self.after.graph._succ
        return any(b not in succ.get(a, ()) for a, b in self.edges)


def fast_copy(arch: Architecture) -> Architecture:
    """A copy whose graph, node props and edge props can be changed independently.

    Prop values are treated as immutable (ops replace them, never mutate in place), so
    this is much cheaper than `copy.deepcopy` on a 100k-node graph.
    """
    g = arch.graph
    new = nx.DiGraph()
    new.add_nodes_from((n, {**d, "props": dict(d["props"])}) for n, d in g.nodes(data=True))
    new.add_edges_from(
        (a, b, {**d, "props": dict(d.get("props") or {})}) for a, b, d in g.edges(data=True)
    )
    return Architecture(
        name=arch.name, graph=new, workload=copy.deepcopy(arch.workload),
        groups=list(arch.groups), source=arch.source, format=arch.format,
        notes=list(arch.notes),
    )


class Editor:
    """Changes `arch` in place and records the nodes it touched.

    `pristine_of`: the graph `arch`'s is an untouched copy of (an alternative's overlay,
    advisor/overlay.py). The first alternative's snapshot then reads that graph, which
    never changes, instead of copying what it reads of the copy; and should that
    alternative be refused, the copy is left as it is, to be dropped by its owner, not
    restored."""

    def __init__(self, arch: Architecture, pristine_of: nx.DiGraph | None = None) -> None:
        self.arch = arch
        self.g = arch.graph
        self.pristine_of = pristine_of
        self.touched: set[str] = set()
        self.last_touched: set[str] = set()  # what the last alternative applied touched
        self.added: list[str] = []
        self.last_added: tuple[str, ...] = ()  # what the last alternative applied added
        self.last_delta: Delta | None = None  # what the last checked alternative did

    def new_node(self, name: str, kind: str, props: dict[str, Any],
                 group: tuple[str, ...] = ()) -> str:
        """Add a node under a free name (name, name_2, ...); returns the name used."""
        name = self._unique(name)
        self.g.add_node(name, kind=kind, props=dict(props), loc=None, group=tuple(group),
                        ignore=frozenset(), source_id=None)
        self.added.append(name)
        self.touched.add(name)
        return name

    # ------------------------------------------------------------ primitives
    def set_props(self, n: str, props: dict[str, Any]) -> None:
        self.g._node[n]["props"].update(props)
        self.touched.add(n)

    def _unique(self, name: str) -> str:
        if name not in self.g:
            return name
        i = 2
        while f"{name}_{i}" in self.g:
            i += 1
        return f"{name}_{i}"

    def add_edge(self, a: str, b: str, mode: str | None, props: dict[str, Any],
                 label: str | None = None) -> None:
        """Add a -> b (mode from the catalog when None), or merge `props` into it."""
        if a == b:
            return
        mode = mode or catalog.default_edge_mode(self.g._node[a]["kind"], self.g._node[b]["kind"])
        if self.g.has_edge(a, b):
            data = self.g._succ[a][b]
            data["props"] = {**data.get("props", {}), **props}
        else:
            self.g.add_edge(a, b, mode=mode, label=label, props=dict(props), loc=None)
        self.touched.update((a, b))

    def snapshot(self, region: set[str], base: nx.DiGraph | None = None) -> dict[str, Any]:
        """Node and edge attributes around a match (props copied; values are immutable);
        `base`: the graph this one is an untouched copy of, whose own attributes are
        taken (it never changes), the predecessors in the order the copy gives them."""
        if base is not None:
            bn, bp, bs = base._node, base._pred, base._succ
            nodes = {n: bn[n] for n in region if n in bn}
            edges = {}
            for n in nodes:
                preds = bp[n]
                for a in (sorted(preds, key=node_order(base).__getitem__) if len(preds) > 1
                          else preds):
                    edges[(a, n)] = preds[a]
                for b, d in bs[n].items():
                    edges[(n, b)] = d
            return {"nodes": nodes, "edges": edges}
        nd, pred, succ = self.g._node, self.g._pred, self.g._succ  # no view objects
        nodes = {n: {**nd[n], "props": dict(nd[n]["props"])} for n in region if n in nd}
        edges = {}
        for n in nodes:
            for a, d in pred[n].items():
                edges[(a, n)] = {**d, "props": dict(d.get("props") or {})}
            for b, d in succ[n].items():
                edges[(n, b)] = {**d, "props": dict(d.get("props") or {})}
        return {"nodes": nodes, "edges": edges}

    def restore(self, snap: dict[str, Any], added: list[str]) -> None:
        g = self.g
        for n in added:
            if n in g:
                g.remove_node(n)
        for n in snap["nodes"]:
            if n in g:
                g.remove_node(n)
        for n, d in snap["nodes"].items():
            g.add_node(n, **d)
        for (a, b), d in snap["edges"].items():
            if a in g and b in g:
                g.add_edge(a, b, **d)
