"""Estimating a rewritten design from the estimate of the design it rewrites.

An alternative changes a few nodes and edges of a design; estimating its whole `after`
again costs the size of the design for every alternative, which makes a large design's
analysis quadratic. `estimate_change(base, after)` works out only what the change can
affect, and gives the same monthly cost and latencies as `estimate(after)`, to the last
bit (tests/test_estimate_incremental.py compares the two on every alternative of every
sample and corpus design, with and without the free tier):

1. What changed: nodes whose attributes differ, nodes added or removed, edges added,
   removed or changed (`changes_between`; a caller that knows what its rewrite touched
   can say so instead of comparing the designs).
2. Traffic: a node's load depends only on its entry share and on what flows in from its
   callers (`propagate.FlowRules`), so loads are recomputed from the changed nodes
   forward, in topological order, and the walk stops wherever a node's load comes out as
   it was. Which edges carry only failed records is kept current from what the changed
   nodes and edges declare (dead-letter queues, on-failure destinations).
3. Cost: a node's usage lines depend only on it, its neighbours and the edges between
   them (`cost.node_lines`), so only the lines of the nodes around what changed are
   priced again; each price key's total is the exact sum of its lines (its partial sums
   are kept), so it comes out as the full estimate's `math.fsum` does; the tiers and the
   free tier are applied to the totals as in `cost.charges`.
4. Latency: a node's response time depends on its synchronous callees, its arrival time
   on its callers: both are recomputed only where an input changed, and the slowest entry
   point and the last store are taken from the unchanged ones (kept in order) and the
   recomputed ones.

What it does not do incrementally, and then estimates `after` whole (same result, the
design's cost): a change to a design with a cycle that could change which edges close
one (that depends on the whole walk: an edge added between existing nodes, a node or an
edge removed, an entry point gained or lost; a change of attributes, or a new node
that calls nothing, such as a dead-letter queue, leaves them as they were), a rewrite
whose change alters how many entry points share the traffic, usage files and services
the design's functions call without declaring them (`priced_design`).

The estimate it returns carries the totals (monthly cost, the four latencies, whether
there is a response path), not the per-node breakdown: it is for deltas and judges.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from advisor.catalog import category_of, kind_names
from advisor.estimate.assumptions import Unrecorded
from advisor.estimate.cost import (
    NEIGHBOUR_PROPS,
    Ctx,
    Usage,
    charges,
    free_terms,
    monthly_total,
    node_lines,
)
from advisor.estimate.data import Pricing, load_pricing
from advisor.estimate.latency import (
    API_ENTRY_CATEGORIES,
    LATENCY_EDGE_KEYS,
    LATENCY_EDGE_PROPS,
    LATENCY_PROPS,
    LatencyResult,
    LatencyState,
    Timing,
    _Model,
)
from advisor.estimate.propagate import (
    FAILURE_LABELS,
    FLOW_EDGE_KEYS,
    FLOW_EDGE_PROPS,
    FLOW_PROPS,
    PASSIVE_CATEGORIES,
    FlowRules,
    Workload,
    _schedule_of,
    sends_traffic,
    workload_rate,
)
from advisor.model import FAILURE_PROPS, Architecture
from advisor.overlay import changed_nodes

_GONE = object()
# the props a node declares failure destinations by (`_declared_failures`)
FAILURE_NAMES = frozenset({*FAILURE_PROPS, "is_dlq"})


# ---------------------------------------------------------------------- what changed
@dataclass
class Change:
    """How `after` differs from `before`: nodes whose attributes differ or that are new
    (`nodes`), nodes removed, edges added, removed or with other attributes."""

    nodes: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    edges: set[tuple[str, str]] = field(default_factory=set)
    added_edges: set[tuple[str, str]] = field(default_factory=set)


def changes_between(before: Architecture, after: Architecture,
                    around: set[str] | None = None) -> Change | None:
    """What differs between the two designs (None: their workloads differ, and so does
    everything). `around`: the only nodes that can differ, when the caller knows them
    (what a rewrite touched, added and removed); without it every node is compared."""
    if (before.workload or {}) != (after.workload or {}):
        return None
    bn, an = before.graph._node, after.graph._node
    bs, as_ = before.graph._succ, after.graph._succ
    ch = Change()
    if around is None:
        ch.removed = set(bn.keys() - an.keys())
        candidates: Any = an
    else:
        ch.removed = {n for n in around if n in bn and n not in an}
        candidates = [n for n in around if n in an]
    for n in candidates:
        old = bn.get(n)
        if old is None or old != an[n]:
            ch.nodes.add(n)
        old_out = bs.get(n)
        new_out = as_[n]
        if old_out is None:
            ch.edges.update((n, s) for s in new_out)
            ch.added_edges.update((n, s) for s in new_out)
        elif old_out != new_out:
            for s, data in new_out.items():
                if s not in old_out:
                    ch.edges.add((n, s))
                    ch.added_edges.add((n, s))
                elif old_out[s] != data:
                    ch.edges.add((n, s))
            ch.edges.update((n, s) for s in old_out if s not in new_out)
    for n in ch.removed:
        ch.edges.update((n, s) for s in bs[n])
        ch.edges.update((p, n) for p in before.graph._pred[n])
    return ch


# ---------------------------------------------------------------------- overlays
class Overlay:
    """A mapping read through to `base` except where this one set or removed a key."""

    __slots__ = ("base", "local")

    def __init__(self, base: Any) -> None:
        self.base = base
        self.local: dict[Any, Any] = {}

    def get(self, key: Any, default: Any = None) -> Any:
        local = self.local
        if key in local:
            value = local[key]
            return default if value is _GONE else value
        return self.base.get(key, default)

    def __getitem__(self, key: Any) -> Any:
        local = self.local
        value = local[key] if key in local else self.base.get(key, _GONE)
        if value is _GONE:
            raise KeyError(key)
        return value

    def __contains__(self, key: Any) -> bool:
        local = self.local
        if key in local:
            return local[key] is not _GONE
        return key in self.base

    def __setitem__(self, key: Any, value: Any) -> None:
        self.local[key] = value

    def remove(self, key: Any) -> None:
        self.local[key] = _GONE


class _FailureEdges:
    """`(a, b) in failure_edges` for the changed design: the edge's target is a failure
    destination there (one of the base's, unless the change flipped it, or one the change
    made), or its label says it only carries failures (read from the changed design for
    the edges the change touched, else from the base's, which it equals)."""

    __slots__ = ("adj", "changed", "failed", "flipped", "labelled")

    def __init__(self, arch: Architecture, failed: set[str], flipped: set[str],
                 labelled: set[tuple[str, str]], changed: set[tuple[str, str]]) -> None:
        self.adj = arch.graph._succ
        self.failed = failed  # the base's failure destinations
        self.flipped = flipped  # names the change made or unmade failure destinations
        self.labelled = labelled
        self.changed = changed

    def __contains__(self, edge: Any) -> bool:
        b = edge[1]
        if (b in self.failed) != (b in self.flipped):
            return True
        if edge not in self.changed:
            return edge in self.labelled
        a, b = edge
        data = self.adj.get(a, {}).get(b)
        return data is not None and _failure_label(data)


def _failure_label(data: dict[str, Any]) -> bool:
    return str(data.get("label") or "").lower() in FAILURE_LABELS


# ---------------------------------------------------------------------- the base
def _declared_failures(arch: Architecture, n: str) -> list[str]:
    """What node `n` and its out-edges name as failure destinations (with repeats), as
    `Architecture.failure_destinations` reads them."""
    g = arch.graph
    props = g._node[n]["props"]
    refs = [str(props[p]) for p in FAILURE_PROPS if props.get(p)] if props else []
    if props and props.get("is_dlq") is True:
        refs.append(n)
    for data in g._succ[n].values():
        eprops = data.get("props")
        if eprops:
            refs.extend(str(eprops[p]) for p in FAILURE_PROPS if eprops.get(p))
    return refs


def _partials(values: list[float]) -> list[float]:
    """Non-overlapping partial sums whose exact total is the exact sum of `values`
    (Shewchuk's algorithm, as `math.fsum` keeps them): more values can be added to it
    later and the sum rounded once, exactly as a fresh `fsum` of all of them."""
    partials: list[float] = []
    for x in values:
        i = 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                partials[i] = lo
                i += 1
            x = hi
        partials[i:] = [x]
    return partials


class Base:
    """What the incremental estimate reads of the design it starts from, worked out once
    per design (the first time one of its alternatives is estimated)."""

    def __init__(self, arch: Architecture, est: Any, pricing: Pricing, terms: tuple[str, ...],
                 requests: float | None) -> None:
        wl: Workload = est.workload
        self.arch = arch
        self.monthly_usd = float(est.monthly_usd)  # (not `est`: it keeps this base)
        self.wl = wl
        self.pricing = pricing
        self.terms = terms
        self.requests = requests
        self.rate, self.base_payload, _notes, _stated = workload_rate(arch, requests)
        g = arch.graph
        self.index = {n: i for i, n in enumerate(wl.order)}
        self.failed = Counter(r for n in g._node for r in _declared_failures(arch, n))
        self.failed_names = sum(1 for c in self.failed.values() if c > 0)
        self.failed_set = {r for r, c in self.failed.items() if c > 0}
        # edges whose label says they only carry failures
        self.labelled = {(a, b) for a, nbrs in g._succ.items() for b, data in nbrs.items()
                         if _failure_label(data)}
        self.clients = sum(1 for d in g._node.values() if category_of(d["kind"]) == "client")
        # resources by the key they name (`kms_key`): their lines read that node's kind,
        # and it need not be their neighbour (`dimensions.kms_encryption_of`)
        self.key_users: dict[str, list[str]] = {}
        for n, d in g._node.items():
            named = d["props"].get("kms_key")
            if isinstance(named, str):
                self.key_users.setdefault(named, []).append(n)
        self.scheduled = {n for n in wl.entries
                          if not g._pred[n] and _schedule_of(arch, n) is not None}
        self.sharing = len(wl.entries) - len(self.scheduled)
        # the workload went to the one node nothing feeds although it starts no flow
        # (propagate's one-node rule: a lone queue and its dead-letter queue); whether the
        # rule still holds after a change is the whole design's question
        sharers = [n for n in wl.entries if n not in self.scheduled]
        self.lone_entry = (not self.clients and len(sharers) == 1
                           and not sends_traffic(arch, sharers[0]))
        # the estimate's priced lines by node: what `cost.node_lines` gives each node
        self.lines: dict[str, list[Usage]] = {}
        self._by_key: dict[str, list[float]] = {}
        for u in est.usages:
            self.lines.setdefault(u.node, []).append(u)
            self._by_key.setdefault(u.key, []).append(u.quantity)
        self._partials: dict[str, list[float]] = {}
        self.totals = {k: math.fsum(q) for k, q in self._by_key.items()}
        self.charges = charges(pricing, self.totals, terms)
        lat: LatencyResult = est.latency_result
        state: LatencyState = lat.state
        self.model: _Model = state.model
        self.memo: dict[str, Timing] = state.model._memo
        self.arrivals = state.arrivals
        api = [e for e in wl.entries if self._api_entry(e)]
        self.api_rank = sorted(((self.memo[e].p50, self.memo[e].p99, e) for e in api
                                if e in self.memo), reverse=True)
        self.sinks = set(state.sinks)
        self.storage = {n for n in state.sinks
                        if category_of(g._node[n]["kind"]) == "storage"}
        self.rank = {
            key: (sorted(((self.arrivals[n][0], n) for n in nodes), reverse=True),
                  sorted(((self.arrivals[n][1], n) for n in nodes), reverse=True))
            for key, nodes in (("storage", self.storage), ("sinks", self.sinks))}
        # the totals `_Run._latency` gives a change that alters none of its inputs: the
        # slowest entry point and the last store of this design, picked as it picks them
        rank50, rank99 = self.rank["storage" if self.storage else "sinks"]
        self.unchanged_latency = (
            self.api_rank[0][:2] if self.api_rank else None,
            (rank50[0][0], rank99[0][0]) if rank50 else None)

    def partials(self, key: str) -> list[float]:
        """The exact partial sums of a price key's lines (worked out when first asked)."""
        got = self._partials.get(key)
        if got is None:
            got = self._partials[key] = _partials(self._by_key.get(key, []))
        return got

    def _api_entry(self, e: str) -> bool:
        cat = category_of(self.arch.kind(e))
        return cat in API_ENTRY_CATEGORIES and (cat != "client" or bool(self.model.sync_children(e)))


def base_of(arch: Architecture, est: Any, region: str = "us-east-1",
            requests: float | None = None, free_tier: Any = False,
            pricing_file: str | None = None) -> Base | None:
    """The incremental base of a full estimate of `arch` (kept on the estimate), or None
    when estimates of its rewrites must be made whole (see the module docstring)."""
    key = (region, requests, free_tier, pricing_file)
    bases = est.__dict__.setdefault("_incremental_bases", {})  # one per set of arguments
    if key in bases:
        return bases[key]  # type: ignore[no-any-return]
    base: Base | None = None
    wl = getattr(est, "workload", None)
    if (wl is not None and est.priced is arch
            and getattr(est.latency_result, "state", None) is not None and len(arch.graph) > 1):
        base = Base(arch, est, load_pricing(region, pricing_file), free_terms(free_tier), requests)
    bases[key] = base
    return base


# ---------------------------------------------------------------------- the estimate
def estimate_change(base: Base, after: Architecture, change: Change | None = None) -> Any:
    """The estimate of `after` (a rewrite of `base`'s design): its monthly cost and
    latencies, or None when it has to be estimated whole."""
    if change is None:
        # an overlay of the base design says which nodes it touched (advisor/overlay.py)
        change = changes_between(base.arch, after, changed_nodes(after, base.arch))
    if change is None or len(after.graph) <= 1 \
            or (base.arch.workload or {}) != (after.workload or {}):
        return None  # (the base's entry rate and payload are the design's workload's)
    return _Run(base, after, change).estimate()


@functools.cache
def _service_kinds() -> frozenset[str]:
    """Kinds a function's undeclared call can name (`glue_target`)."""
    return frozenset(kind_names()) - {"resource", "client", "http"}


@functools.cache
def _estimate_class() -> Any:
    """`estimator.Estimate` (that module imports this one)."""
    from advisor.estimate.estimator import Estimate

    return Estimate


class _Fallback(Exception):
    """The change is one the incremental estimate does not handle: estimate it whole."""


class _Run:
    """One incremental estimate."""

    def __init__(self, base: Base, after: Architecture, change: Change) -> None:
        self.base = base
        self.after = after
        self.ch = change
        self.bg = base.arch.graph
        self.ag = after.graph

    def estimate(self) -> Any:
        try:
            props = self._changed_props()
            # a change of props only: what reads none of them is as it was in the base
            kept = props is not None and props.isdisjoint(FAILURE_NAMES)
            if props is None or "glue_target" in props:
                self._implicit_services()
            if kept:
                self._failures_kept()
            else:
                self._failures()
            self._no_cycle()
            if kept and "schedule" not in props:  # type: ignore[operator]
                self._entries_kept()
            else:
                self._entries()
            self._same_cycles()
            if self.ch.edges or self.entry_changed:
                props = None  # failure destinations or entry points moved after all
            if props is not None and props.isdisjoint(FLOW_PROPS):
                wl = self._unchanged_workload()
            elif self._traffic_kept():
                wl = self._kept_workload()
            else:
                wl = self._propagate()
            monthly = self._cost(wl)
            untouched = self._latency_untouched()
            latency = self._unchanged_latency() if untouched else self._latency(wl)
        except _Fallback:
            return None
        return _estimate_class()(monthly_usd=monthly, by_node={}, components=[],
                        latency=latency.to_dict(), region=self.base.pricing.region,
                        entry_requests=self.base.wl.entry_rate, latency_result=latency,
                        partial=True)

    # ------------------------------------------------------------------ structure
    def _neighbours(self, nodes: Any) -> set[str]:
        out: set[str] = set()
        for g in (self.ag, self.bg):
            for n in nodes:
                if n in g._node:
                    out.add(n)
                    out.update(g._pred[n])
                    out.update(g._succ[n])
        return out

    def _endpoints(self, edges: Any) -> set[str]:
        return {n for e in edges for n in e}

    def _implicit_services(self) -> None:
        """A changed function that calls a service the design does not declare would add
        a node to the priced design: estimate such a design whole."""
        known = _service_kinds()
        an = self.ag._node
        around = self.ch.nodes | self._endpoints(self.ch.edges)
        around |= {p for n in self.ch.nodes if n in an for p in self.ag._pred[n]}
        for fn in around:
            data = an.get(fn)
            if data is None or data["kind"] != "lambda":
                continue
            target = str(data["props"].get("glue_target") or "")
            if target in known and not any(an[s]["kind"] == target for s in self.ag._succ[fn]):
                raise _Fallback

    def _failures(self) -> None:
        """Failure destinations of the changed design, from what changed nodes and edges
        declare; the edges whose failure status changes join the changed edges."""
        declarers = self.ch.nodes | self.ch.removed | {a for a, _b in self.ch.edges}
        delta: dict[str, int] = {}  # (a plain dict: a Counter's methods cost more than these few)
        for n in declarers:
            if n in self.bg._node:
                for r in _declared_failures(self.base.arch, n):
                    delta[r] = delta.get(r, 0) - 1
            if n in self.ag._node:
                for r in _declared_failures(self.after, n):
                    delta[r] = delta.get(r, 0) + 1
        failed = self.base.failed
        now = {r: failed.get(r, 0) + d for r, d in delta.items() if d}
        self.flipped = {r for r, c in now.items() if (c > 0) != (failed.get(r, 0) > 0)}
        self.now = now

        changed = set(self.ch.edges)  # (before the edges into flipped destinations join)
        self.failure = _FailureEdges(self.after, self.base.failed_set, self.flipped,
                                     self.base.labelled, changed)
        for g in (self.ag, self.bg):
            for r in self.flipped:
                if r in g._node:
                    self.ch.edges.update((p, r) for p in g._pred[r])

    def _no_cycle(self) -> None:
        """The base design has no cycle; the changed one has none unless an added edge
        a -> b closes one (a path from b back to a). Nodes placed after every added
        edge's source in the base's order cannot lead back to one."""
        index = self.base.index
        added = self.ch.added_edges
        if not added:
            return
        limit = max(index.get(a, -1) for a, _b in added)
        succ = self.ag._succ
        for a, b in added:
            seen = {b}
            stack = [b]
            while stack:
                n = stack.pop()
                if n == a:
                    raise _Fallback
                for s in succ[n]:
                    if s not in seen and index.get(s, -1) <= limit:
                        seen.add(s)
                        stack.append(s)

    def _same_cycles(self) -> None:
        """A design with a cycle keeps the edges that close one (`propagate._back_edges`:
        a walk from the entry points over each node's sorted successors) when the change
        adds no edge between existing nodes, removes nothing and leaves the set of entry
        points as it was: the walk then visits the old nodes as before, and a new node
        that calls nothing adds only an edge into itself. Otherwise: estimated whole."""
        if not self.base.wl.back_edges:
            return
        ch, ag = self.ch, self.ag
        entries = self.base.wl.entries
        if ch.removed or any((n in entries) != (n in self.entries) for n in self.entry_changed):
            raise _Fallback
        for a, b in ch.edges:
            if a not in ag._node or b not in ag._succ[a]:
                raise _Fallback  # an edge removed
            if (a, b) in ch.added_edges and (b in self.bg._node or ag._succ[b]):
                raise _Fallback  # an edge into an existing node, or into a new one that calls on

    def _lone_entry_possible(self) -> bool:
        """Whether `propagate`'s rule for a design where nothing starts a flow (its one
        unfed node takes the traffic when every other node is a failure destination)
        could apply to the changed design: not when it has more nodes besides one than
        there are failure destinations (a ring of services, which nothing feeds)."""
        failed = self.base.failed_names + sum(1 if self.now.get(r, 0) > 0 else -1
                                              for r in self.flipped)
        return len(self.ag._node) - 1 <= failed

    def _entries(self) -> None:
        """Entry shares of the changed design: only nodes whose kind, props or edges
        changed can start or stop being entry points; if the count of nodes sharing the
        workload changes, every share changes."""
        base = self.base
        if base.lone_entry:
            raise _Fallback
        bg, ag = self.bg, self.ag
        cand = self.ch.nodes | self.ch.removed | self._endpoints(self.ch.edges)
        clients = base.clients
        for n in cand:
            if n in bg._node and category_of(bg._node[n]["kind"]) == "client":
                clients -= 1
            if n in ag._node and category_of(ag._node[n]["kind"]) == "client":
                clients += 1
        if (clients > 0) != (base.clients > 0):
            raise _Fallback
        sharing = base.sharing
        status: dict[str, Any] = {}
        for n in cand:
            if n in base.wl.entries and n not in base.scheduled:
                sharing -= 1
            if n not in ag._node:
                continue
            kind = ag._node[n]["kind"]
            scheduled = _schedule_of(self.after, n) if not ag._pred[n] else None
            if clients > 0:
                shares = category_of(kind) == "client"
            else:
                shares = (self.after.unfed(n) and scheduled is None
                          and category_of(kind) not in PASSIVE_CATEGORIES
                          and sends_traffic(self.after, n))
            if shares:
                sharing += 1
                status[n] = "share"
            elif scheduled is not None:
                status[n] = scheduled
            else:
                status[n] = None
        if sharing != base.sharing or (not sharing and self._lone_entry_possible()):
            # (none starts a flow: propagate's one-node rule may apply; estimated whole)
            raise _Fallback
        share = base.wl.entry_rate / sharing if sharing else 0.0  # as propagate shares it
        self.entries = Overlay(base.wl.entries)
        self.entry_changed: set[str] = set()
        for n, st in status.items():
            rate = share if st == "share" else st
            if rate is None:
                if n in self.entries:
                    self.entries.remove(n)
                    self.entry_changed.add(n)
            elif self.entries.get(n) != rate:
                self.entries[n] = rate
                self.entry_changed.add(n)
        for n in self.ch.removed:
            if n in base.wl.entries:
                self.entries.remove(n)

    # ------------------------------------------------------------------ props only
    def _changed_props(self) -> set[str] | None:
        """The names of the props that differ on the changed nodes, when that is all the
        change is: the same nodes of the same kinds, the same edges. None otherwise.
        What reads none of those props comes out as the base's and is not worked out:
        the failure destinations (FAILURE_NAMES), the entry points (also `schedule`),
        the undeclared services (`glue_target`), the traffic (`propagate.FLOW_PROPS`),
        unless the failure destinations or the entry points moved after all."""
        ch = self.ch
        if ch.removed or ch.edges or ch.added_edges:
            return None
        bn, an = self.bg._node, self.ag._node
        names: set[str] = set()
        for n in ch.nodes:
            old, new = bn.get(n), an.get(n)
            if old is None or new is None or old["kind"] != new["kind"]:
                return None
            bp, ap = old["props"], new["props"]
            names.update(k for k in bp.keys() | ap.keys() if bp.get(k, _GONE) != ap.get(k, _GONE))
        return names

    def _failures_kept(self) -> None:
        """`_failures` for a change of props that declare no failure destination: none
        declared, none flipped, no edge's status changed."""
        self.now = {}
        self.flipped = set()
        self.failure = _FailureEdges(self.after, self.base.failed_set, self.flipped,
                                     self.base.labelled, set(self.ch.edges))

    def _entries_kept(self) -> None:
        """`_entries` for a change of props that neither entry points nor failure
        destinations read (the same nodes, kinds and edges): every node's status is the
        base's, and so are the designs `_entries` estimates whole."""
        base = self.base
        if base.lone_entry or (not base.sharing and self._lone_entry_possible()):
            raise _Fallback
        self.entries = Overlay(base.wl.entries)
        self.entry_changed = set()

    def _unchanged_workload(self) -> Workload:
        """The base's loads and flows, as `_propagate` works them out for a change that
        alters none of their inputs."""
        bwl = self.base.wl
        self.changed_loads = set()
        self.changed_flows = set()
        return Workload(nodes=bwl.nodes, edges=bwl.edges, entries=self.entries,  # type: ignore[arg-type]
                        back_edges=bwl.back_edges, failure_edges=self.failure,  # type: ignore[arg-type]
                        entry_rate=self.base.rate, succ=bwl.succ, batches=bwl.batches)

    def _new_dead_ends(self) -> set[str] | None:
        """The nodes the change adds, when each is a dead end the data never reaches (it
        sends nothing; every edge into it carries failed records only: a dead-letter
        queue), else None."""
        an, as_, failure = self.ag._node, self.ag._succ, self.failure
        new = {n for n in self.ch.nodes if n not in self.bg._node}
        for n in new:
            if n not in an or as_[n] or any((p, n) not in failure for p in self.ag._pred[n]):
                return None
        return new

    def _edges_kept(self, new_nodes: set[str], keys: tuple[str, ...],
                    props: tuple[str, ...]) -> bool:
        """Whether every changed edge is either added into one of `new_nodes` (a dead end)
        for failed records only, or kept with the same failure-only status and the same
        `keys` of its data and `props` of its props."""
        failure, before_failure = self.failure, self.base.wl.failure_edges
        bs, as_, bn, an = self.bg._succ, self.ag._succ, self.bg._node, self.ag._node
        for a, b in self.ch.edges:
            cur = as_[a].get(b) if a in an else None
            if cur is None:
                return False  # an edge removed
            old = bs[a].get(b) if a in bn else None
            if old is None:  # added: only into a dead end, only for failed records
                if b not in new_nodes or (a, b) not in failure:
                    return False
                continue
            if ((a, b) in failure) != ((a, b) in before_failure) \
                    or any(old.get(k) != cur.get(k) for k in keys):
                return False
            op, cp = old.get("props") or {}, cur.get("props") or {}
            if any(op.get(k) != cp.get(k) for k in props):
                return False
        return True

    def _nodes_kept(self, names: frozenset[str]) -> bool:
        """Whether every changed node the design had keeps its kind and the `names` props."""
        bn, an = self.bg._node, self.ag._node
        for n in self.ch.nodes:
            old = bn.get(n)
            if old is None:
                continue
            cur = an[n]
            if old["kind"] != cur["kind"]:
                return False
            bp, ap = old["props"], cur["props"]
            if any(bp.get(k, _GONE) != ap.get(k, _GONE) for k in names):
                return False
        return True

    def _traffic_kept(self) -> bool:
        """Whether the change leaves every input of the traffic rules as it was for the
        nodes the design had (kinds, FLOW_PROPS, entry points, each edge's label, flow
        props and failure-only status) and adds only dead ends: then their loads and
        flows are the base's, and the dead ends' are worked out alone."""
        if self.ch.removed or self.entry_changed:
            return False
        new = self._new_dead_ends()
        return (new is not None and self._nodes_kept(FLOW_PROPS)
                and self._edges_kept(new, FLOW_EDGE_KEYS, FLOW_EDGE_PROPS))

    def _kept_workload(self) -> Workload:
        """The base's loads and flows with the dead ends the change added: their own
        load (nothing reaches them), nothing on the edges into them; as `_propagate`
        works them out for such a change."""
        base, ag, ch = self.base, self.ag, self.ch
        bwl = base.wl
        new = {n for n in ch.nodes if n not in self.bg._node}
        succ = Overlay(bwl.succ)
        for n in {a for a, _b in ch.added_edges} | new:
            succ[n] = sorted(ag._succ[n])
        loads, flows, batches = Overlay(bwl.nodes), Overlay(bwl.edges), Overlay(bwl.batches)
        for key in ch.added_edges:
            flows[key] = 0.0
            batches.remove(key)
        rules = FlowRules(self.after, Unrecorded(), base.base_payload, bwl.back_edges,
                          self.failure, succ)
        for n in new:
            loads[n] = rules.load(n, self.entries.get(n), flows, loads, batches)
        self.changed_loads = set(new)
        self.changed_flows = set(ch.edges)
        return Workload(nodes=loads, edges=flows, entries=self.entries,  # type: ignore[arg-type]
                        back_edges=bwl.back_edges, failure_edges=self.failure,  # type: ignore[arg-type]
                        entry_rate=base.rate, succ=succ, batches=batches)  # type: ignore[arg-type]

    def _latency_untouched(self) -> bool:
        """Whether the change leaves every input of the latency model as it was for the
        nodes the design had: their kinds, the props the model reads (LATENCY_PROPS),
        their loads, the entry points, and of their edges the mode, label, `invocation`
        and whether only failed records take it; what it adds is dead ends the data
        never reaches (a dead-letter queue). Then its latencies are the base's."""
        if self.ch.removed or self.entry_changed:
            return False
        new = self._new_dead_ends()
        return (new is not None and self.changed_loads <= new
                and self._nodes_kept(LATENCY_PROPS)
                and self._edges_kept(new, LATENCY_EDGE_KEYS, LATENCY_EDGE_PROPS))

    def _unchanged_latency(self) -> LatencyResult:
        """The base's response and delivery times, as `_latency` works them out for a
        change that alters none of their inputs."""
        response, delivery = self.base.unchanged_latency
        out = LatencyResult()
        if response is not None:
            out.has_response = True
            out.response_p50_ms, out.response_p99_ms = response
        if delivery is not None:
            out.delivery_p50_ms, out.delivery_p99_ms = delivery
        return out

    # ------------------------------------------------------------------ traffic
    def _priority(self, n: str, memo: dict[str, float]) -> float:
        """Where `n` comes in a topological order of the changed design, as near as the
        base's order tells (a new node after its callers); the walks below stay right
        when it is off, recomputing a node again when a caller changes after it."""
        got = self.base.index.get(n)
        if got is not None:
            return float(got)
        if n in memo:
            return memo[n]
        memo[n] = -0.5  # a cycle through new nodes cannot occur (checked), but be safe
        pred = self.ag._pred[n]
        memo[n] = max((self._priority(p, memo) for p in pred if p != n), default=-1.0) + 0.5
        return memo[n]

    def _propagate(self) -> Workload:
        base, ag, ch = self.base, self.ag, self.ch
        bwl = base.wl
        succ = Overlay(bwl.succ)
        out_changed = {a for a, _b in ch.edges if a in ag._node} | {
            n for n in ch.nodes if n not in self.bg._node}
        for n in out_changed:
            succ[n] = sorted(ag._succ[n])
        for n in ch.removed:
            succ.remove(n)
        loads, flows, batches = Overlay(bwl.nodes), Overlay(bwl.edges), Overlay(bwl.batches)
        for n in ch.removed:
            loads.remove(n)
        for e in ch.edges:
            if e[0] not in ag._node or e[1] not in ag._succ[e[0]]:
                flows.remove(e)
                batches.remove(e)
        rate, base_payload = base.rate, base.base_payload  # (the workloads are the same)
        rules = FlowRules(self.after, Unrecorded(), base_payload, bwl.back_edges, self.failure,
                          succ)
        self.changed_loads: set[str] = set()
        self.changed_flows: set[tuple[str, str]] = set(ch.edges)
        an = ag._node
        force_out = set(out_changed) | {n for n in ch.nodes if n in an}
        seeds = {n for n in (ch.nodes | self.entry_changed | self._endpoints(ch.edges)) if n in an}
        prio: dict[str, float] = {}
        fresh: dict[str, float] = {}
        heap = [(self._priority(n, fresh), n) for n in seeds]
        heapq.heapify(heap)
        queued = set(seeds)
        done_out: set[str] = set()
        while heap:
            _p, n = heapq.heappop(heap)
            queued.discard(n)
            waiting = [p for p in ag._pred[n] if not rules.dead(p, n) and (p, n) not in flows]
            if waiting:  # a caller whose flow is not known yet: it goes first
                top = max(prio.get(p, self._priority(p, fresh)) for p in waiting)
                prio[n] = top + 0.25
                for p in waiting:
                    if p not in queued:
                        queued.add(p)
                        force_out.add(p)
                        heapq.heappush(heap, (prio.get(p, self._priority(p, fresh)), p))
                queued.add(n)
                heapq.heappush(heap, (prio[n], n))
                continue
            load = rules.load(n, self.entries.get(n), flows, loads, batches)
            old = loads.get(n)
            changed = old != load
            if changed:
                loads[n] = load
                self.changed_loads.add(n)
            if not (changed or (n in force_out and n not in done_out)):
                continue
            done_out.add(n)
            for s, flow, per in rules.out(n, load):
                key = (n, s)
                if flows.get(key) != flow or batches.get(key) != per:
                    flows[key] = flow
                    if per is None:
                        batches.remove(key)
                    else:
                        batches[key] = per
                    self.changed_flows.add(key)
                elif not changed:
                    continue
                if s not in queued:
                    queued.add(s)
                    heapq.heappush(heap, (prio.get(s, self._priority(s, fresh)), s))
        return Workload(nodes=loads, edges=flows, entries=self.entries,  # type: ignore[arg-type]
                        back_edges=base.wl.back_edges, failure_edges=self.failure,  # type: ignore[arg-type]
                        entry_rate=rate, succ=succ, batches=batches)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ cost
    def _spreads(self, n: str) -> bool:
        """Whether the change of node `n` can alter its neighbours' lines: it is new or
        gone, of another kind, or one of the props they read changed (NEIGHBOUR_PROPS)."""
        old, new = self.bg._node.get(n), self.ag._node.get(n)
        if old is None or new is None or old["kind"] != new["kind"]:
            return True
        bp, ap = old["props"], new["props"]
        return any(bp.get(k, _GONE) != ap.get(k, _GONE) for k in NEIGHBOUR_PROPS)

    def _cost(self, wl: Workload) -> float:
        """The lines priced again: a node's depend on its own data and load, on the
        edges it has (their data, flows and batches) and on its neighbours' kinds, loads
        and the props of theirs it reads (`cost.node_lines`). So the changed nodes', the
        ends of every changed edge and flow, and the neighbours of what changed in a way
        they read (a load, an entry, a node gone, new, of another kind, or such a prop),
        and the resources that name such a node as their key (`Base.key_users`)."""
        base, ag, ch = self.base, self.ag, self.ch
        spread = self.changed_loads | self.entry_changed | ch.removed | {
            n for n in ch.nodes if self._spreads(n)}
        around = (ch.nodes | self._endpoints(self.changed_flows) | self._endpoints(ch.edges)
                  | self._neighbours(spread))
        users = base.key_users
        if users:
            around.update(u for n in spread if n in users for u in users[n])
        ctx = Ctx(self.after, wl, base.pricing, Unrecorded())
        delta: dict[str, list[float]] = {}
        for n in around:
            old: list[Usage] = base.lines.get(n, []) if n in self.bg._node else []
            new = node_lines(ctx, n) if n in ag._node else []
            if old == new:
                continue
            for u in old:
                delta.setdefault(u.key, []).append(-u.quantity)
            for u in new:
                delta.setdefault(u.key, []).append(u.quantity)
        if not delta:
            return base.monthly_usd
        totals = Overlay(base.totals)
        for key, values in delta.items():
            totals[key] = math.fsum([*base.partials(key), *values])
        if base.terms:  # the free tier is shared among keys: charged over every total
            merged = {k: totals[k] for k in (*base.totals, *(k for k in delta if k not in base.totals))}
            charge = charges(base.pricing, merged, base.terms)
        else:
            charge = dict(base.charges)
            charge.update(charges(base.pricing, {k: totals[k] for k in delta}, ()))
        # a key whose lines are all gone was absent from a full estimate: its 0 adds nothing
        return monthly_total(charge)

    # ------------------------------------------------------------------ latency
    def _latency(self, wl: Workload) -> LatencyResult:
        ag = self.ag
        model = _Model(self.after, wl)
        touched = (self.ch.nodes | self.changed_loads | self.entry_changed
                   | self._endpoints(self.changed_flows))
        live = {n for n in touched if n in ag._node}
        out = LatencyResult()
        self._response(model, live, out)
        self._delivery(model, live, out)
        return out

    def _sync_parents(self, model: _Model, n: str) -> list[str]:
        return [p for p in self.ag._pred[n] if n in model.sync_children(p)]

    def _response(self, model: _Model, touched: set[str], out: LatencyResult) -> None:
        """Response times: recomputed from the changed nodes up their synchronous
        callers while they come out different; the slowest entry point of the unchanged
        ones (in the base's order) against the recomputed ones."""
        base, ag = self.base, self.ag
        memo = Overlay(base.memo)
        for n in self.ch.removed:
            memo.remove(n)
        seeds = set(touched)
        for n in touched:
            seeds.update(p for p in ag._pred[n])
        fresh: dict[str, float] = {}
        heap = [(-self._priority(n, fresh), n) for n in seeds]
        heapq.heapify(heap)
        queued = set(seeds)
        recomputed: set[str] = set()

        def value(k: str) -> Timing:
            got = memo.get(k)
            if got is None or (k in queued and k not in recomputed):
                got = self._fresh_response(model, k, memo, queued, recomputed)
            return got  # type: ignore[no-any-return]

        while heap:
            _p, n = heapq.heappop(heap)
            queued.discard(n)
            kids = model.sync_children(n)
            values = {k: value(k) for k in kids}
            new, _kids = model.combine(n, kids, values)
            recomputed.add(n)
            if memo.get(n) != new:
                memo[n] = new
                for p in self._sync_parents(model, n):
                    if p not in queued:
                        queued.add(p)
                        heapq.heappush(heap, (-self._priority(p, fresh), p))
        changed = recomputed | self.entry_changed | {n for n in self.ch.nodes if n in ag._node}
        best: tuple[float, float] | None = None
        for p50, p99, e in base.api_rank:
            if e not in changed and e not in self.ch.removed and e in self.entries:
                best = (p50, p99)
                break
        for e in changed:
            if e not in self.entries or e not in ag._node:
                continue
            cat = category_of(ag._node[e]["kind"])
            if cat not in API_ENTRY_CATEGORIES or (cat == "client" and not model.sync_children(e)):
                continue
            t = value(e)
            if best is None or (t.p50, t.p99) > best:
                best = (t.p50, t.p99)
        if best is not None:
            out.has_response = True
            out.response_p50_ms, out.response_p99_ms = best

    def _fresh_response(self, model: _Model, k: str, memo: Overlay, queued: set[str],
                        recomputed: set[str]) -> Timing:
        """The response time of a node the base never worked out (it was on no entry's
        synchronous tree) or that waits its turn: its tree, bottom up."""
        stack: list[tuple[str, bool]] = [(k, False)]
        done: dict[str, Timing] = {}
        while stack:
            n, ready = stack.pop()
            if n in done:
                continue
            kids = model.sync_children(n)
            if not ready:
                stack.append((n, True))
                for c in kids:
                    known = memo.get(c)
                    if c not in done and (known is None or (c in queued and c not in recomputed)):
                        stack.append((c, False))
                continue
            values = {c: done[c] if c in done else memo[c] for c in kids}
            done[n], _kids = model.combine(n, kids, values)
        for n, t in done.items():
            if n not in queued:
                memo[n] = t
        return done[k]

    def _delivery(self, model: _Model, touched: set[str], out: LatencyResult) -> None:
        """Arrival times: recomputed from the changed nodes forward while they come out
        different; the last store of the unchanged ones against the recomputed ones."""
        base, ag = self.base, self.ag
        arrivals = Overlay(base.arrivals)
        for n in self.ch.removed:
            arrivals.remove(n)
        seeds = set(touched)
        for n in touched:
            seeds.update(ag._succ[n])
        fresh: dict[str, float] = {}
        prio: dict[str, float] = {}
        heap = [(self._priority(n, fresh), n) for n in seeds]
        heapq.heapify(heap)
        queued = set(seeds)
        pending_new = {n for n in seeds if n not in self.bg._node}
        recomputed: set[str] = set()
        while heap:
            _p, n = heapq.heappop(heap)
            queued.discard(n)
            waiting = [p for p in ag._pred[n] if p in pending_new and not model.dead(p, n)]
            if waiting:
                prio[n] = max(prio.get(p, self._priority(p, fresh)) for p in waiting) + 0.25
                queued.add(n)
                heapq.heappush(heap, (prio[n], n))
                continue
            pending_new.discard(n)
            got = model.arrival(n, n in self.entries, arrivals)
            new = (got[0], got[1]) if got is not None else None
            recomputed.add(n)
            if arrivals.get(n) == new:
                continue
            if new is None:
                arrivals.remove(n)
            else:
                arrivals[n] = new
            for s in ag._succ[n]:
                if s not in queued and not model.dead(n, s):
                    queued.add(s)
                    heapq.heappush(heap, (prio.get(s, self._priority(s, fresh)), s))
        # sinks and stores among what may have changed
        z = recomputed | self.ch.nodes | self.ch.removed | {a for a, _b in self.changed_flows}
        sinks: set[str] = set()
        storage: set[str] = set()
        for n in z:
            if n not in ag._node or arrivals.get(n) is None:
                continue
            kind = ag._node[n]["kind"]
            if category_of(kind) == "client":
                continue
            if any(not model.dead(n, s) for s in wl_succ(model, n)):
                continue
            sinks.add(n)
            if category_of(kind) == "storage":
                storage.add(n)
        kept_storage = len(base.storage) - len(base.storage & z)  # (not O(stores) each time)
        key = "storage" if kept_storage + len(storage) > 0 else "sinks"
        stores = storage if key == "storage" else sinks
        rank50, rank99 = base.rank[key]
        best50 = next(((t, n) for t, n in rank50 if n not in z), None)
        best99 = next((t for t, n in rank99 if n not in z), None)
        for n in stores:
            t50, t99 = arrivals[n]
            if best50 is None or (t50, n) > best50:
                best50 = (t50, n)
            if best99 is None or t99 > best99:
                best99 = t99
        if best50 is not None:
            out.delivery_p50_ms = best50[0]
            out.delivery_p99_ms = best99 if best99 is not None else 0.0


def wl_succ(model: _Model, n: str) -> list[str]:
    return model.wl.succ[n]  # type: ignore[no-any-return]


__all__ = ["Base", "Change", "base_of", "changes_between", "estimate_change"]
