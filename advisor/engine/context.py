"""A read view of one Architecture for matching: indexes and prop look-ups.

Built once per matching round so every pattern shares the kind index and the set of
nodes that serve as failure destinations (which a queue-needs-a-DLQ rule must exempt).

Traffic: the engine has no estimates (data flows one way). Rules that depend on how often
a node runs read `Ctx.loads()`, the result of the `traffic` function the caller handed to
the engine (the pipeline hands in the estimates' workload propagation); with none,
no per-node traffic is known and those rules do not fire.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from advisor import catalog
from advisor.model import Architecture, EdgeAttrs, NodeAttrs, Props

# Node props that name another node which receives failed or finished work.
SIDE_PROPS = ("dlq", "on_failure", "on_success")
# Edge props that name a failure destination.
EDGE_SIDE_PROPS = ("dlq", "on_failure", "on_success")
# Neighbours that never make a function "do more than forward" (it always logs, may use a key).
INCIDENTAL_CATEGORIES = frozenset({"observability", "security"})

# traffic(arch) -> {node: executions per month}, from the design's own stated traffic
Traffic = Callable[[Architecture], Mapping[str, float]]


class Blocked:
    """A predicate's "no" that is worth telling the user: the rule would have matched
    but for `reason` (a REST-only feature, evidence against glue). It is falsy, so every
    caller that only asks "does it hold?" treats it as no; the matcher keeps it for
    `--show-blocked` (advisor/engine/matcher.py)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Blocked({self.reason!r})"


@cache
def category_of(kind: str) -> str:
    return catalog.category_of(kind)


class Ctx:
    """Indexes over an architecture; cheap to build (one pass over nodes)."""

    def __init__(self, arch: Architecture, traffic: Traffic | None = None) -> None:
        self.arch = arch
        self.traffic = traffic
        self.g = arch.graph
        # networkx's own node-attribute and successor dicts: the public views cost a
        # wrapper object per look-up, which dominates matching on 100k-node graphs.
        self.nd: dict[str, NodeAttrs] = arch.graph._node
        self.succ: dict[str, dict[str, EdgeAttrs]] = arch.graph._succ
        self._by_kind: dict[str, list[str]] | None = None
        self._failure_refs: set[str] | None = None
        # results predicates compute once per view (cleared when a rewrite changes it)
        self.memo: dict[str, Any] = {}

    @property
    def by_kind(self) -> dict[str, list[str]]:
        """Node names per kind, in the design's order (built on first use: rewriters
        never need it). Not sorted: the matcher sorts what it finds, and a pass over a
        kind's nodes in the order they were made reads memory in about that order (in
        name order a 100k-node design's pass costs a fifth more: cache misses)."""
        if self._by_kind is None:
            by_kind: dict[str, list[str]] = defaultdict(list)
            for n, data in self.nd.items():
                by_kind[data["kind"]].append(n)
            self._by_kind = dict(by_kind)
        return self._by_kind

    def note_changed(self, names: set[str]) -> None:
        """Keep the failure-destination set current after a rewrite touched `names`
        (rewrites add destinations; a stale extra entry only defers a rewrite a round)."""
        self.memo.clear()
        if self._failure_refs is not None:
            self._failure_refs |= self.arch.failure_destinations(names)

    # ------------------------------------------------------------------ nodes
    def kind(self, n: str) -> str:
        kind: str = self.nd[n]["kind"]
        return kind

    def category(self, n: str) -> str:
        return category_of(self.nd[n]["kind"])

    def props(self, n: str) -> Props:
        props: Props = self.nd[n]["props"]
        return props

    def prop(self, n: str, name: str, default: bool = True) -> Any:
        """A node prop; with `default` the catalog default when it is not set."""
        props = self.props(n)
        if name in props:
            return props[name]
        return catalog.default_prop(self.kind(n), name) if default else None

    def has(self, n: str, name: str) -> bool:
        return self.props(n).get(name) is not None

    def nodes_of(self, kinds: list[str] | None = None, categories: list[str] | None = None,
                 ordered: bool = True) -> list[str]:
        """Nodes of these kinds / categories; sorted by name unless `ordered=False` (the
        matcher sorts its results, so it skips an n log n sort per pattern)."""
        if kinds:
            out: list[str] = []
            for k in kinds:
                out.extend(self.by_kind.get(k, ()))
            if categories:
                out = [n for n in out if self.category(n) in categories]
            return sorted(out) if ordered else out
        if categories:
            out = []
            for k, names in self.by_kind.items():
                if catalog.category_of(k) in categories:
                    out.extend(names)
            return sorted(out) if ordered else out
        return sorted(self.g.nodes) if ordered else list(self.g.nodes)

    # ------------------------------------------------------------------ edges
    def edge(self, a: str, b: str) -> EdgeAttrs:
        data: EdgeAttrs = self.succ[a][b]
        return data

    def eprop(self, a: str, b: str, name: str) -> Any:
        return self.g.edges[a, b].get("props", {}).get(name)

    def side_targets(self, n: str) -> set[str]:
        """Nodes this node names as its DLQ or destinations, or that its event sources
        name as their on-failure destination: not part of its work."""
        props = self.props(n)
        out = {str(props[p]) for p in SIDE_PROPS if props.get(p)}
        for data in self.g._pred[n].values():
            eprops = data.get("props")
            if eprops:
                out.update(str(eprops[p]) for p in EDGE_SIDE_PROPS if eprops.get(p))
        return out

    def work_out(self, n: str) -> list[str]:
        """Successors that are real work: not its failure/success destinations, logs or keys."""
        side = self.side_targets(n)
        nd = self.nd
        return [
            s for s in self.succ[n]
            if s not in side and category_of(nd[s]["kind"]) not in INCIDENTAL_CATEGORIES
        ]

    def failure_refs(self) -> set[str]:
        """Every node named as a DLQ / failure destination anywhere, or marked `is_dlq`."""
        if self._failure_refs is None:
            self._failure_refs = self.arch.failure_destinations()
        return self._failure_refs

    def is_async_edge(self, a: str, b: str) -> bool:
        data = self.edge(a, b)
        inv = (data.get("props") or {}).get("invocation")
        if inv is not None:
            return bool(inv == "async")
        return data.get("mode") == "async"

    def requests(self, n: str) -> float | None:
        """Stated load at a node, else the workload's entry rate (requests/month)."""
        value = self.props(n).get("requests")
        if value is None:
            value = self.arch.workload.get("requests")
        return float(value) if value is not None else None

    def loads(self) -> Mapping[str, float] | None:
        """Executions per month of every node by the caller's `traffic` function (None:
        no traffic function, nothing known); worked out once per view."""
        if self.traffic is None:
            return None
        loads: Mapping[str, float] | None = self.memo.get("traffic")
        if loads is None:
            loads = self.memo["traffic"] = self.traffic(self.arch)
        return loads

    def payload(self, n: str) -> float:
        value = self.props(n).get("payload") or self.arch.workload.get("payload") or 1024
        return float(value)
