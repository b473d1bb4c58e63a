"""The match layer: architecture -> matches, pure (nothing is changed, nothing estimated).

`find(arch, patterns)` runs every pattern and drops suppressed and superseded matches;
`Matcher` matches one pattern's chain on one read view (`Ctx`).

A chain `[A, B, C]` with edge specs `[e0, e1]` matches every path a -> b -> c whose
nodes satisfy the node specs and whose edges satisfy the edge specs. The search starts
from the candidates of the chain's first node (taken from the kind index, so a pattern
about API Gateways never looks at queues) and follows successors; `find` runs a block of
a kind's nodes through every pattern that starts there before the next block, so each
node's data is read from memory once, not once per pattern. Results are deduplicated by
node tuple and sorted.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from advisor.engine import (
    evidence,
    handler_checks,  # noqa: F401  (registers the handler checks' predicates)
    predicates,
)
from advisor.engine.conditions import OPS, compile_condition
from advisor.engine.conditions import names as _names
from advisor.engine.context import Blocked, Ctx, Traffic, category_of
from advisor.engine.pattern import Pattern
from advisor.memo import by_identity
from advisor.model import Architecture


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
    # why the engine believes it (glue: the handler's call, file:line; advisor/engine/evidence.py)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return self.nodes[self.pattern.subject]

    @property
    def all_nodes(self) -> tuple[str, ...]:
        return self.nodes + self.extra if self.extra else self.nodes


@dataclass
class BlockedMatch:
    """A binding a rule would have matched but for `reason` (a predicate's `Blocked`):
    what `--show-blocked` lists."""

    pattern: Pattern
    nodes: tuple[str, ...]
    reason: str


@by_identity
def _compiled(spec: dict[str, Any]) -> tuple[Any, ...]:
    """A node spec's checks, looked up once per spec rather than once per node."""
    kinds = spec.get("kind")
    cats = spec.get("category")
    return (
        None if kinds is None else frozenset(_names(kinds)),
        None if cats is None else frozenset(_names(cats)),
        tuple(compile_condition(c) for c in spec.get("props", ())),
        spec.get("degree") or None,
        tuple(spec.get("no_out", ())),
        tuple(spec.get("no_in", ())),
        tuple(spec.get("where", ())),
    )


@by_identity
def _compiled_edge(spec: dict[str, Any]) -> tuple[Any, ...]:
    """An edge spec's checks: (modes or None, compiled prop conditions, where names)."""
    modes = _names(spec.get("mode"))
    return (
        frozenset(modes) if modes else None,
        tuple(compile_condition(c) for c in spec.get("props", ())),
        tuple(spec.get("where", ())),
    )


class _Plan:
    """A pattern's chain, edge and match checks, worked out once per pattern."""

    __slots__ = ("categories", "conds_only", "edges", "glue", "kinds", "nodes", "pattern",
                 "trivial", "where")

    def __init__(self, pattern: Pattern) -> None:
        self.pattern = pattern
        chain = pattern.chain
        self.nodes = [_compiled(spec) for spec in chain]
        # a node spec that only names kinds: the inline kind test is the whole check
        self.trivial = [c[1] is None and not any(c[2:]) for c in self.nodes]
        # a spec with kinds and prop conditions only: conditions tested inline, and they
        # add no fields
        self.conds_only = [c[2] if c[1] is None and c[2] and not any(c[3:]) else None
                           for c in self.nodes]
        edges = list(pattern.match.get("edges", [])) + [None] * len(chain)
        self.edges = [_compiled_edge(e) if e else None for e in edges]
        self.glue = tuple(i for i, spec in enumerate(chain) if spec.get("glue"))
        self.where = tuple(pattern.match.get("where", ()))
        # what the design must hold for the chain to match at all: a node of one of these
        # kinds (categories) at each position that names some
        self.kinds = tuple(c[0] for c in self.nodes if c[0] is not None)
        self.categories = tuple(c[1] for c in self.nodes if c[1] is not None)

    def cannot_match(self, kinds: frozenset[str] | set[str], categories: set[str]) -> bool:
        """True when some chain position asks for a kind (category) the design has none
        of: most of the pack, on a typical template, is ruled out by this alone."""
        return (any(k.isdisjoint(kinds) for k in self.kinds)
                or any(c.isdisjoint(categories) for c in self.categories))


_plan = by_identity(_Plan)


def _count_ok(n: int, spec: dict[str, int]) -> bool:
    return all(OPS[op](n, v) for op, v in spec.items())


class Matcher:
    """Runs patterns over one Ctx."""

    def __init__(self, ctx: Ctx, blocked: list[BlockedMatch] | None = None,
                 unsuppressed: bool = False) -> None:
        self.ctx = ctx
        # where to keep what a predicate blocked (None: not wanted, e.g. rewrite rounds)
        self.blocked = blocked
        # keep only unsuppressed matches (`find`): tested as each is found, while its
        # nodes' data is still in the caches
        self.unsuppressed = unsuppressed
        self._pattern: Pattern | None = None  # the pattern `run` is matching

    # --------------------------------------------------------------- pieces
    def node_ok(self, spec: dict[str, Any], n: str, params: dict[str, Any],
                fields: dict[str, Any]) -> bool:
        return self._node_ok(_compiled(spec), n, params, fields)

    def _node_ok(self, checks: tuple[Any, ...], n: str, params: dict[str, Any],
                 fields: dict[str, Any]) -> bool:
        ctx = self.ctx
        data = ctx.nd[n]
        kind = data["kind"]
        kinds, cats, conds, degree, no_out, no_in, where = checks
        if kinds is not None and kind not in kinds:
            return False
        if cats is not None and category_of(kind) not in cats:
            return False
        if conds:
            props = data["props"]
            for cond in conds:
                if not cond(props, kind):
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
                if isinstance(got, Blocked):
                    self._block((n,), got)
                return False
            if isinstance(got, dict):
                fields.update(got)
        return True

    def _block(self, nodes: tuple[str, ...], got: Blocked) -> None:
        if self.blocked is not None and self._pattern is not None:
            self.blocked.append(BlockedMatch(self._pattern, nodes, got.reason))

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
        return self._edge_ok(_compiled_edge(spec), a, b, params, fields)

    def _edge_ok(self, checks: tuple[Any, ...], a: str, b: str, params: dict[str, Any],
                 fields: dict[str, Any]) -> bool:
        modes, conds, where = checks
        data = self.ctx.succ[a][b]
        if modes is not None and data.get("mode") not in modes:
            return False
        if conds:
            props = data.get("props") or {}
            for cond in conds:
                if not cond(props, None):
                    return False
        for name in where:
            got = predicates.EDGE_PREDICATES[name](self.ctx, a, b, params)
            if not got:
                return False
            if isinstance(got, dict):
                fields.update(got)
        return True

    # --------------------------------------------------------------- chains
    def candidates(self, spec: dict[str, Any], region: set[str] | None) -> Iterable[str]:
        kinds = _names(spec.get("kind")) or None
        cats = _names(spec.get("category")) or None
        if region is not None and len(region) < self.ctx.g.number_of_nodes() // 4:
            # a small region (a rewrite round): test its nodes, not every node of the kind
            nd = self.ctx.nd
            out = []
            for n in region:
                data = nd.get(n)
                if data is None:
                    continue
                kind = data["kind"]
                if kinds and kind not in kinds:
                    continue
                if cats and category_of(kind) not in cats:
                    continue
                out.append(n)
            return out
        names = self.ctx.nodes_of(kinds, cats, ordered=False)
        if region is None:
            return names
        return [n for n in names if n in region]

    def run(self, pattern: Pattern, region: set[str] | None = None) -> list[Match]:
        """The matches of one pattern (touching `region` when given), sorted."""
        out: dict[tuple[str, ...], Match] = {}
        self.searcher(pattern, out)(self.candidates(pattern.chain[0], region))
        return [out[k] for k in sorted(out)]

    def searcher(self, pattern: Pattern, out: dict[tuple[str, ...], Match],
                 ) -> Callable[[Iterable[str]], None]:
        """The search of `pattern`'s chain from given start nodes (candidates of its first
        node spec: `candidates`), each match added to `out` by its node tuple. Any order
        of starts, and of calls, finds the same matches: `find` runs a block of starts
        through every pattern before the next block."""
        plan = _plan(pattern)
        last = len(pattern.chain)
        params = dict(pattern.match.get("params", {}))
        succ = self.ctx.succ
        nd = self.ctx.nd
        specs, trivial, only, edges = plan.nodes, plan.trivial, plan.conds_only, plan.edges
        node_ok, edge_ok, finish = self._node_ok, self._edge_ok, self._finish
        end = last - 1

        def extend(path: list[str], fields: dict[str, Any]) -> None:
            i = len(path)
            prev = path[-1]
            checks = specs[i]
            # the kind test inline, before a call: most successors are of another kind
            kinds = checks[0]
            plain = trivial[i]
            conds = only[i]
            espec = edges[i - 1]
            # any order: each path is checked on its own and results are sorted at the end
            for nxt in succ[prev]:
                if nxt in path:
                    continue
                data = nd[nxt]
                if kinds is not None and data["kind"] not in kinds:
                    continue
                if conds is not None:
                    props, kind = data["props"], data["kind"]
                    if not all(cond(props, kind) for cond in conds):
                        continue
                if (plain or conds is not None) and espec is None:
                    f = fields  # nothing to add; `_finish` copies before it writes
                else:
                    f = dict(fields)
                    if not plain and conds is None and not node_ok(checks, nxt, params, f):
                        continue
                    if espec is not None and not edge_ok(espec, prev, nxt, params, f):
                        continue
                if i == end:
                    finish(plan, (*path, nxt), f, params, out)
                else:
                    path.append(nxt)
                    extend(path, f)
                    path.pop()

        first, first_plain, first_conds = specs[0], trivial[0], only[0]

        def search(starts: Iterable[str]) -> None:
            self._pattern = pattern  # (what a blocked binding is recorded under)
            for start in starts:
                f: dict[str, Any] = {}
                # candidates already have the first spec's kind (and category)
                if first_conds is not None:
                    data = nd[start]
                    props, kind = data["props"], data["kind"]
                    if not all(cond(props, kind) for cond in first_conds):
                        continue
                elif not (first_plain or node_ok(first, start, params, f)):
                    continue
                if last == 1:
                    finish(plan, (start,), f, params, out)
                else:
                    extend([start], f)

        return search

    def _finish(self, plan: _Plan, nodes: tuple[str, ...], fields: dict[str, Any],
                params: dict[str, Any], out: dict[tuple[str, ...], Match]) -> None:
        likely = False
        fields = dict(fields)  # callers may share their dict between paths
        found: list[dict[str, Any]] = []
        for i in plan.glue:
            status, items, blocked = predicates.glue_verdict(
                self.ctx, nodes[i - 1], nodes[i], nodes[i + 1], params)
            if status is None:
                if blocked is not None:
                    self._block(nodes, blocked)
                return
            likely = likely or status == "likely"
            found.extend(items)
            if status == "confirmed" and evidence.has(items, "sdk-call"):
                fields.setdefault("evidence", f" (handler: {evidence.summary(items)})")
            else:
                fields.setdefault("evidence", "")
        for name in plan.where:
            got = predicates.MATCH_PREDICATES[name](self.ctx, nodes, params)
            if not got:
                if isinstance(got, Blocked):
                    self._block(nodes, got)
                return
            if isinstance(got, dict):
                fields.update(got)
        extra = tuple(fields.pop("extra_nodes", ()) or ())
        found.extend(fields.pop("evidence_items", ()) or ())
        m = Match(plan.pattern, nodes, likely, fields, extra, found)
        if not (self.unsuppressed and suppressed(self.ctx, m)):
            out[nodes] = m

    def verify(self, m: Match) -> Match | None:
        """Re-check a match against the current graph (it may be stale after rewrites)."""
        nodes = m.nodes
        g = self.ctx.g
        if any(n not in g for n in nodes):
            return None
        if any(not g.has_edge(a, b) for a, b in itertools.pairwise(nodes)):
            return None
        pattern = m.pattern
        plan = _plan(pattern)
        params = dict(pattern.match.get("params", {}))
        fields: dict[str, Any] = {}
        for i, n in enumerate(nodes):
            if not self._node_ok(plan.nodes[i], n, params, fields):
                return None
            espec = plan.edges[i - 1] if i else None
            if espec is not None and not self._edge_ok(espec, nodes[i - 1], n, params, fields):
                return None
        out: dict[tuple[str, ...], Match] = {}
        self._finish(plan, nodes, fields, params, out)
        return out.get(nodes)


# ---------------------------------------------------------------------- all patterns
def _prefixed(rule: str, prefixes: Iterable[str]) -> bool:
    return any(rule == p or rule.startswith(p) for p in prefixes if p)


def suppressed(ctx: Ctx, m: Match) -> bool:
    """A node of the match carries the rule id, a prefix of it, one of the pattern's peer
    `equivalents` (or `all` / `*`) in its `ignore` set."""
    nd = ctx.nd
    ids: tuple[str, ...] = ()
    for n in m.all_nodes:
        ignore = nd[n].get("ignore")
        if not ignore:
            continue
        ids = ids or (m.pattern.id, *m.pattern.equivalents)
        if "all" in ignore or "*" in ignore:
            return True
        if any(_prefixed(i, ignore) for i in ids):
            return True
    return False


def drop_superseded(found: list[Match]) -> list[Match]:
    """Drop matches of a rule that another matched rule on the same subject supersedes."""
    covered: set[tuple[str, str]] = set()
    for m in found:
        for rule in m.pattern.supersedes:
            for n in m.nodes:
                covered.add((rule, n))
    if not covered:
        return found
    return [m for m in found if (m.pattern.id, m.subject) not in covered]


# start nodes per block of `find`: what the caches hold of their data while every pattern
# of their kind runs (a few hundred KB; a larger block thrashes, a smaller one costs calls)
BLOCK = 256


def find(arch: Architecture, patterns: Iterable[Pattern], region: set[str] | None = None,
         traffic: Traffic | None = None,
         blocked: list[BlockedMatch] | None = None) -> list[Match]:
    """Unsuppressed, non-superseded matches of `patterns` on `arch` (only those touching
    `region` when given); `traffic` feeds the rules that depend on per-node load. With a
    `blocked` list, what a predicate blocked is added to it (unsuppressed, each binding
    once, in a deterministic order)."""
    ctx = Ctx(arch, traffic)
    raw: list[BlockedMatch] | None = [] if blocked is not None else None
    matcher = Matcher(ctx, raw, unsuppressed=True)
    found: list[Match] = []
    kinds = ctx.by_kind.keys()
    categories = {category_of(k) for k in kinds}
    outs: list[dict[tuple[str, ...], Match]] = []  # each pattern's, in the patterns' order
    # patterns by the candidates of their first node (kinds, categories): each group's
    # candidates are run through all its patterns a block at a time, so a block's nodes
    # stay in the CPU's caches for every pattern (one pattern after another over all the
    # nodes of a kind reads them from memory once per pattern on a 100k-node design)
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]],
                 tuple[dict[str, Any], list[Callable[[Iterable[str]], None]]]] = {}
    for p in patterns:
        if _plan(p).cannot_match(kinds, categories):
            continue
        out: dict[tuple[str, ...], Match] = {}
        outs.append(out)
        spec = p.chain[0]
        key = (tuple(_names(spec.get("kind"))), tuple(_names(spec.get("category"))))
        groups.setdefault(key, (spec, []))[1].append(matcher.searcher(p, out))
    for spec, searches in groups.values():
        starts = list(matcher.candidates(spec, region))
        for i in range(0, len(starts), BLOCK):
            block = starts[i:i + BLOCK]
            for search in searches:
                search(block)
    for out in outs:
        found.extend(out[k] for k in sorted(out))
    if raw is not None and blocked is not None:
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for b in sorted(raw, key=lambda b: (b.pattern.id, b.nodes, b.reason)):
            key = (b.pattern.id, b.nodes)
            if key in seen or suppressed(ctx, Match(b.pattern, b.nodes)):
                continue
            seen.add(key)
            blocked.append(b)
    return drop_superseded(found)
