"""Editing a working copy of an Architecture: the primitives every rewrite is made of.

`fast_copy` gives a copy that can be changed independently; an `Editor` adds nodes under
free names, sets props, adds or merges edges, and records which nodes it touched (the
fixpoint re-matches around them). `snapshot`/`restore` let an alternative be applied
atomically (advisor/engine/ops.py). A rewrite that cannot be made safely raises
`Refused`.
"""

from __future__ import annotations

import copy
from typing import Any

import networkx as nx

from advisor import catalog
from advisor.model import Architecture


class Refused(Exception):
    """The alternative cannot be applied safely to this match."""


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
    """Changes `arch` in place and records the nodes it touched."""

    def __init__(self, arch: Architecture) -> None:
        self.arch = arch
        self.g = arch.graph
        self.touched: set[str] = set()
        self.last_touched: set[str] = set()  # what the last alternative applied touched
        self.added: list[str] = []
        self.last_added: tuple[str, ...] = ()  # what the last alternative applied added

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
        self.g.nodes[n]["props"].update(props)
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
        mode = mode or catalog.default_edge_mode(self.g.nodes[a]["kind"], self.g.nodes[b]["kind"])
        if self.g.has_edge(a, b):
            data = self.g.edges[a, b]
            data["props"] = {**data.get("props", {}), **props}
        else:
            self.g.add_edge(a, b, mode=mode, label=label, props=dict(props), loc=None)
        self.touched.update((a, b))

    def snapshot(self, region: set[str]) -> dict[str, Any]:
        """Node and edge attributes around a match (props copied; values are immutable)."""
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
