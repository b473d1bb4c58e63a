"""Workload propagation: how much traffic every node and edge carries per month.

The design's workload (requests per month and payload size at the entry points) flows
along the edges: each edge carries `records(source) x fanout x filter`, where an API,
load balancer or CDN shares its requests among its routes (a request takes one route).
Calls every request makes besides its route (an authorizer, a KMS key, a log group) are
not routes: they carry every request and take nothing from the routes, so adding an
authorizer never makes the function behind the API cheaper.

An event source mapping into a Lambda (SQS, Kinesis, DynamoDB Streams) invokes it once per
batch: the edge's `batch`, else the mapping's default (10 for SQS, 100 for streams). A
stream batch holds what arrives on a shard between polls (Lambda polls a Kinesis shard
once a second, a DynamoDB stream shard four times a second, or waits the edge's batching
`window`), so at low traffic batches are small; SQS batches are taken as full unless a
`window` is stated (an assumption the output states). A stated `batch` on any other edge
into a Lambda divides too. A node's own `requests` prop replaces what flows in, and its
`payload` replaces the incoming payload size. Edges that close a cycle (back edges of a
depth-first walk from the entry points) carry nothing, so a loop is counted once around
and propagation always terminates. When that edge is a function's write-back into the
queue, stream or table that feeds it (`Architecture.writes_back`: the walk reaches the
source first), its calls are still priced at the target (its incoming flows), once:
they are not fed around again.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from advisor.catalog import category_of, prop_value
from advisor.estimate.assumptions import Assumptions
from advisor.estimate.data import default_value
from advisor.estimate.semantics import is_side_call
from advisor.model import Architecture
from advisor.units import SECONDS_PER_MONTH

DEFAULT_REQUESTS = 1_000_000.0  # per month, when the design states no workload
DEFAULT_PAYLOAD = 1024.0  # bytes
BATCHED_TARGETS = frozenset({"lambda"})  # kinds billed per invocation of a batch
# kinds a Firehose delivery stream writes objects to, one per buffer flush: what arrives
# there is those objects (each holding the records of one flush), so what they notify
# (S3 event notifications) is one event per object, not per record
OBJECT_TARGETS = frozenset({"s3"})
POLLING_TARGETS = frozenset({"lambda", "pipes"})  # read their source in batches
ESM_SOURCES = frozenset({"sqs", "kinesis", "dynamodb"})  # Lambda event source mappings, pipe sources
PASSIVE_CATEGORIES = frozenset({"identity", "security", "observability"})
MINUTES_PER_MONTH = SECONDS_PER_MONTH / 60


def firehose_flushes(records: float, total_bytes: float, props: dict[str, Any]) -> float:
    """Objects a delivery stream writes per month: one per buffer flush, when the buffer
    fills (`buffer_size`) or its interval ends (`buffer_interval`; the catalog's defaults,
    5 MB and 300 s, are Firehose's: latency.yaml gives the source), never more than one
    per record."""
    if records <= 0:
        return 0.0
    interval = float(prop_value(props, "firehose", "buffer_interval") or 300_000)
    size = float(prop_value(props, "firehose", "buffer_size") or 5 * 1024**2)
    by_time = SECONDS_PER_MONTH * 1000 / interval if interval > 0 else records
    by_size = total_bytes / size if size > 0 else records
    return min(records, max(by_time, by_size))


def _transform_batches(load: Load, fn: str, notes: Assumptions) -> float:
    """Invocations of a delivery stream's transform function per month: one per buffered
    batch, when Firehose's Lambda buffer fills or its interval ends (the defaults), never
    more than one per record."""
    size = float(notes.default(
        "firehose", "transform_buffer_bytes",
        "Firehose invokes its transform function once per buffered batch: when 1 MB has "
        "gathered (its default Lambda buffering size hint)", nodes=(fn,),
        state="`requests` on the function (its invocations a month)"))
    interval = float(notes.default(
        "firehose", "transform_buffer_interval_ms",
        "or every 60 s, whichever comes first (its default Lambda buffering interval hint)",
        nodes=(fn,),
        state="`requests` on the function (its invocations a month)"))
    by_time = SECONDS_PER_MONTH * 1000 / interval if interval > 0 else load.records
    by_size = load.bytes / size if size > 0 else load.records
    return max(1e-9, min(load.records, max(by_time, by_size)))


@dataclass
class Load:
    """Traffic at one node per month."""

    records: float = 0.0  # items arriving (messages, requests, events)
    invocations: float = 0.0  # executions of the node (records / batch on batched edges)
    payload: float = DEFAULT_PAYLOAD  # bytes per record

    @property
    def bytes(self) -> float:
        return self.records * self.payload


@dataclass
class Workload:
    """Per-node loads, per-edge record flows, and what was assumed."""

    nodes: dict[str, Load]
    edges: dict[tuple[str, str], float]  # records per month on each edge
    entries: dict[str, float]  # entry node -> records per month it starts
    back_edges: set[tuple[str, str]] = field(default_factory=set)
    failure_edges: set[tuple[str, str]] = field(default_factory=set)  # DLQ / on-failure hops
    notes: list[str] = field(default_factory=list)
    entry_rate: float = 0.0  # the workload rate shared by the entry points
    order: list[str] = field(default_factory=list)  # topological, back edges ignored
    succ: dict[str, list[str]] = field(default_factory=dict)  # sorted successors
    assumptions: Assumptions = field(default_factory=Assumptions)
    batches: dict[tuple[str, str], float] = field(default_factory=dict)  # records per batch


_RATE_RE = re.compile(r"rate\(\s*(\d+(?:\.\d+)?)\s+(minute|minutes|hour|hours|day|days)\s*\)", re.I)


def schedule_rate(expr: str | None) -> float | None:
    """Invocations per month of an EventBridge schedule expression (cron is approximate)."""
    if not expr:
        return None
    m = _RATE_RE.search(str(expr))
    if m:
        n = float(m.group(1))
        unit = m.group(2).lower()
        minutes = n * (1 if unit.startswith("minute") else 60 if unit.startswith("hour") else 1440)
        return MINUTES_PER_MONTH / minutes if minutes > 0 else None
    if str(expr).strip().lower().startswith("cron("):
        return _cron_rate(str(expr))
    if str(expr).strip().lower().startswith("at("):
        return 1.0
    return None


def _cron_rate(expr: str) -> float:
    """Approximate runs per month of `cron(min hour dom month dow year)`."""
    fields = expr.strip()[5:-1].split()
    if len(fields) < 2:
        return MINUTES_PER_MONTH / 1440

    def count(field_text: str, span: int) -> float:
        if field_text in ("*", "?"):
            return float(span)
        if "/" in field_text:
            step = field_text.split("/", 1)[1]
            return span / max(1.0, float(step)) if step.isdigit() else 1.0
        return float(len(field_text.split(",")))

    per_hour = count(fields[0], 60)
    hours_per_day = count(fields[1], 24)
    return per_hour * hours_per_day * 730 / 24


def _schedule_of(arch: Architecture, name: str) -> float | None:
    kind = arch.kind(name)
    if kind not in ("scheduler", "eventbridge"):
        return None
    props = arch.graph._node[name]["props"]
    expr = prop_value(props, kind, "schedule")
    if kind == "eventbridge" and "schedule" not in props:
        return None
    return schedule_rate(expr)


def _entries(arch: Architecture, rate: float) -> tuple[dict[str, float], list[str]]:
    g = arch.graph
    notes: list[str] = []
    entries: dict[str, float] = {}
    scheduled: dict[str, float] = {}
    names = arch.node_names()  # (sorted once)
    pred = g._pred
    for n in names:
        if not pred[n]:
            r = _schedule_of(arch, n)
            if r is not None:
                scheduled[n] = r
    clients = [n for n in names if category_of(arch.kind(n)) == "client"]
    if clients:
        sharing = clients
    else:
        unfed = [n for n in names
                 if arch.unfed(n) and n not in scheduled
                 and category_of(arch.kind(n)) not in PASSIVE_CATEGORIES]
        # the nodes nothing feeds that start a flow; a design of one node (its dead-letter
        # queues aside: a lone queue, a queue and its DLQ) takes the traffic at that node
        sharing = [n for n in unfed if sends_traffic(arch, n)]
        if not sharing and len(unfed) == 1 and (
                len(g) == 1 or set(g) - set(unfed) <= arch.failure_destinations()):
            sharing = unfed
    if sharing:
        share = rate / len(sharing)
        for n in sharing:
            entries[n] = share
    entries.update(scheduled)
    return entries, notes


def _back_edges(arch: Architecture, roots: list[str], succ: dict[str, list[str]]) -> set[tuple[str, str]]:
    """Edges closing a cycle, found by an iterative DFS from the roots, then the rest."""
    g = arch.graph
    state: dict[str, int] = {}  # 1 on stack, 2 done
    back: set[tuple[str, str]] = set()
    rootset = set(roots)
    order = list(roots) + [n for n in sorted(g) if n not in rootset]
    for root in order:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                continue
            s = state.get(nxt)
            if s == 1:
                back.add((node, nxt))
            elif s is None:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
    return back


def _topo(arch: Architecture, back: set[tuple[str, str]]) -> list[str]:
    import heapq

    g = arch.graph
    adj = g._succ  # (the graph's own dicts: no view objects)
    indeg = {n: 0 for n in g}
    for a, nbrs in adj.items():
        for b in nbrs:
            if (a, b) not in back:
                indeg[b] += 1
    ready = [n for n, d in indeg.items() if d == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for s in adj[n]:
            if (n, s) in back:
                continue
            indeg[s] -= 1
            if indeg[s] == 0:
                heapq.heappush(ready, s)
    return order


FAILURE_LABELS = frozenset({"redrive", "on failure", "on-failure", "dlq", "dead-letter", "on_failure"})


def sends_traffic(arch: Architecture, n: str) -> bool:
    """Whether `n` has an out-edge that carries steady-state traffic, not only a failure
    path (into a DLQ or on-failure destination that `n`, its targets or their edges name,
    or labelled as one). A node whose only edge is its own dead-letter queue starts no
    flow: giving a queue nothing consumes a DLQ must not make it an entry point that takes
    a share of the workload (decided from `n`'s neighbourhood, so the incremental
    estimate decides it the same way)."""
    succ = arch.graph._succ[n]
    if not succ:
        return False
    failed = arch.failure_destinations(around=[n, *succ])
    return any(s not in failed and str(data.get("label") or "").lower() not in FAILURE_LABELS
               for s, data in succ.items())


def _failure_targets(arch: Architecture) -> set[tuple[str, str]]:
    """Edges that only carry failed records: into a DLQ or on-failure destination
    (`Architecture.failure_destinations`), or labelled as such ("redrive", "on failure").

    The estimate is of the steady state, where failures are rare: such edges carry no
    traffic, so adding a dead-letter queue does not double a queue's cost.
    """
    failed = arch.failure_destinations()
    return {
        (a, b)
        for a, nbrs in arch.graph._succ.items() for b, data in nbrs.items()
        if b in failed or str(data.get("label") or "").lower() in FAILURE_LABELS
    }


def peak_factor(arch: Architecture, notes: Assumptions, nodes: tuple[str, ...]) -> float:
    """Peak rate over the monthly average that provisioned capacity is sized for: the
    workload's `peak`, else the default (an assumption the output states)."""
    stated = (arch.workload or {}).get("peak")
    if stated:
        return max(1.0, float(stated))
    return float(notes.default(
        "workload", "peak_factor",
        "provisioned capacity is sized for a peak of 2x the monthly average rate",
        nodes=nodes, state="`workload { peak = ... }`"))


def stream_shards(arch: Architecture, n: str, records: float, payload: float,
                  peak: float = 1.0) -> int:
    """Shards of a Kinesis stream: the stated count, or what the write rate at the peak
    needs (1 MB/s and 1,000 records/s per shard) for a provisioned stream; an on-demand
    stream starts with the capacity of four shards."""
    props = arch.graph.nodes[n]["props"]
    if str(prop_value(props, "kinesis", "mode") or "on-demand") != "provisioned":
        return int(default_value("event_source_mapping", "kinesis_ondemand_shards"))
    per_s = records / SECONDS_PER_MONTH * peak
    need = max(math.ceil(per_s * payload / 1048576), math.ceil(per_s / 1000), 1)
    stated = props.get("shards")
    return max(int(stated), need) if stated else need


def _batch_size(arch: Architecture, a: str, b: str, eprops: dict, notes: Assumptions) -> float | None:
    """Records per invocation on a -> b before traffic is considered: the stated `batch`,
    else the event source mapping's default; None when the edge does not batch."""
    kind_a, kind_b = arch.kind(a), arch.kind(b)
    if kind_b not in POLLING_TARGETS:
        return None
    if eprops.get("batch"):
        return max(1.0, float(eprops["batch"]))
    if kind_a not in ESM_SOURCES:
        return None
    if kind_a == "sqs":
        return float(notes.default(
            "event_source_mapping", "sqs_batch",
            "an SQS event source mapping with no batch size stated uses the default BatchSize "
            "of 10", nodes=(b,), state="`batch` on the edge"))
    return float(notes.default(
        "event_source_mapping", "stream_batch",
        "a stream event source mapping with no batch size stated uses the default BatchSize "
        "of 100", nodes=(b,), state="`batch` on the edge"))


def _records_per_batch(arch: Architecture, a: str, b: str, eprops: dict, batch: float,
                       flow: float, load: Load, notes: Assumptions) -> float:
    """How full a batch is: a stream batch holds what reaches one shard between polls
    (or within the batching `window`); an SQS batch is full unless a `window` is stated."""
    kind_a = arch.kind(a)
    window_s = float(eprops.get("window") or 0) / 1000.0
    per_s = flow / SECONDS_PER_MONTH
    if kind_a == "kinesis":
        mode = str(prop_value(arch.graph.nodes[a]["props"], "kinesis", "mode") or "on-demand")
        peak = peak_factor(arch, notes, (a,)) if mode == "provisioned" and \
            not arch.graph.nodes[a]["props"].get("shards") else 1.0
        shards = stream_shards(arch, a, load.records, load.payload, peak)
        polls = float(default_value("event_source_mapping", "kinesis_polls_per_second"))
        gathered = per_s / shards * max(1.0 / polls, window_s)
    elif kind_a == "dynamodb":
        shards = float(notes.default(
            "event_source_mapping", "dynamodb_stream_shards",
            "the DynamoDB stream has one shard (stream batches hold what one shard gathers "
            "between polls)", nodes=(a,)))
        polls = float(default_value("event_source_mapping", "dynamodb_polls_per_second"))
        gathered = per_s / shards * max(1.0 / polls, window_s)
    elif kind_a == "sqs" and window_s <= 0:
        notes.add("event_source_mapping.sqs_full_batches",
                  "SQS batches are taken as full (below about one batch per poll of traffic "
                  "they are smaller and cost more invocations and requests)", nodes=(b,),
                  source="https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html",
                  weak=True, state="`window` (batching window) or `requests` on the function")
        return batch
    else:
        gathered = per_s * window_s
    return max(1.0, min(batch, gathered))


# every node prop `FlowRules` reads (a node's stated requests and payload, a stream's
# capacity mode and shards, a delivery stream's buffer): a change of other props leaves
# loads and flows as they were, which the incremental estimate relies on (entry points
# and failure destinations, which read other props, it works out apart;
# tests/test_estimate_prop_reads.py checks the list)
FLOW_PROPS = frozenset({"requests", "payload", "mode", "shards", "buffer_interval",
                        "buffer_size"})
# and what they read of an edge (besides whether only failed records take it): its label,
# and of its props the fan-out, filter, batch size and batching window
FLOW_EDGE_KEYS = ("label",)
FLOW_EDGE_PROPS = ("fanout", "filter", "batch", "window")


class FlowRules:
    """How traffic moves through one design: a node's load from what flows into it, and
    what flows out of it along each edge. The full propagation below and the incremental
    one (advisor/estimate/incremental.py) both use these two functions, so they compute
    the same numbers.

    A node's incoming flows are summed in a fixed order (its entry share first, then its
    callers by name), not in the order the walk reached them: a node's load depends only
    on its callers, so it can be recomputed alone, to the last bit."""

    def __init__(self, arch: Architecture, stated: Assumptions, base_payload: float,
                 back: Any, failure: Any, succ: Any) -> None:
        self.arch = arch
        self.nodes = arch.graph._node
        self.pred = arch.graph._pred
        self.adj = arch.graph._succ
        self.stated = stated
        self.base_payload = base_payload
        self.back = back  # edges closing a cycle (a set, or anything with `in`)
        self.failure = failure  # edges only failed records take
        self.succ = succ  # node -> sorted successors

    def dead(self, a: str, b: str) -> bool:
        """The edge carries nothing: it closes a cycle or only failed records take it."""
        return (a, b) in self.back or (a, b) in self.failure

    def counted_once(self, a: str, b: str) -> bool:
        """A write-back (`Architecture.writes_back`): it closes a cycle, yet its calls are
        the function's own (a stream consumer updating its table), so they reach the
        target's bill; what they write does not flow around to the function again (the
        target's load, and so the poll, leaves them out: `load` skips dead edges)."""
        return (a, b) in self.back and (a, b) not in self.failure and self.arch.writes_back(a, b)

    def load(self, n: str, entry: float | None, flows: Any, loads: Any, batches: Any) -> Load:
        """`n`'s records, invocations and payload from its entry share and its callers."""
        rec = inv = weighted = 0.0
        if entry is not None:
            rec, inv, weighted = entry, entry, entry * self.base_payload
        batched = self.nodes[n]["kind"] in BATCHED_TARGETS
        objects = self.nodes[n]["kind"] in OBJECT_TARGETS
        for p in sorted(self.pred[n]):
            if self.dead(p, n):
                continue
            flow = flows[(p, n)]
            weighted += flow * loads[p].payload
            per = batches.get((p, n))
            if per is not None and objects:  # the records arrive as objects of `per` each
                rec += flow / per
                inv += flow / per
                continue
            rec += flow
            inv += flow / per if per is not None and batched else flow
        props = self.nodes[n]["props"]
        payload = weighted / rec if rec > 0 else self.base_payload
        if props.get("requests") is not None:
            rec = inv = float(props["requests"])
        if props.get("payload"):
            payload = float(props["payload"])
        return Load(records=rec, invocations=inv, payload=payload)

    def out(self, n: str, load: Load) -> list[tuple[str, float, float | None]]:
        """(successor, records per month, records per batch or None) for every edge out
        of `n`: an API, load balancer or CDN sends each request down one of its routes
        (its traffic is shared among them unless an edge states its own `fanout`); its
        authorizer, keys and log groups see every request and are not routes."""
        arch, adj, succ = self.arch, self.adj[n], self.succ[n]
        live = [s for s in succ if not self.dead(n, s)]
        routing = category_of(self.nodes[n]["kind"]) == "edge"
        routes = [s for s in live if not is_side_call(arch, n, s)] if routing else live
        share = 1.0 / len(routes) if routing and routes else 1.0
        out: list[tuple[str, float, float | None]] = []
        kind = self.nodes[n]["kind"]
        rec = load.records
        flushes = firehose_flushes(load.records, load.bytes, self.nodes[n]["props"]) \
            if kind == "firehose" else 0.0
        for s in succ:
            if self.dead(n, s) and not self.counted_once(n, s):
                out.append((s, 0.0, None))
                continue
            eprops = adj[s].get("props") or {}
            default_fan = share if s in routes else 1.0
            fan = float(eprops["fanout"]) if eprops.get("fanout") is not None else default_fan
            passed = float(eprops["filter"]) if eprops.get("filter") is not None else 1.0
            flow = rec * fan * passed
            batch = _batch_size(arch, n, s, eprops, self.stated)
            per = None
            if batch is not None and flow > 0:
                per = _records_per_batch(arch, n, s, eprops, batch, flow, load, self.stated)
            elif flushes > 0 and self.nodes[s]["kind"] in OBJECT_TARGETS and flow > 0:
                per = load.records / flushes  # records per object written
            elif kind == "firehose" and adj[s].get("label") == "transform" and flow > 0 and \
                    self.nodes[s]["kind"] in BATCHED_TARGETS:
                per = load.records / _transform_batches(load, s, self.stated)
            out.append((s, flow, per))
        return out


def workload_rate(arch: Architecture, requests: float | None,
                  ) -> tuple[float, float, list[str], Assumptions]:
    """The entry rate and payload a design's propagation starts from, with the notes and
    assumptions they rest on."""
    notes: list[str] = []
    stated = Assumptions()
    wl = arch.workload or {}
    rate = requests if requests is not None else wl.get("requests")
    if rate is None:
        rate = DEFAULT_REQUESTS
        notes.append("the design states no workload: assumed 1M requests/month at the entry points")
        stated.default("workload", "requests",
                       "the design states no workload: 1M requests/month at the entry points",
                       state="`workload { requests = ... }`, --requests, or a usage file")
    base_payload = float(wl.get("payload") or DEFAULT_PAYLOAD)
    if not wl.get("payload"):
        notes.append("no payload size stated: assumed 1 KB per request")
        stated.default("workload", "payload", "no payload size stated: 1 KB per request",
                       state="`workload { payload = ... }` or `payload` on a node")
    return float(rate), base_payload, notes, stated


def propagate(arch: Architecture, requests: float | None = None) -> Workload:
    """Compute every node's monthly records, invocations and payload."""
    g = arch.graph
    rate, base_payload, notes, stated = workload_rate(arch, requests)
    entries, more = _entries(arch, rate)
    notes += more
    adj = g._succ
    succ = {n: sorted(adj[n]) for n in g}
    back = _back_edges(arch, sorted(entries), succ)
    order = _topo(arch, back)
    failure_edges = _failure_targets(arch)
    rules = FlowRules(arch, stated, base_payload, back, failure_edges, succ)

    loads: dict[str, Load] = {}
    flows: dict[tuple[str, str], float] = {}
    batches: dict[tuple[str, str], float] = {}
    for n in order:
        load = loads[n] = rules.load(n, entries.get(n), flows, loads, batches)
        for s, flow, per in rules.out(n, load):
            flows[(n, s)] = flow
            if per is not None:
                batches[(n, s)] = per
    if failure_edges:
        notes.append("failure paths (dead-letter queues, on-failure destinations) carry no "
                     "traffic in the steady-state estimate")
    once = sorted(e for e in back if rules.counted_once(*e))
    closing = sorted(back.difference(once))
    if closing:
        pairs = ", ".join(f"{a} -> {b}" for a, b in closing)
        notes.append(f"cycle edges carry no traffic in the estimate (counted once): {pairs}")
    if once:
        pairs = ", ".join(f"{a} -> {b}" for a, b in once)
        notes.append("a function's calls into its own event source are priced once, not "
                     f"fed back to it again: {pairs}")
    return Workload(
        nodes=loads,
        edges=flows,
        entries=entries,
        back_edges=back,
        failure_edges=failure_edges,
        notes=notes,
        entry_rate=float(rate),
        order=order,
        succ=succ,
        assumptions=stated,
        batches=batches,
    )
