"""Latency: what a client waits for, and how long until data reaches its final store.

Response: from each client (or API entry point), the synchronous calls it waits for,
each adding the called service's own time (latency.yaml `services`), a Lambda adding
its duration plus a cold start when enough invocations are cold. Calls a node makes
are taken as sequential, so a node's time is its own plus its sync callees' (an upper
bound when calls run in parallel). Percentiles of hops are added, which makes the p99
an upper bound too.

Delivery: the earliest time the data is in every final store, following every edge:
sync calls add the callee's own time, async/poll/stream hops add the measured delivery
time of that hop (latency.yaml `hops`), and a Firehose adds its buffer wait (half the
flush period at the median, the whole period at the p99; the flush period is the
buffer interval or the time to fill the buffer size, whichever is shorter).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from advisor.catalog import category_of, prop_value
from advisor.estimate.data import latency_data
from advisor.estimate.propagate import MINUTES_PER_MONTH, Workload
from advisor.estimate.semantics import is_side_call
from advisor.model import Architecture
from advisor.units import SECONDS_PER_MONTH

MS_PER_MONTH = SECONDS_PER_MONTH * 1000.0
API_ENTRY_CATEGORIES = frozenset({"client", "edge"})
# every node prop the latency model reads (a function's duration, runtime and
# concurrency, a workflow's or an API's type, a queue's FIFO and a stream's enhanced
# fan-out, a buffer's size and interval): a change of other props leaves the latencies
# as they were, which the incremental estimate relies on (advisor/estimate/incremental.py;
# tests/test_estimate_prop_reads.py checks the list against what the model reads)
LATENCY_PROPS = frozenset({
    "duration", "runtime", "provisioned_concurrency", "concurrency", "type", "fifo", "efo",
    "buffer_interval", "buffer_size",
})
# and what it reads of an edge: its mode and label, and of its props `invocation`
LATENCY_EDGE_KEYS = ("mode", "label")
LATENCY_EDGE_PROPS = ("invocation",)


@dataclass
class Timing:
    p50: float
    p99: float


@dataclass
class LatencyResult:
    response_p50_ms: float = 0.0
    response_p99_ms: float = 0.0
    delivery_p50_ms: float = 0.0
    delivery_p99_ms: float = 0.0
    response_path: list[str] = field(default_factory=list)
    delivery_path: list[str] = field(default_factory=list)
    cold_start_share: float = 0.0
    has_response: bool = False
    notes: list[str] = field(default_factory=list)
    state: Any = field(default=None, repr=False, compare=False)  # LatencyState

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without `state` (the model it was worked out with: only an incremental
        estimate in this process reads it)."""
        return {**self.__dict__, "state": None}

    def to_dict(self) -> dict[str, Any]:
        return {
            "response_p50_ms": round(self.response_p50_ms, 1),
            "response_p99_ms": round(self.response_p99_ms, 1),
            "delivery_p50_ms": round(self.delivery_p50_ms, 1),
            "delivery_p99_ms": round(self.delivery_p99_ms, 1),
            "response_path": list(self.response_path),
            "delivery_path": list(self.delivery_path),
            "cold_start_share": round(self.cold_start_share, 4),
        }


_SERVICE_CACHE: dict[str, Timing] = {}


@cache
def _default(kind: str, name: str) -> Any:
    return prop_value({}, kind, name)


def _service(key: str) -> Timing:
    t = _SERVICE_CACHE.get(key)
    if t is None:
        services = latency_data()["services"]
        item = services.get(key) or services["default"]
        t = _SERVICE_CACHE[key] = Timing(float(item["p50_ms"]), float(item["p99_ms"]))
    return t


def runtime_family(runtime: str) -> str:
    r = (runtime or "").lower()
    for fam in ("python", "nodejs", "java", "dotnet", "ruby", "rust"):
        if fam in r:
            return fam
    if r.startswith(("go", "provided")):
        return "go"
    return "default"


@cache
def _cold_model() -> tuple[float, float, float, float]:
    """latency.yaml's cold-start model as numbers (idle reclaim and environment lifetime
    in minutes, the p50 and p99 cold shares), read once: every alternative's latency
    estimate asks for them."""
    model = latency_data()["cold_model"]
    return (float(model["idle_reclaim_minutes"]["value"]),
            float(model["environment_lifetime_minutes"]["value"]),
            float(model["p50_threshold"]["value"]), float(model["p99_threshold"]["value"]))


@cache
def _cold_start(family: str) -> tuple[float, float]:
    """A runtime family's cold start (p50, p99 ms)."""
    table = latency_data()["cold_start"]
    cold = table.get(family) or table["default"]
    return float(cold["p50_ms"]), float(cold["p99_ms"])


def cold_share(arch: Architecture, wl: Workload, n: str) -> float:
    """Share of a function's invocations that start a new execution environment."""
    props = arch.graph._node[n]["props"]
    if props.get("provisioned_concurrency"):
        return 0.0
    inv = wl.nodes[n].invocations
    if inv <= 0:
        return 1.0
    idle, lifetime, _p50, _p99 = _cold_model()
    duration = float(props["duration"] if "duration" in props else _default("lambda", "duration"))
    stated = props.get("concurrency")
    busy = inv / SECONDS_PER_MONTH * duration / 1000.0
    envs = max(1, int(stated) if stated else math.ceil(busy))
    per_minute = inv / MINUTES_PER_MONTH
    if envs / per_minute > idle:  # each environment sits idle long enough to be reclaimed
        return 1.0
    return min(1.0, envs * (MINUTES_PER_MONTH / lifetime) / inv)


# nodes whose synchronous callees are alternative routes rather than a sequence of calls
ROUTING_CATEGORIES = frozenset({"edge", "client"})


class _Model:
    def __init__(self, arch: Architecture, wl: Workload) -> None:
        self.arch = arch
        self.wl = wl
        self.g = arch.graph
        self.nodes: dict[str, dict[str, Any]] = arch.graph._node  # read only
        self.services = latency_data()["services"]
        _idle, _lifetime, self.p50_cold, self.p99_cold = _cold_model()
        self.max_cold = 0.0
        self._own: dict[tuple[str, bool], Timing] = {}
        self._memo: dict[str, Timing] = {}  # response time of a node's sync tree
        self._paths: dict[str, list[str]] = {}
        self._kids: dict[str, list[str]] = {}  # sync_children, per node (read only)

    def prop(self, n: str, name: str) -> Any:
        data = self.nodes[n]
        props = data["props"]
        if name in props:
            return props[name]
        return _default(data["kind"], name)

    def own(self, n: str, response: bool) -> Timing:
        """The node's own time: what a synchronous caller (or the data) waits at it."""
        cached = self._own.get((n, response))
        if cached is not None:
            return cached
        kind = self.nodes[n]["kind"]
        if kind == "lambda":
            duration = float(self.prop(n, "duration") or 0)
            base = _service("lambda")
            share = cold_share(self.arch, self.wl, n)
            cold50, cold99 = _cold_start(runtime_family(str(self.prop(n, "runtime") or "")))
            p50 = duration + base.p50 + (cold50 if share >= self.p50_cold else 0.0)
            p99 = duration + base.p99 + (cold99 if share >= self.p99_cold else 0.0)
            t = Timing(p50, p99)
        elif kind == "sfn":
            sub = str(self.prop(n, "type") or "standard")
            waited = sub == "express" and any(
                (e.get("props") or {}).get("invocation") == "sync" for e in self.g._pred[n].values()
            )
            if response and not waited:
                # StartExecution returns at once; only StartSyncExecution (an Express
                # workflow called with `invocation = sync`) makes the caller wait
                t = _service("sfn.standard")
            else:
                base = _service(f"sfn.{sub}")
                d = float(self.prop(n, "duration") or 0)
                t = Timing(base.p50 + d, base.p99 + d)
        elif kind == "apigw":
            t = _service(f"apigw.{self.prop(n, 'type') or 'rest'}")
        else:
            t = _service(kind)
        self._own[(n, response)] = t
        return t

    def sync_children(self, n: str) -> list[str]:
        """The callees `n` waits for (not to be changed: kept for the model's design and
        workload, which do not change while it is in use)."""
        got = self._kids.get(n)
        if got is None:
            adj = self.g._succ[n]
            back, failure = self.wl.back_edges, self.wl.failure_edges
            got = self._kids[n] = [
                s
                for s in self.wl.succ[n]
                if adj[s].get("mode", "sync") in (None, "sync")
                and (n, s) not in back
                and (n, s) not in failure
            ]
        return got

    def response(self, entry: str) -> tuple[Timing, list[str]]:
        """Time a caller of `entry` waits: own time plus sync callees, memoised."""
        memo = self._memo
        paths = self._paths
        # iterative post-order over the sync sub-graph (no recursion limit on big designs);
        # a callee already on the current call chain (a cycle) is not followed
        stack: list[tuple[str, list[str] | None]] = [(entry, None)]
        onpath: set[str] = set()
        while stack:
            n, kids = stack.pop()
            if kids is None:
                if n in memo or n in onpath:
                    continue
                onpath.add(n)
                kids = [k for k in self.sync_children(n) if k not in onpath]
                stack.append((n, kids))
                stack.extend((k, None) for k in reversed(kids) if k not in memo)
                continue
            onpath.discard(n)
            memo[n], kids = self.combine(n, kids, memo)
            if self.nodes[n]["kind"] == "lambda":
                self.max_cold = max(self.max_cold, cold_share(self.arch, self.wl, n))
            path = [n]
            for k in kids:
                path += [p for p in paths.get(k, []) if p not in path]
            paths[n] = path
        return memo[entry], paths[entry]

    def combine(self, n: str, kids: list[str], memo: Any) -> tuple[Timing, list[str]]:
        """The time a caller of `n` waits, from its own time and its synchronous callees'
        (`memo[k]`), and the callees on that path. An API's routes (a client's endpoints)
        are alternatives: a request takes one, so the slowest one counts, not their sum;
        its authorizer is called before the route, by every request. An Express
        execution's duration already covers its tasks."""
        own = self.own(n, response=True)
        kid_t = [memo[k] for k in kids if k in memo]
        if category_of(self.nodes[n]["kind"]) in ROUTING_CATEGORIES:
            side = [k for k in kids if k in memo and is_side_call(self.arch, n, k)]
            routes = [k for k in kids if k in memo and k not in side]
            slowest = max((memo[k] for k in routes), key=lambda t: (t.p50, t.p99),
                          default=Timing(0.0, 0.0))
            kid_t = [slowest, *(memo[k] for k in side)]
            kids = [*side, *[k for k in routes if memo[k] is slowest][:1]]
        kid_p50 = sum(t.p50 for t in kid_t)
        kid_p99 = sum(t.p99 for t in kid_t)
        if self.nodes[n]["kind"] == "sfn" and str(self.prop(n, "type") or "") == "express":
            return Timing(max(own.p50, kid_p50), max(own.p99, kid_p99)), kids
        return Timing(own.p50 + kid_p50, own.p99 + kid_p99), kids

    def arrival(self, n: str, is_entry: bool, arrivals: Any,
                ) -> tuple[float, float, str | None] | None:
        """When the data is at `n` (p50, p99) and the caller it comes from last, from when
        it is at each caller (`arrivals[p]`: (p50, p99)); None when nothing reaches it."""
        # the latest arrival over the callers, the first of equal ones by (time, caller)
        # as `max` takes it; the entry itself arrives at 0
        best: tuple[float, str] | None = (0.0, "") if is_entry else None
        via: str | None = None
        t99: float | None = 0.0 if is_entry else None
        pred = self.g._pred[n]
        back, failure = self.wl.back_edges, self.wl.failure_edges
        for p, data in pred.items():
            got = arrivals.get(p)
            if got is None or (p, n) in back or (p, n) in failure:
                continue  # not reached, a loop, or the path only failed records take
            if data.get("mode", "sync") in (None, "sync"):
                c50, c99 = got[0] + 0.0, got[1] + 0.0
            else:
                h = self.hop(p, n)
                c50, c99 = got[0] + h.p50, got[1] + h.p99
            key = (c50, p or "")
            if best is None or key > best:
                best, via = key, p
            if t99 is None or c99 > t99:
                t99 = c99
        if best is None or t99 is None:
            return None
        own = self.own(n, response=False)
        return best[0] + own.p50, t99 + own.p99, via

    def dead(self, a: str, b: str) -> bool:
        return (a, b) in self.wl.back_edges or (a, b) in self.wl.failure_edges

    def hop(self, a: str, b: str) -> Timing:
        """Delivery time over a non-sync edge a -> b."""
        ka, kb = self.nodes[a]["kind"], self.nodes[b]["kind"]
        props_a = self.nodes[a]["props"]
        fifo = bool(prop_value(props_a, ka, "fifo"))
        efo = bool(prop_value(props_a, ka, "efo"))
        t, buffered = _hop_rule(ka, kb, fifo, efo)
        if buffered:
            wait = self.buffer_period(a)
            t = Timing(t.p50 + wait / 2.0, t.p99 + wait * 0.99)
        return t

    def buffer_period(self, n: str) -> float:
        """Time between buffer flushes: the interval, or sooner when the size fills."""
        interval = float(self.prop(n, "buffer_interval") or 300_000)
        size = float(self.prop(n, "buffer_size") or 5 * 1024**2)
        rate = self.wl.nodes[n].bytes / MS_PER_MONTH  # bytes per ms
        if rate <= 0:
            return interval
        return min(interval, size / rate)


@cache
def _hop_rule(ka: str, kb: str, fifo: bool, efo: bool) -> tuple[Timing, bool]:
    """The delivery time of a hop between two kinds (latency.yaml `hops`: the first rule
    that matches; 0 when none does) and whether it waits for a buffer to fill. Worked
    out once per pair of kinds, not once per design (each alternative's estimate has
    its own model)."""
    rule = next(
        (
            r
            for r in latency_data()["hops"]
            if r["source"] in ("*", ka)
            and r["target"] in ("*", kb)
            and (fifo or not r.get("fifo"))
            and (efo or not r.get("efo"))
        ),
        None,
    )
    if rule is None:
        return Timing(0.0, 0.0), False
    return Timing(float(rule["p50_ms"]), float(rule["p99_ms"])), bool(rule.get("buffered"))


def compute_latency(arch: Architecture, wl: Workload) -> LatencyResult:
    m = _Model(arch, wl)
    out = LatencyResult()
    entries = sorted(wl.entries)

    # --- response: the slowest client-facing synchronous tree
    best: tuple[float, float, list[str]] | None = None
    for e in entries:
        cat = category_of(arch.kind(e))
        if cat not in API_ENTRY_CATEGORIES:
            continue
        if cat == "client" and not m.sync_children(e):
            continue
        t, path = m.response(e)
        if best is None or (t.p50, t.p99) > (best[0], best[1]):
            best = (t.p50, t.p99, path)
    if best is not None:
        out.has_response = True
        out.response_p50_ms, out.response_p99_ms, out.response_path = best[0], best[1], best[2]
        out.cold_start_share = m.max_cold

    # --- delivery: arrival times in topological order
    arrivals: dict[str, tuple[float, float]] = {}
    prev: dict[str, str | None] = {}
    for n in wl.order:
        got = m.arrival(n, n in wl.entries, arrivals)
        if got is not None:
            arrivals[n] = (got[0], got[1])
            prev[n] = got[2]
    arr50 = {n: t[0] for n, t in arrivals.items()}
    arr99 = {n: t[1] for n, t in arrivals.items()}
    sinks = [
        n
        for n in arr50
        if not any((n, s) not in wl.back_edges and (n, s) not in wl.failure_edges for s in wl.succ[n])
        and category_of(arch.kind(n)) != "client"
    ]
    stores = [n for n in sinks if category_of(arch.kind(n)) == "storage"] or sinks
    if stores:
        last = max(stores, key=lambda n: (arr50[n], n))
        out.delivery_p50_ms = arr50[last]
        out.delivery_p99_ms = max(arr99[n] for n in stores)
        path: list[str] = []
        on_path: set[str] = set()  # a set beside the list: a long chain is not quadratic
        cur: str | None = last
        while cur is not None and cur not in on_path:
            path.append(cur)
            on_path.add(cur)
            cur = prev.get(cur)
        out.delivery_path = list(reversed(path))
    out.state = LatencyState(model=m, arrivals=arrivals, sinks=sinks, stores=stores)
    return out


@dataclass
class LatencyState:
    """What a latency estimate worked out on the way, for estimating a rewrite of the
    design from it (advisor/estimate/incremental.py): each node's response time
    (`model._memo`), when the data reaches it, and the sinks and stores."""

    model: _Model
    arrivals: dict[str, tuple[float, float]]
    sinks: list[str]
    stores: list[str]
