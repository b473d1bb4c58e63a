"""Matching one pattern's chain on the graph.

A chain `[A, B, C]` with edge specs `[e0, e1]` matches every path a -> b -> c whose
nodes satisfy the node specs and whose edges satisfy the edge specs. The search starts
from the candidates of the chain's first node (taken from the kind index, so a pattern
about API Gateways never looks at queues) and follows successors; a 100k-node graph
costs one pass per pattern over the nodes of its first kind. Results are deduplicated by
node tuple and sorted.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from advisor import catalog
from advisor.engine import predicates
from advisor.engine.context import Ctx, category_of
from advisor.engine.loader import Pattern

_OPS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}


@dataclass
class Match:
    """One binding of a pattern's chain to node names."""

    pattern: Pattern
    nodes: tuple[str, ...]
    likely: bool = False
    fields: dict[str, Any] = field(default_factory=dict)
    # more nodes the finding is about, beyond the chain (a predicate's `extra_nodes`
    # field, e.g. the rest of a synchronous call chain); rewrites use `nodes` only
    extra: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        return self.nodes[self.pattern.subject]

    @property
    def all_nodes(self) -> tuple[str, ...]:
        return self.nodes + self.extra if self.extra else self.nodes


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _quantity(value: Any) -> Any:
    """YAML thresholds may carry units ('5min', '128MB'); compare in internal units."""
    if isinstance(value, str):
        try:
            return catalog.parse_unit_text(value)
        except ValueError:
            return value
    return value


def check_condition(props: dict[str, Any], kind: str | None, cond: dict[str, Any]) -> bool:
    """One attribute predicate (equals/in/missing/lt/...) on a props mapping."""
    name = cond["prop"]
    present = props.get(name) is not None
    if present:
        value = props[name]
    elif kind is not None and cond.get("default", True):
        value = catalog.default_prop(kind, name)
    else:
        value = None
    if "missing" in cond and (not present) != bool(cond["missing"]):
        return False
    if "truthy" in cond and bool(value) != bool(cond["truthy"]):
        return False
    if "equals" in cond and _norm(value) != _norm(cond["equals"]):
        return False
    if "not_equals" in cond and _norm(value) == _norm(cond["not_equals"]):
        return False
    if "in" in cond and _norm(value) not in [_norm(v) for v in cond["in"]]:
        return False
    if "not_in" in cond and _norm(value) in [_norm(v) for v in cond["not_in"]]:
        return False
    for op in ("lt", "le", "gt", "ge"):
        if op in cond:
            if not isinstance(value, int | float) or isinstance(value, bool):
                return False
            if not _OPS[op](float(value), float(_quantity(cond[op]))):
                return False
    return True


def _norm(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


# id(spec) -> (spec, its checks); the spec is kept so its id is never reused
_COMPILED: dict[int, tuple[dict[str, Any], tuple[Any, ...]]] = {}


def _compiled(spec: dict[str, Any]) -> tuple[Any, ...]:
    """A node spec's checks, looked up once per spec rather than once per node."""
    hit = _COMPILED.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    kinds = spec.get("kind")
    cats = spec.get("category")
    checks = (
        None if kinds is None else frozenset(_names(kinds)),
        None if cats is None else frozenset(_names(cats)),
        tuple(spec.get("props", ())),
        spec.get("degree") or None,
        tuple(spec.get("no_out", ())),
        tuple(spec.get("no_in", ())),
        tuple(spec.get("where", ())),
    )
    _COMPILED[id(spec)] = (spec, checks)
    return checks


def _count_ok(n: int, spec: dict[str, int]) -> bool:
    return all(_OPS[op](n, v) for op, v in spec.items())


class Matcher:
    """Runs patterns over one Ctx."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    # --------------------------------------------------------------- pieces
    def node_ok(self, spec: dict[str, Any], n: str, params: dict[str, Any],
                fields: dict[str, Any]) -> bool:
        ctx = self.ctx
        data = ctx.nd[n]
        kind = data["kind"]
        kinds, cats, conds, degree, no_out, no_in, where = _compiled(spec)
        if kinds is not None and kind not in kinds:
            return False
        if cats is not None and category_of(kind) not in cats:
            return False
        if conds:
            props = data["props"]
            for cond in conds:
                if not check_condition(props, kind, cond):
                    return False
        if degree:
            if "in" in degree and not _count_ok(len(ctx.g._pred[n]), degree["in"]):
                return False
            if "out" in degree and not _count_ok(len(ctx.succ[n]), degree["out"]):
                return False
        for nb in no_out:
            if any(self._neighbour_ok(nb, n, s, s, params) for s in ctx.succ[n]):
                return False
        for nb in no_in:
            if any(self._neighbour_ok(nb, p, n, p, params) for p in ctx.g._pred[n]):
                return False
        for name in where:
            got = predicates.NODE_PREDICATES[name](ctx, n, params)
            if not got:
                return False
            if isinstance(got, dict):
                fields.update(got)
        return True

    def _neighbour_ok(self, nb: dict[str, Any], a: str, b: str, other: str,
                      params: dict[str, Any]) -> bool:
        kinds = _names(nb.get("kind"))
        if kinds and self.ctx.kind(other) not in kinds:
            return False
        cats = _names(nb.get("category"))
        if cats and self.ctx.category(other) not in cats:
            return False
        return not ("edge" in nb and not self.edge_ok(nb["edge"], a, b, params, {}))

    def edge_ok(self, spec: dict[str, Any] | None, a: str, b: str, params: dict[str, Any],
                fields: dict[str, Any]) -> bool:
        if not spec:
            return True
        data = self.ctx.edge(a, b)
        modes = _names(spec.get("mode"))
        if modes and data.get("mode") not in modes:
            return False
        props = data.get("props") or {}
        for cond in spec.get("props", ()):
            if not check_condition(props, None, cond):
                return False
        for name in spec.get("where", ()):
            got = predicates.EDGE_PREDICATES[name](self.ctx, a, b, params)
            if not got:
                return False
            if isinstance(got, dict):
                fields.update(got)
        return True

    # --------------------------------------------------------------- chains
    def candidates(self, spec: dict[str, Any], region: set[str] | None) -> Iterable[str]:
        names = self.ctx.nodes_of(_names(spec.get("kind")) or None,
                                  _names(spec.get("category")) or None, ordered=False)
        if region is None:
            return names
        return [n for n in names if n in region]

    def run(self, pattern: Pattern, region: set[str] | None = None) -> list[Match]:
        chain = pattern.chain
        edges = list(pattern.match.get("edges", [])) + [None] * len(chain)
        params = dict(pattern.match.get("params", {}))
        out: dict[tuple[str, ...], Match] = {}
        succ = self.ctx.succ
        nd = self.ctx.nd
        # the kind test inline, before a call: most successors are of another kind
        kindsets = [_compiled(spec)[0] for spec in chain]

        def extend(path: list[str], fields: dict[str, Any]) -> None:
            i = len(path)
            if i == len(chain):
                self._finish(pattern, tuple(path), fields, params, out)
                return
            prev = path[-1]
            kinds = kindsets[i]
            # any order: each path is checked on its own and results are sorted at the end
            for nxt in succ[prev]:
                if nxt in path or (kinds is not None and nd[nxt]["kind"] not in kinds):
                    continue
                f = dict(fields)
                if self.node_ok(chain[i], nxt, params, f) and \
                        self.edge_ok(edges[i - 1], prev, nxt, params, f):
                    path.append(nxt)
                    extend(path, f)
                    path.pop()

        for start in self.candidates(chain[0], region):
            f: dict[str, Any] = {}
            if self.node_ok(chain[0], start, params, f):
                extend([start], f)
        return [out[k] for k in sorted(out)]

    def _finish(self, pattern: Pattern, nodes: tuple[str, ...], fields: dict[str, Any],
                params: dict[str, Any], out: dict[tuple[str, ...], Match]) -> None:
        likely = False
        for i, spec in enumerate(pattern.chain):
            if spec.get("glue"):
                status = predicates.glue_status(self.ctx, nodes[i - 1], nodes[i], nodes[i + 1],
                                                params)
                if status is None:
                    return
                likely = likely or status == "likely"
                if status == "confirmed":
                    ev = self.ctx.props(nodes[i]).get("glue_evidence")
                    fields.setdefault("evidence", f" (handler: {ev})" if ev else "")
        fields = dict(fields)
        for name in pattern.match.get("where", ()):
            got = predicates.MATCH_PREDICATES[name](self.ctx, nodes, params)
            if not got:
                return
            if isinstance(got, dict):
                fields.update(got)
        extra = tuple(fields.pop("extra_nodes", ()) or ())
        out[nodes] = Match(pattern, nodes, likely, fields, extra)

    def verify(self, m: Match) -> Match | None:
        """Re-check a match against the current graph (it may be stale after rewrites)."""
        nodes = m.nodes
        g = self.ctx.g
        if any(n not in g for n in nodes):
            return None
        if any(not g.has_edge(a, b) for a, b in itertools.pairwise(nodes)):
            return None
        pattern = m.pattern
        params = dict(pattern.match.get("params", {}))
        edges = list(pattern.match.get("edges", [])) + [None] * len(nodes)
        fields: dict[str, Any] = {}
        for i, n in enumerate(nodes):
            if not self.node_ok(pattern.chain[i], n, params, fields):
                return None
            if i and not self.edge_ok(edges[i - 1], nodes[i - 1], n, params, fields):
                return None
        out: dict[tuple[str, ...], Match] = {}
        self._finish(pattern, nodes, fields, params, out)
        return out.get(nodes)
