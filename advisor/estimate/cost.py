"""Monthly cost per node, broken down like Infracost's cost components.

Each kind turns its propagated load into usage lines (a node, a component name, a price
key, a quantity in the price's unit). Prices are tiered on the account's monthly total
of a dimension (all Lambda x86 GB-seconds together, all REST API requests together), so
the lines are first summed per price key, charged once over the tiers (after the free
tier when it is switched on), and the charge is shared back to the lines in proportion
to their quantity. Kinds without a price model cost 0 with a note saying so.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from advisor.catalog import prop_value
from advisor.estimate.data import Pricing
from advisor.estimate.propagate import Load, Workload
from advisor.model import Architecture
from advisor.units import SECONDS_PER_MONTH

GIB = 1024.0**3
HOURS_PER_MONTH = 730.0
MS_PER_MONTH = SECONDS_PER_MONTH * 1000.0
READ_ACTION = re.compile(r"get|query|scan|read|select|list|describe", re.I)
UNPRICED = frozenset({"client", "http", "kms", "resource", "ecs", "alb", "rds", "opensearch", "cloudfront"})


@cache
def _default(kind: str, name: str) -> Any:
    return prop_value({}, kind, name)


@dataclass
class Usage:
    node: str
    name: str
    key: str
    quantity: float  # in the price's unit


def chunks(size: float, chunk: float) -> int:
    """How many metering chunks a payload of `size` bytes is billed as (at least 1)."""
    return max(1, math.ceil(size / chunk)) if chunk > 0 else 1


def round_up(value: float, step: float) -> float:
    return math.ceil(value / step) * step if step > 0 else value


class _Ctx:
    """What a kind's usage function reads: the design, its workload, metering rules."""

    def __init__(self, arch: Architecture, wl: Workload, pricing: Pricing) -> None:
        self.arch = arch
        self.wl = wl
        self.pricing = pricing
        self.g = arch.graph
        self.nodes: dict[str, dict[str, Any]] = dict(arch.graph.nodes(data=True))

    def prop(self, node: str, name: str) -> Any:
        data = self.nodes[node]
        props = data["props"]
        if name in props:
            return props[name]
        return _default(data["kind"], name)

    def load(self, node: str) -> Load:
        return self.wl.nodes[node]

    def out_flows(self, node: str) -> list[tuple[str, float, dict[str, Any]]]:
        adj = self.g.succ[node]
        return [(s, self.wl.edges.get((node, s), 0.0), adj[s].get("props") or {}) for s in self.wl.succ[node]]

    def in_flows(self, node: str) -> list[tuple[str, float, dict[str, Any]]]:
        adj = self.g.pred[node]
        return [(p, self.wl.edges.get((p, node), 0.0), adj[p]) for p in sorted(adj)]

    def rule(self, name: str, default: float) -> float:
        return self.pricing.rule(name, default)


UsageFn = Callable[[_Ctx, str], list[Usage]]


def _lambda(c: _Ctx, n: str) -> list[Usage]:
    inv = c.load(n).invocations
    arch = str(c.prop(n, "arch") or "x86")
    arch = "arm64" if arch in ("arm64", "arm", "graviton") else "x86"
    memory = float(c.prop(n, "memory") or 128 * 1024**2)
    duration = round_up(float(c.prop(n, "duration") or 0), c.rule("lambda.duration_rounding_ms", 1))
    gbs = inv * duration / 1000.0 * memory / GIB
    return [
        Usage(n, "Requests", "lambda.requests", inv),
        Usage(n, f"Duration ({arch})", f"lambda.duration.{arch}", gbs),
    ]


def _apigw(c: _Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    kind = str(c.prop(n, "type") or "rest")
    if kind == "http":
        units = chunks(load.payload, c.rule("apigw.http.metering_bytes", 512 * 1024))
        return [Usage(n, "HTTP API requests", "apigw.http.requests", load.records * units)]
    if kind == "websocket":
        units = chunks(load.payload, c.rule("apigw.websocket.metering_bytes", 32 * 1024))
        return [Usage(n, "WebSocket messages", "apigw.websocket.messages", load.records * units)]
    return [Usage(n, "REST API requests", "apigw.rest.requests", load.records)]


def _sqs(c: _Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    per = chunks(load.payload, c.rule("sqs.chunk_bytes", 65536))
    key = "sqs.fifo.requests" if c.prop(n, "fifo") else "sqs.standard.requests"
    lines = [Usage(n, "Send requests", key, load.records * per)]
    polls = 0.0
    for _s, flow, eprops in c.out_flows(n):
        # a consumer receives a batch (billed per 64 KB of the batch) and deletes it
        batch = max(1.0, float(eprops.get("batch") or 1))
        batches = flow / batch
        receive = chunks(load.payload * batch, c.rule("sqs.chunk_bytes", 65536))
        polls += batches * (receive + 1)
    if polls:
        lines.append(Usage(n, "Receive + delete requests", key, polls))
    return lines


def _sns(c: _Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    per = chunks(load.payload, c.rule("sns.chunk_bytes", 65536))
    lines = [Usage(n, "Publish requests", "sns.publish", load.records * per)]
    for s, flow, _e in c.out_flows(n):
        target = c.nodes[s]["kind"]
        key = {
            "http": "sns.delivery.http",
            "firehose": "sns.delivery.firehose",
            "sqs": "sns.delivery.sqs",
            "lambda": "sns.delivery.lambda",
        }.get(target)
        if key:
            lines.append(Usage(n, f"Deliveries to {s}", key, flow))
    return lines


AWS_EVENT_SOURCES = frozenset({"s3", "dynamodb", "cognito", "kms", "logs"})


def _eventbridge(c: _Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    if c.g.in_degree(n) == 0 and "schedule" in c.nodes[n]["props"]:
        return []  # a scheduled rule: no event charge
    custom = 0.0
    flows = c.in_flows(n)
    if not flows:
        custom = load.records
    for p, flow, _e in flows:
        if c.nodes[p]["kind"] not in AWS_EVENT_SOURCES:
            custom += flow
    if "requests" in c.nodes[n]["props"]:
        custom = load.records
    per = chunks(load.payload, c.rule("eventbridge.chunk_bytes", 65536))
    return [Usage(n, "Custom events", "eventbridge.events", custom * per)]


def _pipes(c: _Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    per = chunks(load.payload, c.rule("pipes.chunk_bytes", 65536))
    return [Usage(n, "Requests (after filtering)", "pipes.requests", load.records * per)]


def _scheduler(c: _Ctx, n: str) -> list[Usage]:
    return [Usage(n, "Invocations", "scheduler.invocations", c.load(n).records)]


def _sfn(c: _Ctx, n: str) -> list[Usage]:
    execs = c.load(n).invocations
    if str(c.prop(n, "type") or "standard") == "express":
        step_ms = c.rule("sfn.express.duration_step_ms", 100)
        step_mem = c.rule("sfn.express.memory_step_bytes", 64 * 1024**2)
        duration = round_up(max(float(c.prop(n, "duration") or 0), 1.0), step_ms)
        memory = round_up(max(float(c.prop(n, "memory") or 0), 1.0), step_mem)
        gb_hours = execs * duration / 3_600_000.0 * memory / GIB
        return [
            Usage(n, "Express requests", "sfn.express.requests", execs),
            Usage(n, "Express duration", "sfn.express.duration", gb_hours),
        ]
    states = float(c.prop(n, "states") or 1)
    return [Usage(n, "State transitions", "sfn.standard.transitions", execs * states)]


def kinesis_shards(c: _Ctx, n: str) -> int:
    """Provisioned shards: the stated count, or what the average write rate needs."""
    load = c.load(n)
    per_s = load.records / SECONDS_PER_MONTH
    need = max(
        math.ceil(per_s * load.payload / c.rule("kinesis.provisioned.shard_in_bytes_per_s", 1048576)),
        math.ceil(per_s / c.rule("kinesis.provisioned.shard_in_records_per_s", 1000)),
        1,
    )
    stated = c.nodes[n]["props"].get("shards")
    return max(int(stated), need) if stated else need


def _kinesis(c: _Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    if str(c.prop(n, "mode") or "on-demand") == "provisioned":
        shards = kinesis_shards(c, n)
        units = chunks(load.payload, c.rule("kinesis.provisioned.put_unit_bytes", 25600))
        return [
            Usage(
                n,
                f"Shard hours ({shards} shards)",
                "kinesis.provisioned.shard_hours",
                shards * HOURS_PER_MONTH,
            ),
            Usage(n, "PUT payload units", "kinesis.provisioned.put_units", load.records * units),
        ]
    size = round_up(load.payload, c.rule("kinesis.ondemand.record_rounding_bytes", 1024))
    consumers = sum(flow for _s, flow, _e in c.out_flows(n))
    return [
        Usage(n, "Stream hours", "kinesis.ondemand.stream_hours", HOURS_PER_MONTH),
        Usage(n, "Data in", "kinesis.ondemand.ingest", load.records * size / GIB),
        Usage(n, "Data out", "kinesis.ondemand.retrieval", consumers * load.payload / GIB),
    ]


def _firehose(c: _Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    size = round_up(load.payload, c.rule("firehose.record_rounding_bytes", 5120))
    return [Usage(n, "Data ingested (5 KB steps)", "firehose.ingest", load.records * size / GIB)]


def firehose_flushes(c: _Ctx, n: str) -> float:
    """Objects a delivery stream writes per month: one per buffer flush."""
    load = c.load(n)
    if load.records <= 0:
        return 0.0
    interval = float(c.prop(n, "buffer_interval") or 300_000)
    size = float(c.prop(n, "buffer_size") or 5 * 1024**2)
    by_time = MS_PER_MONTH / interval if interval > 0 else load.records
    by_size = load.bytes / size if size > 0 else load.records
    return min(load.records, max(by_time, by_size))


def _is_read(edge: dict[str, Any]) -> bool:
    action = (edge.get("props") or {}).get("action")
    text = " ".join(str(x) for x in (action, edge.get("label")) if x)
    return bool(READ_ACTION.search(text))


def _dynamodb(c: _Ctx, n: str) -> list[Usage]:
    load = c.load(n)
    writes = reads = 0.0
    flows = c.in_flows(n)
    for _p, flow, edge in flows:
        if _is_read(edge):
            reads += flow
        else:
            writes += flow
    if not flows or "requests" in c.nodes[n]["props"]:
        writes = load.records
    reads += writes * float(c.prop(n, "reads") or 0)
    wru = writes * chunks(load.payload, c.rule("dynamodb.write_unit_bytes", 1024))
    item = float(c.prop(n, "item_size") or load.payload)
    rru = reads * chunks(item, c.rule("dynamodb.read_unit_bytes", 4096))
    storage = float(c.prop(n, "storage") or 0) / GIB
    lines: list[Usage] = []
    if str(c.prop(n, "billing") or "on-demand") == "provisioned":
        wcu = c.nodes[n]["props"].get("wcu") or max(1, math.ceil(wru / SECONDS_PER_MONTH))
        rcu = c.nodes[n]["props"].get("rcu") or max(1, math.ceil(rru / SECONDS_PER_MONTH))
        lines += [
            Usage(
                n,
                f"Write capacity ({wcu} WCU)",
                "dynamodb.provisioned.wcu_hours",
                float(wcu) * HOURS_PER_MONTH,
            ),
            Usage(
                n,
                f"Read capacity ({rcu} RCU)",
                "dynamodb.provisioned.rcu_hours",
                float(rcu) * HOURS_PER_MONTH,
            ),
        ]
    else:
        lines += [
            Usage(n, "Write request units", "dynamodb.ondemand.write", wru),
            Usage(n, "Read request units", "dynamodb.ondemand.read", rru),
        ]
    lines.append(Usage(n, "Storage", "dynamodb.storage", storage))
    return lines


def _s3(c: _Ctx, n: str) -> list[Usage]:
    puts = gets = 0.0
    flows = c.in_flows(n)
    for p, flow, edge in flows:
        if c.nodes[p]["kind"] == "firehose":
            puts += firehose_flushes(c, p) * (flow / c.load(p).records if c.load(p).records else 0)
        elif _is_read(edge):
            gets += flow
        else:
            puts += flow
    if not flows or "requests" in c.nodes[n]["props"]:
        puts = c.load(n).records
    storage = float(c.prop(n, "storage") or 0) / GIB
    return [
        Usage(n, "PUT requests", "s3.put", puts),
        Usage(n, "GET requests", "s3.get", gets),
        Usage(n, "Storage (Standard)", "s3.storage", storage),
    ]


def _logs(c: _Ctx, n: str) -> list[Usage]:
    return [Usage(n, "Log ingestion", "logs.ingest", c.load(n).bytes / GIB)]


def _cognito(c: _Ctx, n: str) -> list[Usage]:
    mau = float(c.prop(n, "mau") or 0)
    return [Usage(n, "Monthly active users", "cognito.mau", mau)]


def _appsync(c: _Ctx, n: str) -> list[Usage]:
    return [Usage(n, "Query and mutation operations", "appsync.requests", c.load(n).records)]


USAGE: dict[str, UsageFn] = {
    "lambda": _lambda,
    "apigw": _apigw,
    "sqs": _sqs,
    "sns": _sns,
    "eventbridge": _eventbridge,
    "pipes": _pipes,
    "scheduler": _scheduler,
    "sfn": _sfn,
    "kinesis": _kinesis,
    "firehose": _firehose,
    "dynamodb": _dynamodb,
    "s3": _s3,
    "logs": _logs,
    "cognito": _cognito,
    "appsync": _appsync,
}


@dataclass
class CostResult:
    monthly_usd: float
    by_node: dict[str, float]
    components: list[dict[str, Any]]
    notes: list[str]


def _per_label(per: float) -> str:
    for suffix, step in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if per >= step and per % step == 0:
            return f"{int(per // step)}{suffix} "
    return "" if per == 1 else f"{per:g} "


def _free_allowance(pricing: Pricing, totals: dict[str, float]) -> dict[str, float]:
    """Free units per price key; a shared allowance is spent on keys in sorted order."""
    out: dict[str, float] = {}
    for key, spec in sorted(pricing.free_tier.items()):
        left = float(spec.get("quantity", 0))
        group = [key, str(spec["shared_with"])] if spec.get("shared_with") else [key]
        for k in group:
            use = min(left, totals.get(k, 0.0))
            out[k] = out.get(k, 0.0) + use
            left -= use
    return out


def compute_cost(arch: Architecture, wl: Workload, pricing: Pricing, free_tier: bool = False) -> CostResult:
    """Every node's monthly cost and its components, tiers applied to account totals."""
    ctx = _Ctx(arch, wl, pricing)
    usages: list[Usage] = []
    notes: list[str] = []
    unpriced: dict[str, list[str]] = defaultdict(list)
    for n in arch.node_names():
        kind = ctx.nodes[n]["kind"]
        fn = USAGE.get(kind)
        if fn is None:
            unpriced[kind].append(n)
            continue
        usages += [u for u in fn(ctx, n) if u.quantity > 0]
    for kind in sorted(unpriced):
        why = "" if kind in UNPRICED else " (no price model)"
        notes.append(f"not priced{why}, counted as $0: {kind} ({', '.join(unpriced[kind])})")

    totals: dict[str, float] = defaultdict(float)
    for u in usages:
        totals[u.key] += u.quantity
    free = _free_allowance(pricing, totals) if free_tier else {}
    charge: dict[str, float] = {}
    for key, qty in totals.items():
        price = pricing.price(key)
        charge[key] = price.charge(max(0.0, qty - free.get(key, 0.0)))

    by_node = {n: 0.0 for n in arch.node_names()}
    components: list[dict[str, Any]] = []
    prices = {k: pricing.price(k) for k in totals}
    labels = {k: f"{_per_label(p.per)}{p.unit}" for k, p in prices.items()}
    for u in usages:
        price = prices[u.key]
        total = totals[u.key]
        share = charge[u.key] * (u.quantity / total) if total else 0.0
        by_node[u.node] += share
        qty = u.quantity / price.per
        components.append(
            {
                "node": u.node,
                "name": u.name,
                "quantity": qty,
                "unit": labels[u.key],
                "price_usd": share / qty if qty else price.first_price,
                "monthly_usd": share,
                "price_key": u.key,
            }
        )
    if free_tier:
        notes.append("free tier applied")
    weak = sorted(k for k, p in prices.items() if p.weak)
    if weak:
        notes.append("weakly sourced prices used: " + ", ".join(weak))
    return CostResult(monthly_usd=sum(by_node.values()), by_node=by_node, components=components, notes=notes)
