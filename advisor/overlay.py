"""A copy of a design that copies only what is touched (copy on access).

Every alternative of every finding is the design with one rewrite applied. Copying the
whole graph for each (`engine.edit.fast_copy`) makes a design's analysis quadratic in its
size: a 60,000-resource template has tens of thousands of alternatives. `overlay_copy`
gives a graph that reads through to the original and copies a node's attributes, or a
node's adjacency, the first time it is looked up (a caller may change what it gets), so
a rewrite costs what it touches. It behaves as the full copy would: the same nodes, edges
and attributes, iterated in the same order (a node removed and added again comes last,
as in a dict), and changes to it never reach the original.

The original must not change while an overlay of it is in use (the engine never changes
the design it builds alternatives of; `changed_nodes` relies on that too).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import networkx as nx

from advisor.model import Architecture


class CopyOnAccess(MutableMapping[Any, Any]):
    """A mapping read through to `base`; a base value is copied (`copy(key, value)`) into
    this one the first time it is looked up, and changed only here."""

    __slots__ = ("added", "base", "copy", "gone", "local")

    def __init__(self, base: Any, copy: Callable[[Any, Any], Any]) -> None:
        self.base = base
        self.copy = copy
        self.local: dict[Any, Any] = {}  # base keys, copied, in their base position
        self.added: dict[Any, Any] = {}  # new keys (and base keys removed then re-added)
        self.gone: set[Any] = set()  # base keys removed

    def __getitem__(self, key: Any) -> Any:
        added = self.added
        if key in added:
            return added[key]
        local = self.local
        if key in local:
            return local[key]
        if key in self.gone:
            raise KeyError(key)
        value = self.copy(key, self.base[key])
        local[key] = value
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        if key in self.added or key in self.gone or key not in self.base:
            self.added[key] = value
        else:
            self.local[key] = value

    def __delitem__(self, key: Any) -> None:
        if key in self.added:
            del self.added[key]
        elif key in self.gone or key not in self.base:
            raise KeyError(key)
        else:
            self.local.pop(key, None)
            self.gone.add(key)

    def __contains__(self, key: object) -> bool:
        return key in self.added or (key not in self.gone and key in self.base)

    def __iter__(self) -> Iterator[Any]:
        gone = self.gone
        if gone:
            yield from (k for k in self.base if k not in gone)
        else:
            yield from self.base
        yield from self.added

    def __len__(self) -> int:
        return len(self.base) - len(self.gone) + len(self.added)

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def keys_seen(self) -> set[Any]:
        """Every key this mapping copied, added or removed: all that can differ."""
        return {*self.local, *self.added, *self.gone}


def node_order(g: nx.DiGraph) -> dict[Any, int]:
    """Each node's position in `g`, worked out once per graph (kept in networkx's own
    cache of the graph, which networkx clears when nodes or edges come or go)."""
    cache = g.__networkx_cache__
    got = cache.get("advisor_node_order")
    if got is None or len(got) != len(g):
        got = cache["advisor_node_order"] = {n: i for i, n in enumerate(g)}
    return got  # type: ignore[no-any-return]


# what networkx's constructor gives an empty DiGraph; when it is this, an overlay's graph
# is made as it would make it and then set, without its dispatching constructor (an
# analysis makes one per alternative); else through the constructor
_PLAIN_GRAPH = set(nx.DiGraph().__dict__) == {
    "graph", "_node", "_adj", "_succ", "_pred", "__networkx_cache__"}


def _graph_over(node: Any, succ: Any, pred: Any) -> nx.DiGraph:
    """A DiGraph whose node and adjacency maps are these (as `nx.DiGraph()` with them
    assigned)."""
    if _PLAIN_GRAPH:
        g = object.__new__(nx.DiGraph)
        g.__dict__.update(graph={}, _node=node, _adj=succ, _succ=succ, _pred=pred,
                          __networkx_cache__={})
        return g
    g = nx.DiGraph()
    g._node = node
    g._adj = g._succ = succ
    g._pred = pred
    return g


def overlay_copy(arch: Architecture) -> Architecture:
    """A copy of `arch` that copies nodes and adjacencies only when they are looked up
    (`fast_copy`'s result: node and edge attributes and their props can be changed
    independently of `arch`; prop values are replaced, never changed in place)."""
    g = arch.graph
    edge_copies: dict[tuple[Any, Any], dict[str, Any]] = {}

    def edge(a: Any, b: Any, data: dict[str, Any]) -> dict[str, Any]:
        # one copy per edge, shared by its source's successors and its target's
        # predecessors, as in a networkx graph
        got = edge_copies.get((a, b))
        if got is None:
            got = edge_copies[(a, b)] = {**data, "props": dict(data.get("props") or {})}
        return got

    succ = CopyOnAccess(g._succ, lambda a, nbrs: {b: edge(a, b, d) for b, d in nbrs.items()})
    def preds(b: Any, nbrs: dict[Any, Any]) -> dict[Any, Any]:
        # a full copy adds the edges source by source: its predecessors come in the
        # order of the nodes, not in the order the original's edges were added
        if len(nbrs) < 2:  # (one order only)
            return {a: edge(a, b, d) for a, d in nbrs.items()}
        order = node_order(g)
        return {a: edge(a, b, nbrs[a]) for a in sorted(nbrs, key=order.__getitem__)}

    new = _graph_over(CopyOnAccess(g._node, lambda n, d: {**d, "props": dict(d["props"])}),
                      succ, CopyOnAccess(g._pred, preds))
    new.overlay_of = g  # type: ignore[attr-defined]
    return Architecture(
        name=arch.name, graph=new,
        workload=copy.deepcopy(arch.workload) if arch.workload else type(arch.workload)(),
        groups=list(arch.groups), source=arch.source, format=arch.format,
        notes=list(arch.notes),
    )


def linked(adjacency: Any, a: Any, b: Any) -> bool:
    """Whether `adjacency[a]` holds `b` (an edge a -> b), read without copying into an
    overlay (`CopyOnAccess`): a check that only asks counts nothing as changed. (What an
    overlay has not copied has the base's keys: an edge comes or goes on both sides.)"""
    if type(adjacency) is CopyOnAccess:
        for held in (adjacency.added, adjacency.local):
            nbrs = held.get(a)
            if nbrs is not None:
                return b in nbrs
        if a in adjacency.gone:
            return False
        adjacency = adjacency.base
    nbrs = adjacency.get(a)
    return nbrs is not None and b in nbrs


def changed_nodes(after: Architecture, before: Architecture) -> set[str] | None:
    """The only nodes of `after` (an `overlay_copy` of `before`, then changed) that can
    differ from `before`'s, or whose edges can: what it copied, added or removed. None
    when `after` is not an overlay of `before`."""
    g = after.graph
    if getattr(g, "overlay_of", None) is not before.graph:
        return None
    maps = (g._node, g._succ, g._pred)
    if not all(type(m) is CopyOnAccess for m in maps):  # (not an ABC instance check each)
        return None
    out: set[str] = set()
    for m in maps:
        out |= m.keys_seen()  # type: ignore[attr-defined]
    return out


def drop_views(arch: Architecture) -> None:
    """Forget the views networkx keeps on `arch`'s graph that point back at the graph
    (`edges`, `in_degree`, ...: cached on first use, made again when next asked for).
    They make every graph a reference cycle, which only the cyclic collector frees: an
    alternative's design whose views are dropped is freed as soon as it is let go, so a
    large design's tens of thousands of alternatives need not wait for a collection
    (which, with the collector paused through an analysis, would be its end)."""
    g = arch.graph
    attrs = g.__dict__
    for name in [k for k, v in attrs.items() if getattr(v, "_graph", None) is g]:
        del attrs[name]


__all__ = ["CopyOnAccess", "changed_nodes", "drop_views", "linked", "overlay_copy"]
